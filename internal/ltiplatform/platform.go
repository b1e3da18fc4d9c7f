// Package ltiplatform is an LTI 1.3 platform (the LMS side) for tests and
// development: it plays Canvas's or Moodle's part for one course,
// "Twelve-Factor 101", with demo users, and launches a tool (Twelve) the way
// an LMS does. It serves the OpenID Connect authorization endpoint, its
// JWKS, an OAuth 2 token endpoint (client credentials with a signed client
// assertion), Assignment and Grade Services line items and scores, Names and
// Role Provisioning Services memberships, the Deep Linking return URL and
// Dynamic Registration, and it can misbehave on demand (see Misbehaviour).
//
// It is written against go-jose directly and shares no code with Twelve's
// own lti package, so that it checks Twelve rather than agreeing with
// itself. All state is in memory. It is a test and development tool, not
// part of the app.
package ltiplatform

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults a zero Options field takes.
const (
	DefaultClientID     = "twelve-lti-dev"
	DefaultDeploymentID = "dep-1"
	DefaultPageSize     = 50
	// ContextID, ContextLabel and ContextTitle name the one course.
	ContextID    = "course-101"
	ContextLabel = "TF101"
	ContextTitle = "Twelve-Factor 101"
)

// Options configures a Platform. Empty fields take the defaults noted.
type Options struct {
	// Issuer is the platform's own origin, such as http://127.0.0.1:5557:
	// the iss claim and the base of every endpoint. Required by New;
	// Listen fills it in.
	Issuer string
	// ToolURL is the tool's (Twelve's) origin, such as
	// http://localhost:8080. Launches go to ToolURL/lti/login; the
	// preconfigured client redirects to ToolURL/lti/launch and publishes
	// its keys at ToolURL/lti/jwks. Required.
	ToolURL string
	// ClientID is the preconfigured tool's client_id (DefaultClientID).
	ClientID string
	// DeploymentID is the one deployment (DefaultDeploymentID).
	DeploymentID string
	// PageSize is the default page size of /memberships and /lineitems
	// (DefaultPageSize); a request's limit parameter wins.
	PageSize int
	// TokenTTL is the lifetime of access tokens (one hour).
	TokenTTL time.Duration
	// LineItemQuery gives line item URLs a query string, as Moodle's have
	// (…/lineitems/3?type_id=3), so that tools must insert /scores before it.
	LineItemQuery bool
	// RegistersNoDeployment answers a dynamic registration without a
	// deployment id, as LMSs that make deployments later (Canvas) do.
	RegistersNoDeployment bool
	// HTTPClient fetches the tool's JWKS (a client with a 10 s timeout).
	HTTPClient *http.Client
	// Logger receives one line per refused request with the reason
	// (discarded when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time
}

// Platform is an LTI 1.3 platform for one course. Its methods are safe for
// concurrent use.
type Platform struct {
	issuer    string
	toolURL   string
	deploy    string
	pageSize  int
	tokenTTL  time.Duration
	lineQuery bool
	noDeploy  bool // RegistersNoDeployment
	client    *http.Client
	log       *slog.Logger
	now       func() time.Time
	hintKey   []byte // MACs login hints and deep linking data
	pages     *template.Template
	handler   http.Handler
	toolKeys  *toolKeys

	mu   sync.Mutex
	st   state
	keys keyPair
}

// state is everything Reset clears.
type state struct {
	clients       map[string]*Registration // by client_id
	current       string                   // client_id launches use
	regTokens     map[string]time.Time     // issued, unused registration tokens → expiry
	tokens        map[string]accessToken
	tokenRequests int
	jtis          map[string]time.Time
	lineItems     []*LineItem
	scores        map[scoreKey]*RecordedScore
	scoreOrder    []scoreKey
	members       []User
	deepLinks     []DeepLinkItem
	dlData        map[string]bool // deep linking data values issued → used
	dlNonces      map[string]bool
	lastNonce     string
	misbehaviours map[Kind]*Misbehaviour
	launches      int
}

