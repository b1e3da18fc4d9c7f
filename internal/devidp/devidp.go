// Package devidp is a local OpenID Connect provider for development and
// tests. It wraps github.com/oauth2-proxy/mockoidc, which issues and signs
// the tokens, behind an account chooser page, and adds what mockoidc lacks:
// client_secret_basic, an end_session_endpoint, redirect_uri checks,
// concurrency safety and deliberately broken ID tokens for relying-party
// tests (see Server.MisbehaveNext).
//
// It only ever listens on and redirects to loopback addresses.
package devidp

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/oauth2-proxy/mockoidc"
)

// DefaultClientID is the client_id a zero Options registers.
const DefaultClientID = "twelve-dev"

// DefaultClientSecret is the client secret a zero Options registers.
const DefaultClientSecret = "twelve-dev-secret"

// endSessionPath is served by devidp itself; the other endpoint paths are
// mockoidc's.
const endSessionPath = mockoidc.IssuerBase + "/logout"

// Account is a person who can sign in at the chooser page.
type Account struct {
	Subject string   // the sub claim; unique among a Server's accounts
	Email   string   // the email claim, always reported verified
	Name    string   // the name claim
	Groups  []string // the groups claim; the first names the role on the chooser
}

// DemoAccounts returns two students and an instructor.
func DemoAccounts() []Account {
	return []Account{
		{Subject: "student-ada", Email: "ada@example.edu", Name: "Ada Lovelace", Groups: []string{"students"}},
		{Subject: "student-brook", Email: "brook@example.edu", Name: "Brook Taylor", Groups: []string{"students"}},
		{Subject: "instructor-ines", Email: "ines@example.edu", Name: "Ines Instructor", Groups: []string{"instructors"}},
	}
}

// Options configures a Server. Empty fields take the defaults noted.
type Options struct {
	// Issuer is the plain-http loopback URL the handler is served at, such
	// as http://127.0.0.1:5556. mockoidc serves its endpoints under the
	// fixed prefix /oidc, so the issuer identifier in tokens and discovery
	// is this URL plus /oidc; Server.Issuer reports it, and giving the /oidc
	// form here is accepted too. Required by New; Listen fills it in.
	Issuer string
	// ClientID defaults to DefaultClientID.
	ClientID string
	// ClientSecret defaults to DefaultClientSecret.
	ClientSecret string
	// Accounts defaults to DemoAccounts().
	Accounts []Account
}

// Server is a development OpenID Connect provider for one client.
type Server struct {
	origin       string // scheme://host:port, no trailing slash
	clientID     string
	clientSecret string
	accounts     []Account
	bySubject    map[string]Account
	pages        *template.Template
	signingKey   *rsa.PrivateKey
	keyID        string
	discovery    []byte
	jwks         []byte
	handler      http.Handler

	// mu serialises every call into lib, whose session map and user queue
	// are not safe for concurrent use, and guards the fields below.
	mu     sync.Mutex
	lib    *mockoidc.MockOIDC
	grants map[string]grant // by authorization code
	next   Misbehaviour
}

// grant is what devidp remembers about an issued authorization code beyond
// what mockoidc keeps.
type grant struct {
	redirectURI string
	pkce        bool
}

// New builds a Server with a fresh RSA signing key. It does not listen; serve
// Handler at opts.Issuer.
func New(opts Options) (*Server, error) {
	origin, err := parseIssuer(opts.Issuer)
	if err != nil {
		return nil, err
	}
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	if opts.Accounts == nil {
		opts.Accounts = DemoAccounts()
	}
	bySubject, err := indexAccounts(opts.Accounts)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("devidp: generate signing key: %w", err)
	}
	lib, err := mockoidc.NewServer(key)
	if err != nil {
		return nil, fmt.Errorf("devidp: mockoidc: %w", err)
	}
	lib.ClientID = opts.ClientID
	lib.ClientSecret = opts.ClientSecret
	lib.CodeChallengeMethodsSupported = []string{mockoidc.CodeChallengeMethodS256}
	// mockoidc derives its issuer from Server.Addr and only sets that field
	// in Start, which would also listen on a port of its own choosing. The
	// http.Server is never started: devidp serves lib's handlers itself.
	lib.Server = &http.Server{Addr: strings.TrimPrefix(origin, "http://")}
	// KeyID caches the kid in the Keypair on first use; do it now, before
	// any concurrent reader.
	kid, err := lib.Keypair.KeyID()
	if err != nil {
		return nil, fmt.Errorf("devidp: key id: %w", err)
	}
	jwks, err := lib.Keypair.JWKS()
	if err != nil {
		return nil, fmt.Errorf("devidp: jwks: %w", err)
	}

	s := &Server{
		origin:       origin,
		clientID:     opts.ClientID,
		clientSecret: opts.ClientSecret,
		accounts:     append([]Account(nil), opts.Accounts...),
		bySubject:    bySubject,
		pages:        pages,
		signingKey:   key,
		keyID:        kid,
		jwks:         jwks,
		lib:          lib,
		grants:       make(map[string]grant),
	}
	if s.discovery, err = s.buildDiscovery(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Listen binds addr, which must name a loopback host (127.0.0.1, [::1] or
// localhost; port 0 picks a free port), and builds a Server for it. When
// opts.Issuer is empty it becomes http://<host>:<bound port>. The caller
// serves Server.Handler on the listener, for example with http.Server.Serve.
func Listen(addr string, opts Options) (*Server, net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("devidp: listen: %w", err)
	}
	if !isLoopbackHost(host) {
		return nil, nil, fmt.Errorf("devidp: listen: host %q is not loopback (use 127.0.0.1, [::1] or localhost)", host)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("devidp: listen: %w", err)
	}
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		_ = ln.Close()
		return nil, nil, fmt.Errorf("devidp: listen: bound %s, which is not loopback", ln.Addr())
	}
	if opts.Issuer == "" {
		opts.Issuer = "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
	}
	s, err := New(opts)
	if err != nil {
		_ = ln.Close()
		return nil, nil, err
	}
	return s, ln, nil
}

