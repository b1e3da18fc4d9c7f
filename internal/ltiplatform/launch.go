package ltiplatform

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// LaunchOptions describe one launch.
type LaunchOptions struct {
	// User is a member's launch id (student, student2, instructor, ta,
	// member3…) or subject; "student" when empty.
	User string
	// Link is the resource link id; when empty it is made from the lesson:
	// "link-SLUG", "link-SLUG-quiz", or "link-course" without a lesson.
	// A link made by deep linking ("dl-1"…) brings its own custom
	// parameters, target and line item.
	Link string
	// Lesson and Quiz become the custom claim {"lesson": SLUG, "quiz":
	// "true"|"false"}, as Twelve's deep linking items carry.
	Lesson string
	Quiz   bool
	// LineItem makes the link a gradebook column: the platform creates its
	// line item at the first launch and sends the AGS lineitem claim.
	LineItem bool
	// Deep makes the launch an LtiDeepLinkingRequest.
	Deep bool
	// Storage sends lti_storage_target (the launch's parent frame) with
	// the login initiation. Only a browser can follow such a launch.
	Storage bool
	// ClientID picks a registration; the current one when empty.
	ClientID string
	// GET initiates the login with a redirect (GET) instead of a form POST.
	GET bool
	// Replay, for DoLaunch only: after the launch, post the same id_token
	// and state to the tool once more and return that response.
	Replay bool
}

// values is o as launch URL parameters.
func (o LaunchOptions) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	flag := func(k string, b bool) {
		if b {
			v.Set(k, "1")
		}
	}
	set("user", o.User)
	set("link", o.Link)
	set("lesson", o.Lesson)
	set("client_id", o.ClientID)
	flag("quiz", o.Quiz)
	flag("lineitem", o.LineItem)
	flag("deep", o.Deep)
	flag("storage", o.Storage)
	flag("get", o.GET)
	return v
}

func launchOptionsFrom(q url.Values) LaunchOptions {
	on := func(k string) bool { b := q.Get(k); return b == "1" || b == "true" }
	return LaunchOptions{
		User: q.Get("user"), Link: q.Get("link"), Lesson: q.Get("lesson"), ClientID: q.Get("client_id"),
		Quiz: on("quiz"), LineItem: on("lineitem"), Deep: on("deep"), Storage: on("storage"), GET: on("get"),
	}
}

// LaunchURL is the platform page that starts the launch o in the browser
// that opens it (GET /launch?user=…&lesson=…).
func (p *Platform) LaunchURL(o LaunchOptions) string {
	return p.issuer + "/launch?" + o.values().Encode()
}

// EmbedURL is the platform page that shows the launch o inside an iframe
// and answers the tool's LTI postMessages (GET /embed?…).
func (p *Platform) EmbedURL(o LaunchOptions) string {
	return p.issuer + "/embed?" + o.values().Encode()
}

// launchHint is what the platform needs at /auth to build the id_token;
// it travels sealed in lti_message_hint.
type launchHint struct {
	User     string `json:"u"`
	Client   string `json:"c"`
	Link     string `json:"l,omitempty"`
	Lesson   string `json:"s,omitempty"`
	Quiz     bool   `json:"q,omitempty"`
	LineItem bool   `json:"i,omitempty"`
	Deep     bool   `json:"d,omitempty"`
	Embedded bool   `json:"e,omitempty"`
}

// loginInitiation is the third-party initiated login request for o.
func (p *Platform) loginInitiation(o LaunchOptions, embedded bool) (string, url.Values, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o.User == "" {
		o.User = "student"
	}
	u, ok := p.userLocked(o.User)
	if !ok {
		return "", nil, fmt.Errorf("no member %q in the course", o.User)
	}
	if o.ClientID == "" {
		o.ClientID = p.st.current
	}
	reg, ok := p.st.clients[o.ClientID]
	if !ok {
		return "", nil, fmt.Errorf("no registration with client_id %q", o.ClientID)
	}
	if !o.Deep && o.Link == "" {
		o.Link = "link-course"
		if o.Lesson != "" {
			o.Link = "link-" + o.Lesson
			if o.Quiz {
				o.Link += "-quiz"
			}
		}
	}
	hint, err := json.Marshal(launchHint{
		User: u.Subject, Client: reg.ClientID, Link: o.Link, Lesson: o.Lesson, Quiz: o.Quiz,
		LineItem: o.LineItem, Deep: o.Deep, Embedded: embedded,
	})
	if err != nil {
		return "", nil, fmt.Errorf("launch hint: %w", err)
	}
	v := url.Values{
		"iss":               {p.issuer},
		"login_hint":        {u.Subject},
		"target_link_uri":   {p.targetLocked(reg, o.Link)},
		"lti_message_hint":  {p.mac(string(hint))},
		"client_id":         {reg.ClientID},
		"lti_deployment_id": {reg.DeploymentID},
	}
	if o.Storage {
		v.Set("lti_storage_target", "_parent")
	}
	return reg.InitiateLoginURI, v, nil
}

