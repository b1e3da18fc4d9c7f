package lti

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testPlatform is an LMS for the tests: it signs id_tokens, publishes its
// JWKS, and answers the client credentials grant (checking the tool's
// client assertion against the tool's public keys), line items, scores and
// memberships, all over real HTTP.
type testPlatform struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	keys        []*rsa.PrivateKey // published; the first signs
	jwksDown    bool
	jwksFetches int
	toolJWKS    jose.JSONWebKeySet
	clientID    string
	tokenLife   int
	audience    string          // the aud its token endpoint expects; "" is its URL
	tokens      map[string]bool // valid access tokens
	tokenCalls  int
	tokenScopes []string
	revokeAll   bool // the next service call answers 401 for every token issued so far
	rejectAll   bool // every service call answers 401
	lineItems   []LineItem
	pageSize    int
	scores      []recordedScore
	members     []Member
	status      int // when non-zero, every service call answers it
	retryAfter  string
	serviceHits int
}

type recordedScore struct {
	ContentType string
	Path        string
	Query       string
	Body        map[string]any
}

func newTestPlatform(t *testing.T) *testPlatform {
	t.Helper()
	p := &testPlatform{t: t, keys: []*rsa.PrivateKey{mustKey(t)}, clientID: "tool-1", tokenLife: 3600,
		tokens: map[string]bool{}, pageSize: 2}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", p.serveJWKS)
	mux.HandleFunc("POST /token", p.serveToken)
	mux.HandleFunc("GET /lineitems", p.authorized(p.listLineItems))
	mux.HandleFunc("POST /lineitems", p.authorized(p.createLineItem))
	mux.HandleFunc("POST /lineitems/{id}/scores", p.authorized(p.postScore))
	mux.HandleFunc("GET /memberships", p.authorized(p.listMembers))
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testPlatform) platform() Platform {
	return Platform{ID: 7, Issuer: p.srv.URL, ClientID: p.clientID, Name: "Test LMS",
		AuthURL: p.srv.URL + "/auth", TokenURL: p.srv.URL + "/token", JWKSURL: p.srv.URL + "/jwks",
		Deployments: []string{"dep-1"}}
}

func mustKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func kidOf(t *testing.T, k *rsa.PrivateKey) string {
	t.Helper()
	kid, err := Thumbprint(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return kid
}

func (p *testPlatform) serveJWKS(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jwksFetches++
	if p.jwksDown {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	var set jose.JSONWebKeySet
	for _, k := range p.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kidOf(p.t, k), Algorithm: "RS256", Use: "sig"})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(set)
}

func (p *testPlatform) fetches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksFetches
}

// sign signs claims with key under kid.
func sign(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// signLaunch signs claims with the platform's current signing key.
func (p *testPlatform) signLaunch(claims map[string]any) string {
	p.mu.Lock()
	k := p.keys[0]
	p.mu.Unlock()
	return sign(p.t, k, kidOf(p.t, k), claims)
}

// serveToken is the client credentials grant with a private_key_jwt
// client assertion, checked with the tool's published keys.
func (p *testPlatform) serveToken(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenCalls++
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" ||
		r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
		return
	}
	tok, err := jwt.ParseSigned(r.PostForm.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusBadRequest)
		return
	}
	keys := p.toolJWKS.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		http.Error(w, `{"error":"invalid_client","error_description":"unknown kid"}`, http.StatusBadRequest)
		return
	}
	var c jwt.Claims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		http.Error(w, `{"error":"invalid_client","error_description":"bad signature"}`, http.StatusBadRequest)
		return
	}
	aud := p.srv.URL + "/token"
	if p.audience != "" {
		aud = p.audience
	}
	if err := c.Validate(jwt.Expected{Issuer: p.clientID, Subject: p.clientID,
		AnyAudience: jwt.Audience{aud}, Time: time.Now()}); err != nil || c.ID == "" {
		http.Error(w, `{"error":"invalid_client","error_description":"bad claims"}`, http.StatusBadRequest)
		return
	}
	p.tokenScopes = append(p.tokenScopes, r.PostForm.Get("scope"))
	value := fmt.Sprintf("token-%d", p.tokenCalls)
	p.tokens[value] = true
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":%d,"scope":%q}`,
		value, p.tokenLife, r.PostForm.Get("scope"))
}

func (p *testPlatform) authorized(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.serviceHits++
		if p.revokeAll {
			p.tokens = map[string]bool{}
			p.revokeAll = false
		}
		ok := p.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] && !p.rejectAll
		status, retryAfter := p.status, p.retryAfter
		p.mu.Unlock()
		switch {
		case !ok:
			http.Error(w, "invalid token", http.StatusUnauthorized)
		case status != 0:
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			http.Error(w, "platform says "+strconv.Itoa(status), status)
		default:
			h(w, r)
		}
	}
}

// page answers items[offset:offset+pageSize] with a Link to the next page.
func (p *testPlatform) page(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	hi = min(offset+p.pageSize, n)
	if hi < n {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(hi))
		w.Header().Add("Link", fmt.Sprintf(`<%s?%s>; rel="next", <%s>; rel="first"`, r.URL.Path, q.Encode(), r.URL.Path))
	}
	return min(offset, n), hi
}

func (p *testPlatform) listLineItems(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var items []LineItem
	for _, li := range p.lineItems {
		if rid := r.URL.Query().Get("resource_id"); rid == "" || rid == li.ResourceID {
			items = append(items, li)
		}
	}
	lo, hi := p.page(w, r, len(items))
	w.Header().Set("Content-Type", mediaLineItemContainer)
	json.NewEncoder(w).Encode(append([]LineItem{}, items[lo:hi]...))
}

func (p *testPlatform) createLineItem(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Header.Get("Content-Type") != mediaLineItem {
		http.Error(w, "wrong content type", http.StatusUnsupportedMediaType)
		return
	}
	var li LineItem
	if err := json.NewDecoder(r.Body).Decode(&li); err != nil || li.Label == "" {
		http.Error(w, "bad line item", http.StatusBadRequest)
		return
	}
	li.ID = fmt.Sprintf("%s/lineitems/%d", p.srv.URL, len(p.lineItems)+1)
	p.lineItems = append(p.lineItems, li)
	w.Header().Set("Content-Type", mediaLineItem)
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(li)
}

func (p *testPlatform) postScore(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "bad score", http.StatusBadRequest)
		return
	}
	p.scores = append(p.scores, recordedScore{ContentType: r.Header.Get("Content-Type"), Path: r.URL.Path,
		Query: r.URL.RawQuery, Body: body})
	w.WriteHeader(http.StatusNoContent)
}

func (p *testPlatform) listMembers(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	lo, hi := p.page(w, r, len(p.members))
	w.Header().Set("Content-Type", mediaMembershipContainer)
	json.NewEncoder(w).Encode(map[string]any{
		"id":      p.srv.URL + r.URL.String(),
		"context": map[string]string{"id": "ctx-1", "title": "Course"},
		"members": append([]Member{}, p.members[lo:hi]...),
	})
}