// Handler serves every endpoint; mount it at the root of Options.Issuer.
func (s *Server) Handler() http.Handler { return s.handler }

// Issuer is the OpenID issuer identifier: the iss claim, and the URL whose
// /.well-known/openid-configuration is the discovery document.
func (s *Server) Issuer() string { return s.origin + mockoidc.IssuerBase }

// ClientID is the one registered client's id.
func (s *Server) ClientID() string { return s.clientID }

// ClientSecret is the one registered client's secret.
func (s *Server) ClientSecret() string { return s.clientSecret }

// MisbehaveNext makes the next ID token the token endpoint issues, to any
// caller, broken in the way m says; the one after is honest again. Pass
// NoMisbehaviour to cancel. Use a Server per test when tests run in parallel.
func (s *Server) MisbehaveNext(m Misbehaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = m
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	// Discovery and keys.
	mux.HandleFunc("GET "+mockoidc.DiscoveryEndpoint, s.showDiscovery)
	// Also at the origin's root, for tools that look there; the document
	// still names the /oidc issuer.
	mux.HandleFunc("GET /.well-known/openid-configuration", s.showDiscovery)
	mux.HandleFunc("GET "+mockoidc.JWKSEndpoint, s.showJWKS)

	// Browser: sign in and out.
	mux.HandleFunc("GET "+mockoidc.AuthorizationEndpoint, s.showChooser)
	mux.HandleFunc("POST "+mockoidc.AuthorizationEndpoint, s.chooseAccount)
	mux.HandleFunc("GET "+endSessionPath, s.endSession)
	mux.HandleFunc("POST "+endSessionPath, s.endSession)

	// Back channel.
	mux.HandleFunc("POST "+mockoidc.TokenEndpoint, s.exchangeToken)
	mux.HandleFunc("GET "+mockoidc.UserinfoEndpoint, s.showUserinfo)
	mux.HandleFunc("POST "+mockoidc.UserinfoEndpoint, s.showUserinfo)
	return mux
}

// buildDiscovery takes mockoidc's document and adds what devidp serves on
// top of it.
func (s *Server) buildDiscovery() ([]byte, error) {
	rec := newRecorder()
	s.lib.Discovery(rec, nil)
	var doc map[string]any
	if err := json.Unmarshal(rec.body.Bytes(), &doc); err != nil {
		return nil, fmt.Errorf("devidp: discovery: %w", err)
	}
	doc["end_session_endpoint"] = s.origin + endSessionPath
	doc["code_challenge_methods_supported"] = []string{mockoidc.CodeChallengeMethodS256}
	doc["grant_types_supported"] = []string{"authorization_code", "refresh_token"}
	doc["claims_supported"] = []string{
		"iss", "sub", "aud", "exp", "iat", "nonce",
		"email", "email_verified", "name", "groups",
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("devidp: discovery: %w", err)
	}
	return body, nil
}

func (s *Server) showDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.discovery)
}

func (s *Server) showJWKS(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.jwks)
}

// parseIssuer checks Options.Issuer and returns its origin.
func parseIssuer(issuer string) (string, error) {
	if issuer == "" {
		return "", errors.New("devidp: options: Issuer is required, such as http://127.0.0.1:5556")
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return "", fmt.Errorf("devidp: options: Issuer: %w", err)
	}
	switch {
	case u.Scheme != "http":
		return "", fmt.Errorf("devidp: options: Issuer %q: want an http:// URL", issuer)
	case !isLoopbackHost(u.Hostname()):
		return "", fmt.Errorf("devidp: options: Issuer %q: want a loopback host", issuer)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("devidp: options: Issuer %q: want no user, query or fragment", issuer)
	case u.Path != "" && u.Path != "/" && u.Path != mockoidc.IssuerBase:
		return "", fmt.Errorf("devidp: options: Issuer %q: want no path, or %s", issuer, mockoidc.IssuerBase)
	}
	return "http://" + u.Host, nil
}

func indexAccounts(accounts []Account) (map[string]Account, error) {
	if len(accounts) == 0 {
		return nil, errors.New("devidp: options: Accounts is empty")
	}
	by := make(map[string]Account, len(accounts))
	for i, a := range accounts {
		if a.Subject == "" {
			return nil, fmt.Errorf("devidp: options: account %d has no Subject", i)
		}
		if _, dup := by[a.Subject]; dup {
			return nil, fmt.Errorf("devidp: options: subject %q appears twice", a.Subject)
		}
		by[a.Subject] = a
	}
	return by, nil
}

// isLoopbackHost reports whether host (without brackets or port) is
// localhost or a loopback IP literal.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
