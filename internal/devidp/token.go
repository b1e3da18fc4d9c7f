package devidp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// exchangeToken is the token endpoint. mockoidc checks the client, the code
// and the PKCE verifier and signs the tokens; devidp adds client_secret_basic,
// binds the code to its redirect_uri, rejects a verifier for a code issued
// without a challenge, reports expires_in in seconds and applies any pending
// Misbehaviour.
func (s *Server) exchangeToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the form body could not be read")
		return
	}
	if id, secret, ok := r.BasicAuth(); ok {
		if r.PostForm.Has("client_secret") {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "use one client authentication method, not two")
			return
		}
		// RFC 6749 section 2.3.1: both parts are form-encoded before being
		// put in the Basic header.
		id, errID := url.QueryUnescape(id)
		secret, errSecret := url.QueryUnescape(secret)
		if errID != nil || errSecret != nil {
			writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "malformed client credentials")
			return
		}
		// mockoidc reads the credentials from r.Form only.
		r.Form.Set("client_id", id)
		r.Form.Set("client_secret", secret)
	}

	rec := newRecorder()
	s.mu.Lock()
	code := r.Form.Get("code")
	g, known := s.grants[code]
	if r.Form.Get("grant_type") == "authorization_code" && known {
		if r.Form.Get("redirect_uri") != g.redirectURI {
			s.mu.Unlock()
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
			return
		}
		if !g.pkce && r.Form.Has("code_verifier") {
			s.mu.Unlock()
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier sent for a code issued without code_challenge")
			return
		}
	}
	s.lib.Token(rec, r)
	misbehaviour := NoMisbehaviour
	if rec.status == http.StatusOK {
		delete(s.grants, code)
		misbehaviour, s.next = s.next, NoMisbehaviour
	}
	s.mu.Unlock()

	if rec.status != http.StatusOK {
		rec.writeTo(w)
		return
	}
	body, err := s.finishTokenResponse(rec.body.Bytes(), misbehaviour)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "the tokens could not be issued")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// finishTokenResponse corrects mockoidc's expires_in, which it marshals as
// a time.Duration in nanoseconds, and spoils the ID token if asked to.
func (s *Server) finishTokenResponse(body []byte, m Misbehaviour) ([]byte, error) {
	var resp map[string]any
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("devidp: token response: %w", err)
	}
	resp["expires_in"] = int64(s.lib.AccessTTL.Seconds())
	if idToken, ok := resp["id_token"].(string); ok && m != NoMisbehaviour {
		spoilt, err := s.spoil(idToken, m)
		if err != nil {
			return nil, err
		}
		resp["id_token"] = spoilt
	}
	out, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("devidp: token response: %w", err)
	}
	return out, nil
}

// showUserinfo is mockoidc's userinfo endpoint, serialised.
func (s *Server) showUserinfo(w http.ResponseWriter, r *http.Request) {
	rec := newRecorder()
	s.mu.Lock()
	s.lib.Userinfo(rec, r)
	s.mu.Unlock()
	if rec.status == http.StatusUnauthorized {
		rec.header.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	rec.writeTo(w)
}

// recorder captures a mockoidc handler's response so that the call can run
// under Server.mu without holding it during network writes, and so devidp
// can look at or amend the response first.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

// writeTo replays the recorded response. A failed write means the client
// has gone; there is no one left to tell.
func (r *recorder) writeTo(w http.ResponseWriter) {
	for name, values := range r.header {
		w.Header()[name] = values
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeOAuthError writes an RFC 6749 section 5.2 error response.
func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	body, err := json.Marshal(map[string]string{"error": code, "error_description": description})
	if err != nil {
		http.Error(w, code, http.StatusInternalServerError)
		return
	}
	writeJSON(w, status, body)
}
