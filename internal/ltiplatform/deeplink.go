package ltiplatform

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// DeepLinkItem is a content item a tool returned by deep linking, now a
// resource link in the course.
type DeepLinkItem struct {
	// LinkID is the resource link id the platform gave it (dl-1, dl-2, …);
	// launch it with LaunchOptions{Link: LinkID}.
	LinkID string            `json:"linkId"`
	Type   string            `json:"type"`
	Title  string            `json:"title,omitempty"`
	Text   string            `json:"text,omitempty"`
	URL    string            `json:"url,omitempty"`
	Custom map[string]string `json:"custom,omitempty"`
	// LineItem is the line item made for it, when it asked for one.
	LineItem *LineItem `json:"lineItem,omitempty"`
}

// contentItem is an item as the tool sends it.
type contentItem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Text     string            `json:"text"`
	URL      string            `json:"url"`
	Custom   map[string]string `json:"custom"`
	LineItem *struct {
		Label        string  `json:"label"`
		ScoreMaximum float64 `json:"scoreMaximum"`
		ResourceID   string  `json:"resourceId"`
		Tag          string  `json:"tag"`
	} `json:"lineItem"`
}

// dlResponse is the deep linking response's LTI claims.
type dlResponse struct {
	Nonce       string        `json:"nonce"`
	MessageType string        `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
	Version     string        `json:"https://purl.imsglobal.org/spec/lti/claim/version"`
	Deployment  string        `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
	Data        string        `json:"https://purl.imsglobal.org/spec/lti-dl/claim/data"`
	Items       []contentItem `json:"https://purl.imsglobal.org/spec/lti-dl/claim/content_items"`
	ErrorMsg    string        `json:"https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"`
}

// DeepLinkItems returns the items deep linking added, oldest first.
func (p *Platform) DeepLinkItems() []DeepLinkItem {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]DeepLinkItem(nil), p.st.deepLinks...)
}

func (p *Platform) deepLinkLocked(linkID string) (DeepLinkItem, bool) {
	for _, item := range p.st.deepLinks {
		if item.LinkID == linkID {
			return item, true
		}
	}
	return DeepLinkItem{}, false
}

// issueDeepLinkData is the data value of a deep linking request; the
// response must echo it, once.
func (p *Platform) issueDeepLinkData() string {
	data := randomID()
	p.mu.Lock()
	p.st.dlData[data] = false
	p.mu.Unlock()
	return data
}

// returnDeepLink (POST /deeplink/return) takes the tool's signed
// LtiDeepLinkingResponse, adds its items to the course and makes a line
// item for each item that asks for one.
func (p *Platform) returnDeepLink(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.refuse(w, r, http.StatusBadRequest, "the form could not be read")
		return
	}
	items, err := p.checkDeepLinkResponse(r, r.PostForm.Get("JWT"))
	if err != nil {
		p.refuse(w, r, http.StatusBadRequest, "deep linking response refused: "+err.Error())
		return
	}
	pg := struct {
		page
		Items []DeepLinkItem
	}{page: page{Title: "Content added", Course: ContextTitle}, Items: items}
	p.render(w, http.StatusOK, "deeplinked", "", func(n string) any { pg.Nonce = n; return pg })
}

// checkDeepLinkResponse verifies the response JWT and records its items.
func (p *Platform) checkDeepLinkResponse(r *http.Request, raw string) ([]DeepLinkItem, error) {
	if raw == "" {
		return nil, errors.New("no JWT field")
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("not an RS256 JWT: %v", err)
	}
	var peek jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&peek); err != nil {
		return nil, errors.New("claims unreadable")
	}
	reg, ok := p.Registration(peek.Issuer)
	if !ok {
		return nil, fmt.Errorf("iss %q is no registered client_id", peek.Issuer)
	}
	var c dlResponse
	if err := p.verifyToolJWT(r.Context(), raw, &reg, jwt.Expected{Issuer: reg.ClientID, AnyAudience: jwt.Audience{p.issuer}}, &c); err != nil {
		return nil, err
	}
	switch {
	case c.MessageType != messageDLResponse:
		return nil, fmt.Errorf("message_type %q, want %s", c.MessageType, messageDLResponse)
	case c.Version != "1.3.0":
		return nil, fmt.Errorf("version %q, want 1.3.0", c.Version)
	case c.Deployment != reg.DeploymentID:
		return nil, fmt.Errorf("deployment_id %q, want %q", c.Deployment, reg.DeploymentID)
	case c.Nonce == "":
		return nil, errors.New("nonce is required")
	case c.ErrorMsg != "":
		return nil, fmt.Errorf("the tool reports an error: %s", c.ErrorMsg)
	}
	for i, it := range c.Items {
		if it.Type != "ltiResourceLink" {
			return nil, fmt.Errorf("content item %d: type %q is not accepted (ltiResourceLink only)", i, it.Type)
		}
		if it.URL != "" {
			if err := checkURL(it.URL); err != nil {
				return nil, fmt.Errorf("content item %d: url %v", i, err)
			}
		}
		if it.LineItem != nil && !(it.LineItem.ScoreMaximum > 0) {
			return nil, fmt.Errorf("content item %d: lineItem.scoreMaximum must be positive", i)
		}
	}
	return p.addDeepLinks(reg, c)
}

// addDeepLinks records the items once the response's nonce and data are
// known to be fresh.
func (p *Platform) addDeepLinks(reg Registration, c dlResponse) ([]DeepLinkItem, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.st.dlNonces[reg.ClientID+" "+c.Nonce] {
		return nil, errors.New("nonce already used (replayed response)")
	}
	if used, issued := p.st.dlData[c.Data]; !issued || used {
		return nil, errors.New("data does not echo a deep linking request of this platform, or was used already")
	}
	p.st.dlNonces[reg.ClientID+" "+c.Nonce] = true
	p.st.dlData[c.Data] = true
	added := make([]DeepLinkItem, 0, len(c.Items))
	for _, it := range c.Items {
		item := DeepLinkItem{
			LinkID: fmt.Sprintf("dl-%d", len(p.st.deepLinks)+1),
			Type:   it.Type, Title: it.Title, Text: it.Text, URL: it.URL, Custom: it.Custom,
		}
		if it.LineItem != nil {
			li := p.addLineItemLocked(LineItem{
				Label: cmpOr(it.LineItem.Label, it.Title), ScoreMaximum: it.LineItem.ScoreMaximum,
				ResourceID: it.LineItem.ResourceID, ResourceLinkID: item.LinkID, Tag: it.LineItem.Tag,
			})
			copied := *li
			item.LineItem = &copied
		}
		p.st.deepLinks = append(p.st.deepLinks, item)
		added = append(added, item)
	}
	return added, nil
}
