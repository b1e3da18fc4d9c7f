package ltiplatform

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// accessToken is an issued service token.
type accessToken struct {
	client  string
	scopes  []string
	expires time.Time
}

// issueToken (POST /token) is the client credentials grant with a
// private_key_jwt client assertion, checked against the client's JWKS.
func (p *Platform) issueToken(w http.ResponseWriter, r *http.Request) {
	if _, down := p.take(TokenDown); down {
		p.refuse(w, r, http.StatusServiceUnavailable, "token endpoint down (misbehaviour)")
		return
	}
	if err := r.ParseForm(); err != nil {
		p.tokenError(w, r, "invalid_request", "the form could not be read")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "client_credentials" {
		p.tokenError(w, r, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	if f.Get("client_assertion_type") != assertionType {
		p.tokenError(w, r, "invalid_client", "client_assertion_type must be "+assertionType)
		return
	}
	raw := f.Get("client_assertion")
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		p.tokenError(w, r, "invalid_client", "client_assertion is not a JWT")
		return
	}
	var peek jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&peek); err != nil {
		p.tokenError(w, r, "invalid_client", "client_assertion claims unreadable")
		return
	}
	reg, ok := p.Registration(peek.Issuer)
	if !ok {
		p.tokenError(w, r, "invalid_client", "unknown client "+peek.Issuer)
		return
	}
	var std jwt.Claims
	want := jwt.Expected{Issuer: reg.ClientID, Subject: reg.ClientID, AnyAudience: jwt.Audience{p.TokenURL(), p.issuer}}
	if err := p.verifyToolJWT(r.Context(), raw, &reg, want, &std); err != nil {
		p.tokenError(w, r, "invalid_client", "client_assertion: "+err.Error())
		return
	}
	if std.ID == "" {
		p.tokenError(w, r, "invalid_client", "client_assertion: jti is required")
		return
	}
	scopes, bad := grantable(strings.Fields(f.Get("scope")), reg.Scopes)
	if bad != "" {
		p.tokenError(w, r, "invalid_scope", "scope not granted to this tool: "+bad)
		return
	}
	now := p.now()
	token := randomID()
	p.mu.Lock()
	for jti, exp := range p.st.jtis {
		if now.After(exp) {
			delete(p.st.jtis, jti)
		}
	}
	if _, used := p.st.jtis[reg.ClientID+" "+std.ID]; used {
		p.mu.Unlock()
		p.tokenError(w, r, "invalid_client", "client_assertion: jti already used")
		return
	}
	p.st.jtis[reg.ClientID+" "+std.ID] = std.Expiry.Time().Add(time.Minute)
	p.st.tokens[token] = accessToken{client: reg.ClientID, scopes: scopes, expires: now.Add(p.tokenTTL)}
	p.st.tokenRequests++
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"access_token": token,
		"token_type":   "Bearer",
		"expires_in":   int(p.tokenTTL.Seconds()),
		"scope":        strings.Join(scopes, " "),
	})
}

// grantable checks asked scopes against allowed ones; it returns the first
// refused scope.
func grantable(asked, allowed []string) ([]string, string) {
	if len(asked) == 0 {
		return nil, "(none asked)"
	}
	for _, s := range asked {
		if !slices.Contains(allowed, s) {
			return nil, s
		}
	}
	return asked, ""
}

func (p *Platform) tokenError(w http.ResponseWriter, r *http.Request, code, reason string) {
	p.log.Info("refused", "method", r.Method, "path", r.URL.Path, "status", http.StatusBadRequest, "reason", reason)
	status := http.StatusBadRequest
	if code == "invalid_client" {
		status = http.StatusUnauthorized
	}
	writeJSON(w, status, "application/json", map[string]string{"error": code, "error_description": reason})
}

// TokenRequests counts the access tokens issued, to check tools cache them.
func (p *Platform) TokenRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st.tokenRequests
}

// authorizeService checks the request's Bearer token for one of scopes;
// on failure it has answered 401 or 403.
func (p *Platform) authorizeService(w http.ResponseWriter, r *http.Request, scopes ...string) bool {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		w.Header().Set("WWW-Authenticate", `Bearer`)
		p.refuse(w, r, http.StatusUnauthorized, "a Bearer access token is required")
		return false
	}
	p.mu.Lock()
	tok, found := p.st.tokens[raw]
	p.mu.Unlock()
	if !found || p.now().After(tok.expires) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		p.refuse(w, r, http.StatusUnauthorized, "unknown or expired access token")
		return false
	}
	for _, s := range scopes {
		if slices.Contains(tok.scopes, s) {
			return true
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope"`)
	p.refuse(w, r, http.StatusForbidden, "the access token lacks the scope "+scopes[0])
	return false
}
