package ltiplatform

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// fakeTool is a minimal LTI tool over real HTTP: it initiates logins,
// verifies launches with the platform's JWKS (the checks a tool must make)
// and answers the verified claims as JSON, publishes its own key and signs
// client assertions and deep linking responses.
type fakeTool struct {
	t        *testing.T
	srv      *httptest.Server
	key      *rsa.PrivateKey
	kid      string
	platform func() *Platform

	mu       sync.Mutex
	flows    map[string]string // state → nonce
	logins   []url.Values
	idTokens []string
}

func newFakeTool(t *testing.T) *fakeTool {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ft := &fakeTool{t: t, key: key, kid: "tool-key-1", flows: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/lti/login", ft.login)
	mux.HandleFunc("POST /lti/launch", ft.launch)
	mux.HandleFunc("GET /lti/jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: ft.kid, Algorithm: "RS256", Use: "sig"}}})
	})
	ft.srv = httptest.NewServer(mux)
	t.Cleanup(ft.srv.Close)
	return ft
}

// newPlatform starts a platform for tool over real HTTP.
func newPlatform(t *testing.T, tool *fakeTool, edit func(*Options)) (*Platform, *httptest.Server) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	o := Options{Issuer: "http://" + srv.Listener.Addr().String(), ToolURL: tool.srv.URL}
	if edit != nil {
		edit(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = p.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	tool.platform = func() *Platform { return p }
	return p, srv
}

func (ft *fakeTool) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	ft.mu.Lock()
	ft.logins = append(ft.logins, r.Form)
	state, nonce := rand.Text(), rand.Text()
	ft.flows[state] = nonce
	ft.mu.Unlock()
	p := ft.platform()
	q := url.Values{
		"scope": {"openid"}, "response_type": {"id_token"}, "response_mode": {"form_post"}, "prompt": {"none"},
		"client_id": {r.Form.Get("client_id")}, "redirect_uri": {ft.srv.URL + "/lti/launch"},
		"login_hint": {r.Form.Get("login_hint")}, "lti_message_hint": {r.Form.Get("lti_message_hint")},
		"state": {state}, "nonce": {nonce},
	}
	http.Redirect(w, r, p.AuthURL()+"?"+q.Encode(), http.StatusFound)
}

// launch verifies the id_token as a tool must and answers its claims, or
// 401 with the reason.
func (ft *fakeTool) launch(w http.ResponseWriter, r *http.Request) {
	ft.mu.Lock()
	ft.idTokens = append(ft.idTokens, r.PostFormValue("id_token"))
	ft.mu.Unlock()
	claims, err := ft.verifyLaunch(r.Context(), r.PostFormValue("id_token"), r.PostFormValue("state"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(claims)
}

func (ft *fakeTool) verifyLaunch(ctx context.Context, raw, state string) (map[string]any, error) {
	p := ft.platform()
	ft.mu.Lock()
	nonce, ok := ft.flows[state]
	delete(ft.flows, state)
	ft.mu.Unlock()
	if !ok {
		return nil, errString("unknown state")
	}
	set, err := fetchJWKS(ctx, p.JWKSURL())
	if err != nil {
		return nil, err
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) == 0 {
		return nil, errString("unknown kid")
	}
	var std jwt.Claims
	var all map[string]any
	if err := tok.Claims(keys[0].Key, &std, &all); err != nil {
		return nil, errString("signature: " + err.Error())
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: p.Issuer(), AnyAudience: jwt.Audience{p.ClientID()}, Time: time.Now()}, time.Minute); err != nil {
		return nil, err
	}
	if all["nonce"] != nonce {
		return nil, errString("nonce mismatch")
	}
	return all, nil
}

type errString string

func (e errString) Error() string { return string(e) }

func fetchJWKS(ctx context.Context, u string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return set, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return set, errString("jwks: " + resp.Status)
	}
	err = json.NewDecoder(resp.Body).Decode(&set)
	return set, err
}

// sign signs claims with the tool's key.
func (ft *fakeTool) sign(t *testing.T, claims any) string {
	t.Helper()
	s, err := signJWT(ft.key, ft.kid, claims)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// assertion is a client assertion for the token endpoint.
func (ft *fakeTool) assertion(t *testing.T, p *Platform, clientID string) string {
	now := time.Now()
	return ft.sign(t, map[string]any{
		"iss": clientID, "sub": clientID, "aud": p.TokenURL(), "jti": rand.Text(),
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	})
}

// token gets an access token for scopes.
func (ft *fakeTool) token(t *testing.T, p *Platform, scopes ...string) string {
	t.Helper()
	resp, body := postForm(t, p.TokenURL(), url.Values{
		"grant_type": {"client_credentials"}, "client_assertion_type": {assertionType},
		"client_assertion": {ft.assertion(t, p, p.ClientID())}, "scope": {strings.Join(scopes, " ")},
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %s %s", resp.Status, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func postForm(t *testing.T, u string, v url.Values) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// do sends a service request with a Bearer token.
func do(t *testing.T, method, u, token, mediaType string, body any) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if mediaType != "" {
		req.Header.Set("Content-Type", mediaType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// browser is an http.Client with a cookie jar.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

// launch runs DoLaunch and decodes the tool's answer: the verified claims,
// or the refusal's text.
func launch(t *testing.T, p *Platform, o LaunchOptions) (int, map[string]any, string) {
	t.Helper()
	resp, err := p.DoLaunch(context.Background(), browser(t), o)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var claims map[string]any
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &claims); err != nil {
			t.Fatalf("launch answer: %v: %s", err, body)
		}
	}
	return resp.StatusCode, claims, string(body)
}

// lastClaims decodes the last id_token the tool received without checking
// its signature.
func (ft *fakeTool) lastClaims(t *testing.T) map[string]any {
	t.Helper()
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if len(ft.idTokens) == 0 {
		t.Fatal("the tool received no id_token")
	}
	tok, err := jwt.ParseSigned(ft.idTokens[len(ft.idTokens)-1], []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	return c
}