// New builds a Platform with a fresh RSA signing key. It does not listen;
// serve Handler at o.Issuer.
func New(o Options) (*Platform, error) {
	issuer, err := origin("Issuer", o.Issuer)
	if err != nil {
		return nil, err
	}
	tool, err := origin("ToolURL", o.ToolURL)
	if err != nil {
		return nil, err
	}
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.DeploymentID == "" {
		o.DeploymentID = DefaultDeploymentID
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = time.Hour
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	keys, err := newKeyPair()
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	p := &Platform{
		issuer:    issuer,
		toolURL:   tool,
		deploy:    o.DeploymentID,
		pageSize:  o.PageSize,
		noDeploy:  o.RegistersNoDeployment,
		tokenTTL:  o.TokenTTL,
		lineQuery: o.LineItemQuery,
		client:    o.HTTPClient,
		log:       o.Logger,
		now:       o.Now,
		hintKey:   randomBytes(32),
		pages:     pages,
		keys:      keys,
	}
	p.toolKeys = newToolKeys(o.HTTPClient)
	p.st = p.freshState(o.ClientID)
	p.handler = p.routes()
	return p, nil
}

// Listen binds addr, which must name a loopback host (port 0 picks a free
// port), and builds a Platform for it. When o.Issuer is empty it becomes
// http://<host>:<bound port>. The caller serves Handler on the listener.
func Listen(addr string, o Options) (*Platform, net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("ltiplatform: listen: %w", err)
	}
	if !isLoopbackHost(host) {
		return nil, nil, fmt.Errorf("ltiplatform: listen: host %q is not loopback", host)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("ltiplatform: listen: %w", err)
	}
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		_ = ln.Close()
		return nil, nil, fmt.Errorf("ltiplatform: listen: bound %s, not TCP", ln.Addr())
	}
	if o.Issuer == "" {
		o.Issuer = "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
	}
	p, err := New(o)
	if err != nil {
		_ = ln.Close()
		return nil, nil, err
	}
	return p, ln, nil
}

// freshState is the state of a new Platform: the preconfigured client and
// the demo users.
func (p *Platform) freshState(clientID string) state {
	pre := &Registration{
		ClientID:         clientID,
		RedirectURIs:     []string{p.toolURL + "/lti/launch"},
		InitiateLoginURI: p.toolURL + "/lti/login",
		JWKSURI:          p.toolURL + "/lti/jwks",
		TargetLinkURI:    p.toolURL + "/lti/launch",
		DeploymentID:     p.deploy,
		Scopes:           allScopes(),
		Via:              "preconfigured",
	}
	return state{
		clients:       map[string]*Registration{clientID: pre},
		current:       clientID,
		regTokens:     make(map[string]time.Time),
		tokens:        make(map[string]accessToken),
		jtis:          make(map[string]time.Time),
		scores:        make(map[scoreKey]*RecordedScore),
		members:       DemoUsers(),
		dlData:        make(map[string]bool),
		dlNonces:      make(map[string]bool),
		misbehaviours: make(map[Kind]*Misbehaviour),
	}
}

// Handler serves every endpoint; mount it at the root of Options.Issuer.
func (p *Platform) Handler() http.Handler { return p.handler }

// Issuer is the platform's issuer identifier and origin.
func (p *Platform) Issuer() string { return p.issuer }

// ClientID is the client_id launches currently use: the preconfigured one,
// or the latest dynamically registered one.
func (p *Platform) ClientID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st.current
}

// DeploymentID is the platform's deployment id.
func (p *Platform) DeploymentID() string { return p.deploy }

// AuthURL is the OIDC authorization endpoint, to register by hand.
func (p *Platform) AuthURL() string { return p.issuer + "/auth" }

// TokenURL is the OAuth 2 token endpoint, to register by hand.
func (p *Platform) TokenURL() string { return p.issuer + "/token" }

