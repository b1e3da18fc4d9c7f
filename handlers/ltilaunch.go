package handlers

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/framing"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// An LTI launch is an OpenID Connect third-party initiated login with
// response_mode=form_post (LTI Core 1.3, Security Framework 1.0):
//
//  1. the LMS sends the browser to /lti/login (GET or POST) naming itself;
//  2. startLTILogin binds a state and a nonce to this browser, in a flow
//     cookie and, when the LMS offers it, in the LMS's own storage
//     (LTI Client Side postMessages: where a browser keeps this site's
//     cookies out of the LMS's iframe), and sends it to the LMS's
//     authorization endpoint;
//  3. the LMS posts an id_token and the state to /lti/launch, which checks
//     the state against the flow, verifies the token (lti.Verifier), uses
//     its nonce once across every process, records the user, the class
//     and the link in one transaction, sets the identity cookie and lands
//     the browser (ltilaunchland.go).
//
// Nothing is written before the token is verified; every defect of what
// the LMS sent is a 4xx page saying what was wrong.

// ltiFlowCookie is the flow cookie of a launch whose state is state: one
// per launch, so that launches in several frames or tabs at once do not
// overwrite each other's.
func ltiFlowCookie(state string) string {
	return "twelve_lti_" + state[:8]
}

// maxFlowTarget bounds the target_link_uri a flow keeps, so that any
// login's flow fits in a cookie.
const maxFlowTarget = 1024

// storageTargetRE is the frame names Twelve accepts as lti_storage_target.
var storageTargetRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// errLTINotRegistered answers a login from an LMS Twelve does not know.
var errLTINotRegistered = &Error{Status: http.StatusBadRequest, Heading: "This LMS is not registered with Twelve",
	Message: "Twelve does not know the LMS (issuer and client id) that sent this launch. Whoever runs Twelve can register it with `twelve admin lti-add` or by Dynamic Registration from the LMS."}

// ltiBadRequest is a 400 for a launch, with what was wrong.
func ltiBadRequest(msg string) error {
	return &Error{Status: http.StatusBadRequest, Heading: "This launch could not be used", Message: msg}
}

// startLTILogin answers the LMS's login initiation.
func (h *Handler) startLTILogin(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	form, err := c.FormValues()
	if err != nil {
		return ltiBadRequest("The login request could not be read.")
	}
	req, err := lti.ParseLoginRequest(form)
	if err != nil {
		return ltiBadRequest("The LMS's login request is incomplete: " + strings.TrimPrefix(err.Error(), "lti: ") + ".")
	}
	p, err := h.ltiPlatformForLogin(c, req)
	if err != nil {
		return err
	}
	if req.DeploymentID != "" && !toLTIPlatform(p).HasDeployment(req.DeploymentID) {
		return ltiBadRequest("This deployment of Twelve in your LMS is not registered with Twelve. Whoever runs Twelve can add it (`twelve admin lti-add` names deployments).")
	}
	flow := ltiFlow{
		State: rand.Text(), Nonce: rand.Text(), PlatformID: p.ID, Issuer: p.Issuer, ClientID: p.ClientID,
		Expires: time.Now().Add(ltiFlowTTL),
	}
	if len(req.TargetLinkURI) <= maxFlowTarget {
		flow.Target = req.TargetLinkURI // as asked; the signed claim decides (LTI Core 5.1.1)
	}
	if o, ok := framing.Origin(loginOrigin(c.Request())); ok && o != h.origin(c) {
		flow.Origin = o
	}
	if storageTargetRE.MatchString(req.StorageTarget) {
		flow.Storage = req.StorageTarget
		// The state names the storage and the platform, so a launch that
		// comes back without the cookie knows where to look (launchLTI).
		flow.State += "." + strconv.FormatInt(p.ID, 10) + "." + req.StorageTarget
	}
	sealed, err := h.lti.flows.Encode(flow)
	if err != nil {
		return err
	}
	h.setCookieFor(c, ltiFlowCookie(flow.State), sealed, ltiFlowPath, ltiFlowTTL, true)
	authURL := lti.AuthRedirect(toLTIPlatform(p), req, h.origin(c)+ltiLaunchPath, flow.State, flow.Nonce)
	if flow.Storage == "" {
		return c.Redirect(http.StatusFound, authURL)
	}
	origin, _ := framing.Origin(urlOrigin(p.AuthURL))
	page := h.page(c, "Connecting to your LMS")
	page.Script = h.assets.Path("lti.js")
	return h.ok(c, views.LTIStoragePage(page, views.LTIStorageView{
		AuthURL: authURL, Target: flow.Storage, PlatformOrigin: origin,
		Key: ltiStorageKey(flow.State), Value: sealed,
	}))
}

