package lti

import (
	"errors"
	"net/url"
	"strings"
)

// LoginRequest is the platform's third-party initiated login, sent to the
// tool's login URL as a GET query or a POST form.
type LoginRequest struct {
	Issuer        string // iss
	LoginHint     string // login_hint
	TargetLinkURI string // target_link_uri
	MessageHint   string // lti_message_hint
	ClientID      string // client_id (optional)
	DeploymentID  string // lti_deployment_id (optional)
	StorageTarget string // lti_storage_target (optional: platform storage)
}

// ParseLoginRequest reads a login initiation; iss, login_hint and
// target_link_uri are required. Its errors are safe to show.
func ParseLoginRequest(v url.Values) (LoginRequest, error) {
	r := LoginRequest{
		Issuer:        strings.TrimSpace(v.Get("iss")),
		LoginHint:     v.Get("login_hint"),
		TargetLinkURI: strings.TrimSpace(v.Get("target_link_uri")),
		MessageHint:   v.Get("lti_message_hint"),
		ClientID:      strings.TrimSpace(v.Get("client_id")),
		DeploymentID:  v.Get("lti_deployment_id"),
		StorageTarget: v.Get("lti_storage_target"),
	}
	var missing []string
	if r.Issuer == "" {
		missing = append(missing, "iss")
	}
	if r.LoginHint == "" {
		missing = append(missing, "login_hint")
	}
	if r.TargetLinkURI == "" {
		missing = append(missing, "target_link_uri")
	}
	if len(missing) > 0 {
		return LoginRequest{}, errors.New("lti: the login request lacks " + strings.Join(missing, ", "))
	}
	return r, nil
}

// AuthRedirect is the platform's authorization URL for the OIDC
// authentication request answering r: an implicit-flow id_token posted back
// to redirectURI, without prompting the user.
func AuthRedirect(p Platform, r LoginRequest, redirectURI, state, nonce string) string {
	q := url.Values{
		"scope":         {"openid"},
		"response_type": {"id_token"},
		"response_mode": {"form_post"},
		"prompt":        {"none"},
		"client_id":     {p.ClientID},
		"redirect_uri":  {redirectURI},
		"login_hint":    {r.LoginHint},
		"state":         {state},
		"nonce":         {nonce},
	}
	if r.MessageHint != "" {
		q.Set("lti_message_hint", r.MessageHint)
	}
	u, err := url.Parse(p.AuthURL)
	if err != nil {
		return p.AuthURL + "?" + q.Encode()
	}
	// Keep whatever query the platform's auth URL already carries.
	existing := u.Query()
	for k, vs := range q {
		existing[k] = vs
	}
	u.RawQuery = existing.Encode()
	return u.String()
}