// JWKSURL is the platform's key set, to register by hand.
func (p *Platform) JWKSURL() string { return p.issuer + "/jwks" }

// Reset forgets everything that happened: registrations other than the
// preconfigured client, tokens, line items, scores, added members, deep
// linking items and misbehaviours. The signing key stays.
func (p *Platform) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pre string
	for id, c := range p.st.clients {
		if c.Via == "preconfigured" {
			pre = id
		}
	}
	p.st = p.freshState(pre)
}

func (p *Platform) routes() http.Handler {
	mux := http.NewServeMux()
	// Pages a person sees.
	mux.HandleFunc("GET /{$}", p.showHome)
	mux.HandleFunc("GET /launch", p.startLaunch)
	mux.HandleFunc("GET /embed", p.showEmbed)
	mux.HandleFunc("GET /register/start", p.startRegistration)

	// OpenID Connect and keys.
	mux.HandleFunc("GET /auth", p.authorize)
	mux.HandleFunc("POST /auth", p.authorize)
	mux.HandleFunc("GET /jwks", p.showJWKS)
	mux.HandleFunc("GET /.well-known/openid-configuration", p.showOpenIDConfig)
	mux.HandleFunc("POST /register", p.register)

	// Services.
	mux.HandleFunc("POST /token", p.issueToken)
	mux.HandleFunc("GET /lineitems", p.listLineItems)
	mux.HandleFunc("POST /lineitems", p.createLineItem)
	mux.HandleFunc("GET /lineitems/{id}", p.showLineItem)
	mux.HandleFunc("POST /lineitems/{id}/scores", p.postScore)
	mux.HandleFunc("GET /lineitems/{id}/results", p.listResults)
	mux.HandleFunc("GET /memberships", p.listMembers)
	mux.HandleFunc("POST /deeplink/return", p.returnDeepLink)

	// Control, for tests and scripts in other processes.
	mux.HandleFunc("POST /_control/misbehave", p.controlMisbehave)
	mux.HandleFunc("GET /_control/scores", p.controlScores)
	mux.HandleFunc("GET /_control/lineitems", p.controlLineItems)
	mux.HandleFunc("GET /_control/deeplinks", p.controlDeepLinks)
	mux.HandleFunc("GET /_control/registrations", p.controlRegistrations)
	mux.HandleFunc("POST /_control/reset", p.controlReset)
	mux.HandleFunc("POST /_control/members", p.controlMembers)
	return mux
}

// origin checks a configured URL and returns its origin.
func origin(field, raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("ltiplatform: options: %s is required", field)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("ltiplatform: options: %s: %w", field, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("ltiplatform: options: %s %q: want an http or https URL", field, raw)
	case u.Host == "":
		return "", fmt.Errorf("ltiplatform: options: %s %q: no host", field, raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "":
		return "", fmt.Errorf("ltiplatform: options: %s %q: want an origin, without path, query or fragment", field, raw)
	}
	return u.Scheme + "://" + u.Host, nil
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

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}

func randomID() string { return rand.Text() }

// mac seals a value so that it comes back unchanged through the tool.
func (p *Platform) mac(value string) string {
	m := hmac.New(sha256.New, p.hintKey)
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString([]byte(value)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// unmac opens what mac sealed.
func (p *Platform) unmac(sealed string) (string, error) {
	body, sig, ok := strings.Cut(sealed, ".")
	if !ok {
		return "", errors.New("malformed")
	}
	value, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return "", errors.New("malformed")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return "", errors.New("malformed")
	}
	m := hmac.New(sha256.New, p.hintKey)
	m.Write(value)
	if !hmac.Equal(got, m.Sum(nil)) {
		return "", errors.New("not issued by this platform")
	}
	return string(value), nil
}

// keyPair is the platform's signing key.
type keyPair struct {
	key *rsa.PrivateKey
	kid string
}