// targetLocked is the target_link_uri of a launch of link.
func (p *Platform) targetLocked(reg *Registration, link string) string {
	if item, ok := p.deepLinkLocked(link); ok && item.URL != "" {
		return item.URL
	}
	return reg.TargetLinkURI
}

// startLaunch (GET /launch) answers a page that posts the login initiation
// to the tool, or with ?get=1 redirects to it.
func (p *Platform) startLaunch(w http.ResponseWriter, r *http.Request) {
	o := launchOptionsFrom(r.URL.Query())
	action, fields, err := p.loginInitiation(o, r.URL.Query().Get("embedded") == "1")
	if err != nil {
		p.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	p.mu.Lock()
	p.st.launches++
	p.mu.Unlock()
	if o.GET {
		http.Redirect(w, r, action+"?"+fields.Encode(), http.StatusFound)
		return
	}
	p.renderAutoPost(w, "Launching Twelve…", action, fields)
}

// authRequest is a checked OIDC authentication request.
type authRequest struct {
	reg         *Registration
	hint        launchHint
	user        User
	redirectURI string
	state       string
	nonce       string
}

// parseAuth checks an authentication request against the registrations.
func (p *Platform) parseAuth(v url.Values) (authRequest, error) {
	var req authRequest
	if !slices.Contains(strings.Fields(v.Get("scope")), "openid") {
		return req, errors.New("scope must include openid")
	}
	if v.Get("response_type") != "id_token" {
		return req, errors.New("response_type must be id_token")
	}
	if v.Get("response_mode") != "form_post" {
		return req, errors.New("response_mode must be form_post")
	}
	if p := v.Get("prompt"); p != "" && p != "none" {
		return req, errors.New("prompt must be none")
	}
	req.nonce, req.state, req.redirectURI = v.Get("nonce"), v.Get("state"), v.Get("redirect_uri")
	if req.nonce == "" {
		return req, errors.New("nonce is required")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	reg, ok := p.st.clients[v.Get("client_id")]
	if !ok {
		return req, fmt.Errorf("unknown client_id %q", v.Get("client_id"))
	}
	req.reg = reg
	if !slices.Contains(reg.RedirectURIs, req.redirectURI) {
		return req, fmt.Errorf("redirect_uri %q is not registered for %s", req.redirectURI, reg.ClientID)
	}
	raw, err := p.unmac(v.Get("lti_message_hint"))
	if err != nil {
		return req, fmt.Errorf("lti_message_hint: %v", err)
	}
	if err := json.Unmarshal([]byte(raw), &req.hint); err != nil {
		return req, errors.New("lti_message_hint: malformed")
	}
	if req.hint.Client != reg.ClientID {
		return req, errors.New("lti_message_hint was issued for another client")
	}
	if v.Get("login_hint") != req.hint.User {
		return req, errors.New("login_hint does not match the launch")
	}
	if req.user, ok = p.userLocked(req.hint.User); !ok {
		return req, errors.New("login_hint names nobody in the course")
	}
	return req, nil
}

// authorize (GET or POST /auth) is the OIDC authorization endpoint: it
// answers a page that form-posts id_token and state to the tool.
func (p *Platform) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.refuse(w, r, http.StatusBadRequest, "the authentication request could not be read")
		return
	}
	req, err := p.parseAuth(r.Form)
	if err != nil {
		p.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	idToken, err := p.idToken(req)
	if err != nil {
		p.refuse(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	fields := url.Values{"id_token": {idToken}}
	if req.state != "" {
		fields.Set("state", req.state)
	}
	p.renderAutoPost(w, "Opening Twelve…", req.redirectURI, fields)
}

// idToken builds and signs the launch's id_token, spoiled as any active
// launch misbehaviour says.
func (p *Platform) idToken(req authRequest) (string, error) {
	now := p.now()
	claims := p.launchClaims(req, now)
	p.mu.Lock()
	previous := p.st.lastNonce
	p.st.lastNonce = req.nonce
	keys := p.keys
	p.mu.Unlock()
	key, err := p.spoil(claims, req, previous, now, keys)
	if err != nil {
		return "", err
	}
	return signJWT(key, keys.kid, claims)
}

// launchClaims are the id_token claims of an honest launch.
func (p *Platform) launchClaims(req authRequest, now time.Time) map[string]any {
	u, h := req.user, req.hint
	c := map[string]any{
		"iss":         p.issuer,
		"sub":         u.Subject,
		"aud":         req.reg.ClientID,
		"azp":         req.reg.ClientID,
		"iat":         now.Unix(),
		"exp":         now.Add(5 * time.Minute).Unix(),
		"nonce":       req.nonce,
		"name":        u.Name,
		"given_name":  u.GivenName,
		"family_name": u.FamilyName,
		"email":       u.Email,
		"locale":      "en",
		claimVersion:  "1.3.0",
		claimDeploy:   req.reg.DeploymentID,
		claimRoles:    u.Roles,
		claimContext: map[string]any{
			"id": ContextID, "label": ContextLabel, "title": ContextTitle,
			"type": []string{"http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"},
		},
		claimPlatform: map[string]any{
			"guid": p.issuer, "name": "Twelve test LMS", "product_family_code": productFamily, "version": "1.0",
		},
		claimNRPS: map[string]any{
			"context_memberships_url": p.issuer + "/memberships",
			"service_versions":        []string{"2.0"},
		},
	}
	target := "window"
	if h.Embedded {
		target = "iframe"
	}
	c[claimPresentation] = map[string]any{"document_target": target, "return_url": p.issuer + "/", "locale": "en"}
	ags := map[string]any{
		"scope":     []string{ScopeLineItem, ScopeResultRead, ScopeScore},
		"lineitems": p.issuer + "/lineitems",
	}
	c[claimAGS] = ags
	if h.Deep {
		c[claimMessageType] = messageDeepLinking
		c[claimTarget] = req.reg.TargetLinkURI
		c[claimDeepLinking] = map[string]any{
			"deep_link_return_url":                 p.issuer + "/deeplink/return",
			"accept_types":                         []string{"ltiResourceLink"},
			"accept_presentation_document_targets": []string{"iframe", "window"},
			"accept_multiple":                      true,
			"auto_create":                          true,
			"title":                                "Add to " + ContextTitle,
			"data":                                 p.issueDeepLinkData(),
		}
		return c
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c[claimMessageType] = messageResourceLink
	c[claimTarget] = p.targetLocked(req.reg, h.Link)
	title := ContextTitle
	custom := map[string]string{}
	if h.Lesson != "" {
		custom["lesson"] = h.Lesson
		custom["quiz"] = fmt.Sprint(h.Quiz)
		title = h.Lesson
		if h.Quiz {
			title += " quiz"
		}
	}
	if item, ok := p.deepLinkLocked(h.Link); ok {
		custom = item.Custom
		title = item.Title
	}
	c[claimResourceLink] = map[string]any{"id": h.Link, "title": title}
	if len(custom) > 0 {
		c[claimCustom] = custom
	}
	if li := p.lineItemForLinkLocked(h); li != nil {
		ags["lineitem"] = p.lineItemURL(li.id)
	}
	return c
}

// lineItemForLinkLocked finds the line item of a resource link, creating
// it when the launch asks for a gradebook column. p.mu must be held.
func (p *Platform) lineItemForLinkLocked(h launchHint) *LineItem {
	for _, li := range p.st.lineItems {
		if li.ResourceLinkID == h.Link && h.Link != "" {
			return li
		}
	}
	if !h.LineItem {
		return nil
	}
	label := ContextTitle
	if h.Lesson != "" {
		label = h.Lesson + " quiz"
	}
	return p.addLineItemLocked(LineItem{
		Label: label, ScoreMaximum: 100, ResourceID: h.Lesson, ResourceLinkID: h.Link, Tag: "twelve-quiz",
	})
}

// showJWKS (GET /jwks) publishes the platform's key.
func (p *Platform) showJWKS(w http.ResponseWriter, r *http.Request) {
	if _, down := p.take(JWKSDown); down {
		p.refuse(w, r, http.StatusServiceUnavailable, "JWKS down (misbehaviour)")
		return
	}
	p.mu.Lock()
	set := p.keys.jwks()
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, "application/json", set)
}
