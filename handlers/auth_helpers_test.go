package handlers

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/internal/devidp"
	"github.com/twelve-course/twelve/static"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

const signinTestKey = "signin-test-secret-0123456789abcdef-01"

// startDevIDP serves a dev provider with accounts (nil: the demo accounts)
// on addr ("127.0.0.1:0" for any port) until the test ends.
func startDevIDP(t *testing.T, addr string, accounts []devidp.Account) *devidp.Server {
	t.Helper()
	srv, ln, err := devidp.Listen(addr, devidp.Options{Accounts: accounts})
	if err != nil {
		t.Fatalf("devidp.Listen: %v", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return srv
}

// closedAddr is a loopback address where nothing listens (yet).
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// signinSiteOptions configures startSigninSite.
type signinSiteOptions struct {
	// issuer is the provider's issuer URL; "" turns sign-in off.
	issuer string
	// secretKey is SECRET_KEY; default signinTestKey.
	secretKey string
	// databaseURL shares a database between sites; default a fresh one.
	databaseURL string
	// env adds or overrides settings.
	env map[string]string
	// noWait skips waiting for discovery (and for SAML metadata).
	noWait bool
}

// signinSite is the real app (handlers.New with real dependencies) served
// over real HTTP, plus a few routes guarded by requireSignIn and
// requireInstructor, which later issues put on real pages.
type signinSite struct {
	URL    string
	pool   *pgxpool.Pool
	store  *store.Store
	signin *auth.RelyingParty
	saml   *auth.ServiceProvider
}

func startSigninSite(t *testing.T, o signinSiteOptions) *signinSite {
	t.Helper()
	if o.secretKey == "" {
		o.secretKey = signinTestKey
	}
	if o.databaseURL == "" {
		o.databaseURL = storetest.NewURL(t)
	}
	env := map[string]string{
		"DATABASE_URL":       o.databaseURL,
		"SECRET_KEY":         o.secretKey,
		"OIDC_ISSUER_URL":    o.issuer,
		"OIDC_CLIENT_ID":     devidp.DefaultClientID,
		"OIDC_CLIENT_SECRET": devidp.DefaultClientSecret,
		"INSTRUCTOR_GROUP":   "instructors",
	}
	for k, v := range o.env {
		env[k] = v
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	pool, err := store.Open(context.Background(), o.databaseURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	assets, err := static.Load()
	if err != nil {
		t.Fatal(err)
	}
	logs := &signinLogs{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app logs:\n%s", logs)
		}
	})
	logger := slog.New(slog.NewJSONHandler(logs, nil))

	var rp *auth.RelyingParty
	if cfg.OIDC.Enabled() {
		rp = auth.NewRelyingParty(auth.Options{OIDC: cfg.OIDC, Logger: logger, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond})
		go rp.Discover(t.Context())
	}
	var sp *auth.ServiceProvider
	if cfg.SAML.Enabled() {
		sp, err = auth.NewServiceProvider(auth.SAMLOptions{SAML: cfg.SAML, Logger: logger, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond})
		if err != nil {
			t.Fatalf("auth.NewServiceProvider: %v", err)
		}
		go sp.FetchMetadata(t.Context())
	}
	d := Deps{
		Config: cfg, Getenv: getenv, Store: store.New(pool), Logger: logger, Assets: assets,
		Process: Process{ID: "signin-test", Kind: "web", Host: "test", PID: 1, StartedAt: time.Now()},
		SignIn:  rp,
		SAML:    sp,
	}
	e := mustNew(t, d)
	h := mustHandler(t, d)
	e.GET("/_test/signed-in", func(c *echo.Context) error { return c.String(http.StatusOK, "signed-in page\n") }, h.requireSignIn)
	e.POST("/_test/signed-in", func(c *echo.Context) error { return c.String(http.StatusOK, "saved\n") }, h.requireSignIn)
	e.GET("/_test/instructor", func(c *echo.Context) error { return c.String(http.StatusOK, "instructor page\n") }, h.requireInstructor)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)

	if rp != nil && !o.noWait {
		deadline := time.Now().Add(10 * time.Second)
		for !rp.Ready() {
			if time.Now().After(deadline) {
				t.Fatal("sign-in provider not discovered within 10 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if sp != nil && !o.noWait {
		deadline := time.Now().Add(10 * time.Second)
		for !sp.Ready() {
			if time.Now().After(deadline) {
				t.Fatal("SAML identity provider metadata not loaded within 10 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return &signinSite{URL: srv.URL, pool: pool, store: store.New(pool), signin: rp, saml: sp}
}

// userCount is the number of rows in users.
func (s *signinSite) userCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), "SELECT count(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// signinLogs collects the app's log lines, safe for concurrent writers.
type signinLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *signinLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *signinLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// browser is an http.Client with a cookie jar that follows redirects and
// remembers where it went.
type browser struct {
	t       *testing.T
	client  *http.Client
	jar     *cookiejar.Jar
	visited []*url.URL
	// stopAt, when set, stops following redirects at the first URL with
	// this path and returns that redirect instead.
	stopAt string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, jar: jar}
	b.client = &http.Client{
		Jar:     jar,
		Timeout: 15 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if b.stopAt != "" && req.URL.Path == b.stopAt {
				return http.ErrUseLastResponse
			}
			if len(via) > 10 {
				return http.ErrUseLastResponse
			}
			b.visited = append(b.visited, req.URL)
			return nil
		},
	}
	return b
}

// do sends req and returns the final response with its body read.
func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp, string(body)
}

func (b *browser) get(rawURL string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// postForm posts form as a browser posts a form on a page of rawURL's
// own origin.
func (b *browser) postForm(rawURL string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	return b.postFormFrom(originOf(b.t, rawURL), rawURL, form)
}

// postFormFrom posts form as a browser posts a form on a page of origin:
// saying where it comes from in Origin and Sec-Fetch-Site.
func (b *browser) postFormFrom(origin, rawURL string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	site := "cross-site"
	if origin == originOf(b.t, rawURL) {
		site = "same-origin"
	}
	req.Header.Set("Sec-Fetch-Site", site)
	return b.do(req)
}

func originOf(t testing.TB, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Scheme + "://" + u.Host
}

// cookie returns the value of the named cookie the jar would send to
// rawURL, or "".
func (b *browser) cookie(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// signIn starts at /login?next=next, picks subject on the provider's
// chooser and returns the response the browser ends on.
func (b *browser) signIn(site *signinSite, subject, next string) (*http.Response, string) {
	b.t.Helper()
	resp, body := b.get(site.URL + "/login?next=" + url.QueryEscape(next))
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET /login ended at %s with %d, want the chooser; body:\n%s", resp.Request.URL, resp.StatusCode, body)
	}
	return b.choose(resp, body, "account-"+subject)
}

// choose submits the chooser form holding the button with testID.
func (b *browser) choose(chooser *http.Response, body, testID string) (*http.Response, string) {
	b.t.Helper()
	doc := parseSigninDoc(b.t, body)
	button := doc.byTestID(testID)
	if button == nil {
		b.t.Fatalf("no data-testid=%q on %s:\n%s", testID, chooser.Request.URL, body)
	}
	form := signinAncestor(button, "form")
	if form == nil {
		b.t.Fatalf("data-testid=%q is not in a form", testID)
	}
	fields := url.Values{}
	for _, in := range signinAll(form, "input") {
		if signinAttr(in, "type") == "hidden" {
			fields.Add(signinAttr(in, "name"), signinAttr(in, "value"))
		}
	}
	fields.Set(signinAttr(button, "name"), signinAttr(button, "value"))
	action, err := chooser.Request.URL.Parse(signinAttr(form, "action"))
	if err != nil {
		b.t.Fatal(err)
	}
	return b.postForm(action.String(), fields)
}

// setCookieNamed returns the Set-Cookie for name in resp, or nil.
func setCookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// noRedirects is a client that returns every redirect as is.
func noRedirects() *http.Client {
	return &http.Client{
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