// loginOrigin is the origin of the LMS page that started a login: its
// Origin header (a form post), else its Referer's origin (a link or
// redirect, which browsers send with the origin at least).
func loginOrigin(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		return o
	}
	return urlOrigin(r.Referer())
}

// ltiStorageKey is the platform storage key of a flow.
func ltiStorageKey(state string) string { return "twelve_lti_" + state }

// ltiPlatformForLogin finds the platform a login names: by (issuer,
// client id), or, without a client id, the issuer's only registration.
func (h *Handler) ltiPlatformForLogin(c *echo.Context, req lti.LoginRequest) (store.LTIPlatform, error) {
	ctx := c.Request().Context()
	if req.ClientID != "" {
		p, err := h.store.LTIPlatform(ctx, req.Issuer, req.ClientID)
		if errors.Is(err, store.ErrNotFound) {
			return store.LTIPlatform{}, errLTINotRegistered
		}
		return p, err
	}
	all, err := h.store.LTIPlatforms(ctx)
	if err != nil {
		return store.LTIPlatform{}, err
	}
	var found []store.LTIPlatform
	for _, p := range all {
		if p.Issuer == req.Issuer {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return store.LTIPlatform{}, errLTINotRegistered
	case 1:
		return found[0], nil
	}
	return store.LTIPlatform{}, ltiBadRequest("Twelve is registered several times with this LMS, and its login request does not say which registration (client_id) it is for.")
}

// toLTIPlatform is the protocol's view of a stored platform.
func toLTIPlatform(p store.LTIPlatform) lti.Platform {
	return lti.Platform{
		ID: p.ID, Issuer: p.Issuer, ClientID: p.ClientID, Name: p.Name,
		AuthURL: p.AuthURL, TokenURL: p.TokenURL, JWKSURL: p.JWKSURL, Deployments: p.Deployments,
		TokenAudience: p.TokenAudience, LearnsDeployments: p.LearnsDeployments,
	}
}

// urlOrigin is the scheme://host of an absolute URL, or "".
func urlOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// launchLTI takes the id_token the LMS posts after the login.
func (h *Handler) launchLTI(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if e := c.FormValue("error"); e != "" {
		return ltiBadRequest("The LMS refused the launch (" + cut(e, 100) + "): " + cut(c.FormValue("error_description"), 300))
	}
	rawToken, state := c.FormValue("id_token"), c.FormValue("state")
	if rawToken == "" || state == "" || len(state) < 8 {
		return ltiBadRequest("The LMS's launch lacks its id_token or state.")
	}
	flow, answered, err := h.ltiFlowOf(c, state, rawToken)
	if err != nil || answered {
		return err
	}
	ctx := c.Request().Context()
	sp, err := h.store.LTIPlatform(ctx, flow.Issuer, flow.ClientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sp.ID != flow.PlatformID) {
		return errLTINotRegistered // removed (or registered anew) during the launch
	}
	if err != nil {
		return err
	}
	p := toLTIPlatform(sp)
	launch, err := h.lti.verifier.Verify(ctx, p, rawToken, flow.Nonce)
	if err != nil {
		return h.ltiRefused(c, p, err)
	}
	if err := h.store.UseLTINonce(ctx, strconv.FormatInt(p.ID, 10)+":"+launch.Nonce, launch.Expires.Add(lti.MaxSkew)); err != nil {
		if errors.Is(err, store.ErrNonceUsed) {
			return ltiRefusal(http.StatusUnauthorized, "this launch was used already. Launch Twelve from your LMS again.")
		}
		return err
	}
	if sp.LearnsDeployments && !slices.Contains(sp.Deployments, launch.DeploymentID) {
		// Its registration named no deployment: this one is the
		// platform's, as its signature says.
		if err := h.store.AddLTIDeployment(ctx, sp.ID, launch.DeploymentID); err != nil {
			return err
		}
	}
	return h.finishLTILaunch(c, sp, flow, launch)
}

// ltiFlowOf finds the flow a launch answers: the flow cookie named after
// its state, or the sealed flow the platform storage kept (posted back as
// lti_flow by the storage page). A launch with neither whose state says
// the platform keeps the flow gets that page, which asks the platform's
// storage for it and posts the launch again (answered is true). The flow
// cookie is cleared whatever happens: a state is used once.
func (h *Handler) ltiFlowOf(c *echo.Context, state, rawToken string) (flow ltiFlow, answered bool, err error) {
	name := ltiFlowCookie(state)
	sealed := ""
	if ck, err := h.cookie(c, name, ltiFlowPath); err == nil {
		sealed = ck.Value
		h.clearCookieFor(c, name, ltiFlowPath, true)
	} else if v := c.FormValue("lti_flow"); v != "" {
		sealed = v
	}
	if sealed == "" {
		if answered, err := h.ltiStorageRelaunch(c, state, rawToken); answered || err != nil {
			return ltiFlow{}, answered, err
		}
		return ltiFlow{}, false, ltiBadRequest("This browser has no launch in progress for this answer from the LMS: it may have been used already, taken longer than 10 minutes, or the browser refused this site's cookie. Launch Twelve from your LMS again.")
	}
	flow, err = h.lti.flows.Decode(sealed)
	if err != nil || !time.Now().Before(flow.Expires) {
		return ltiFlow{}, false, ltiBadRequest("The launch took longer than 10 minutes or could not be read. Launch Twelve from your LMS again.")
	}
	if flow.State != state {
		return ltiFlow{}, false, ltiBadRequest("The LMS's answer belongs to another launch (its state does not match). Launch Twelve from your LMS again.")
	}
	return flow, false, nil
}

// ltiStorageRelaunch answers a launch that came back without its flow
// cookie but whose state says the platform's storage holds the flow: a
// page that asks the storage for it (static/lti.js) and posts the launch
// again with it. It answers nothing (false, nil) when the state names no
// storage.
func (h *Handler) ltiStorageRelaunch(c *echo.Context, state, rawToken string) (answered bool, err error) {
	parts := strings.Split(state, ".")
	if len(parts) != 3 || !storageTargetRE.MatchString(parts[2]) {
		return false, nil
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || id <= 0 {
		return false, nil
	}
	p, err := h.store.LTIPlatformByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return false, errLTINotRegistered
	}
	if err != nil {
		return false, err
	}
	origin, ok := framing.Origin(urlOrigin(p.AuthURL))
	if !ok {
		return false, nil
	}
	page := h.page(c, "Checking your launch")
	page.Script = h.assets.Path("lti.js")
	return true, h.ok(c, views.LTIRelaunchPage(page, views.LTIRelaunchView{
		Action: ltiLaunchPath, IDToken: rawToken, State: state,
		Target: parts[2], PlatformOrigin: origin, Key: ltiStorageKey(state),
	}))
}

// ltiRefused answers a token the verifier refused: 401 with the reason
// for a defect of the token, 502 when the platform's keys could not be
// fetched.
func (h *Handler) ltiRefused(c *echo.Context, p lti.Platform, err error) error {
	h.logger.WarnContext(c.Request().Context(), "LTI launch refused", "platform_id", p.ID, "error", err.Error())
	var te *lti.TokenError
	switch {
	case errors.As(err, &te):
		return ltiRefusal(http.StatusUnauthorized, "the LMS's id_token was refused: "+te.Reason+".")
	case errors.Is(err, lti.ErrJWKS):
		name := p.Name
		if name == "" {
			name = p.Issuer
		}
		return &Error{Status: http.StatusBadGateway, Heading: "Your LMS did not answer",
			Message: "Twelve could not fetch the signing keys of " + name + " to check this launch. Try again in a minute; if it keeps happening, tell whoever runs your LMS."}
	case errors.Is(err, lti.ErrToken):
		return ltiRefusal(http.StatusUnauthorized, "the LMS's id_token could not be verified.")
	}
	return err
}

// ltiRefusal is a launch refused for reason.
func ltiRefusal(status int, reason string) error {
	return &Error{Status: status, Heading: "This launch could not be used", Message: "Twelve refused this launch: " + reason}
}

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
