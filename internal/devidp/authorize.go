package devidp

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oauth2-proxy/mockoidc"
)

// authRequest is a validated authorization request. The chooser page
// carries it through hidden fields, so the choice is validated again.
type authRequest struct {
	ClientID            string
	RedirectURI         string
	Scope               string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
}

// requestError is a reason to refuse an authorization request that is safe
// to show to the person signing in.
type requestError struct{ reason string }

func (e *requestError) Error() string { return "devidp: authorization request: " + e.reason }

func reject(format string, args ...any) error {
	return &requestError{reason: fmt.Sprintf(format, args...)}
}

// parseAuthRequest validates the parameters of an authorization request the
// way a real provider would before showing any page: an unknown client or a
// redirect_uri off this machine gets an error page, never a redirect.
func (s *Server) parseAuthRequest(form url.Values) (authRequest, error) {
	req := authRequest{
		ClientID:            form.Get("client_id"),
		RedirectURI:         form.Get("redirect_uri"),
		Scope:               strings.Join(strings.Fields(form.Get("scope")), " "),
		State:               form.Get("state"),
		Nonce:               form.Get("nonce"),
		CodeChallenge:       form.Get("code_challenge"),
		CodeChallengeMethod: form.Get("code_challenge_method"),
	}
	if req.ClientID != s.clientID {
		return req, reject("The app's client_id %q is not registered here; this provider knows only %q.", req.ClientID, s.clientID)
	}
	if _, err := loopbackURL(req.RedirectURI); err != nil {
		return req, err
	}
	if rt := form.Get("response_type"); rt != "code" {
		return req, reject("response_type must be \"code\" (the authorization code flow), not %q.", rt)
	}
	scopes := strings.Fields(req.Scope)
	if !slices.Contains(scopes, "openid") {
		return req, reject("scope must include \"openid\".")
	}
	for _, sc := range scopes {
		if !slices.Contains(mockoidc.ScopesSupported, sc) {
			return req, reject("scope %q is not supported; use %s.", sc, strings.Join(mockoidc.ScopesSupported, ", "))
		}
	}
	if req.State == "" {
		return req, reject("state is required.")
	}
	if req.CodeChallenge != "" || req.CodeChallengeMethod != "" {
		if req.CodeChallengeMethod != mockoidc.CodeChallengeMethodS256 {
			return req, reject("code_challenge_method must be S256, not %q.", req.CodeChallengeMethod)
		}
		if len(req.CodeChallenge) != 43 {
			return req, reject("code_challenge must be a base64url SHA-256 digest (43 characters).")
		}
	}
	return req, nil
}

// values is the request as form parameters, empty ones left out.
func (r authRequest) values() url.Values {
	v := url.Values{"response_type": {"code"}}
	for name, value := range map[string]string{
		"client_id":             r.ClientID,
		"redirect_uri":          r.RedirectURI,
		"scope":                 r.Scope,
		"state":                 r.State,
		"nonce":                 r.Nonce,
		"code_challenge":        r.CodeChallenge,
		"code_challenge_method": r.CodeChallengeMethod,
	} {
		if value != "" {
			v.Set(name, value)
		}
	}
	return v
}

// loopbackURL parses an absolute http(s) URL on localhost or a loopback IP,
// the only places devidp sends a browser.
func loopbackURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, reject("redirect_uri is required.")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, reject("redirect_uri is not a valid URL.")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, reject("redirect_uri must be an http or https URL.")
	}
	if u.User != nil || u.Fragment != "" || !isLoopbackHost(u.Hostname()) {
		return nil, reject("redirect_uri must point at this machine (localhost, 127.0.0.1 or [::1]) with no user or fragment.")
	}
	return u, nil
}

// showChooser answers GET /oidc/authorize with the account chooser.
func (s *Server) showChooser(w http.ResponseWriter, r *http.Request) {
	req, err := s.parseAuthRequest(r.URL.Query())
	if err != nil {
		s.renderRejection(w, err)
		return
	}
	s.renderChooser(w, req)
}

// chooseAccount answers the chooser's POST: it completes the authorization
// as the chosen account, or returns to the app with access_denied on cancel.
// A POST without a choice is an authorization request sent by form post
// (allowed by OpenID Connect) and gets the chooser.
func (s *Server) chooseAccount(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderRejection(w, reject("The form could not be read."))
		return
	}
	req, err := s.parseAuthRequest(r.PostForm)
	if err != nil {
		s.renderRejection(w, err)
		return
	}
	if r.PostForm.Has("cancel") {
		back, _ := loopbackURL(req.RedirectURI) // validated above
		http.Redirect(w, r, withQuery(back, url.Values{"error": {"access_denied"}, "state": {req.State}}), http.StatusFound)
		return
	}
	subject := r.PostForm.Get("subject")
	if subject == "" {
		s.renderChooser(w, req)
		return
	}
	account, ok := s.bySubject[subject]
	if !ok {
		s.renderRejection(w, reject("There is no account %q.", subject))
		return
	}

	// mockoidc reads the request's parameters from r.Form; give it exactly
	// the validated ones.
	r.Form = req.values()
	rec := newRecorder()
	s.mu.Lock()
	// mockoidc signs in whoever is first in its user queue. A queue holding
	// only this account, swapped in under s.mu, means no other request can
	// take this identity or leave one behind for this request.
	s.lib.UserQueue = &mockoidc.UserQueue{Queue: []mockoidc.User{user{account}}}
	s.lib.Authorize(rec, r)
	if code := codeFromRedirect(rec); code != "" {
		s.grants[code] = grant{redirectURI: req.RedirectURI, pkce: req.CodeChallenge != ""}
	}
	s.mu.Unlock()
	rec.writeTo(w)
}

// codeFromRedirect returns the authorization code in a recorded redirect,
// or "" when mockoidc did not redirect.
func codeFromRedirect(rec *recorder) string {
	if rec.status != http.StatusFound {
		return ""
	}
	u, err := url.Parse(rec.header.Get("Location"))
	if err != nil {
		return ""
	}
	return u.Query().Get("code")
}

// withQuery returns u with params added to its query.
func withQuery(u *url.URL, params url.Values) string {
	q := u.Query()
	for name, vs := range params {
		for _, v := range vs {
			if v != "" {
				q.Add(name, v)
			}
		}
	}
	out := *u
	out.RawQuery = q.Encode()
	return out.String()
}
