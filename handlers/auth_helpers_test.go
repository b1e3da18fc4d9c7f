package handlers

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/internal/devidp"
	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/store"
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

// providerSlot is a loopback address, held until the test ends, where a
// dev provider can be started, stopped and started again: a port given up
// and bound again later could be taken by another process meanwhile. With
// no provider started it answers 503.
type providerSlot struct {
	addr     string
	provider atomic.Pointer[http.Handler]
}

func newProviderSlot(t *testing.T) *providerSlot {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &providerSlot{addr: ln.Addr().String()}
	hs := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := s.provider.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "no provider here", http.StatusServiceUnavailable)
	})}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return s
}

// issuer is the issuer URL of a provider started in the slot.
func (s *providerSlot) issuer() string { return "http://" + s.addr + "/oidc" }

// start serves a new dev provider, with new signing keys, with accounts
// (nil: the demo accounts).
func (s *providerSlot) start(t *testing.T, accounts []devidp.Account) *devidp.Server {
	t.Helper()
	srv, err := devidp.New(devidp.Options{Issuer: "http://" + s.addr, Accounts: accounts})
	if err != nil {
		t.Fatalf("devidp.New: %v", err)
	}
	h := srv.Handler()
	s.provider.Store(&h)
	return srv
}

// stop takes the provider down.
func (s *providerSlot) stop() { s.provider.Store(nil) }

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
	logs   *proctest.Output
}

func startSigninSite(t *testing.T, o signinSiteOptions) *signinSite {
	t.Helper()
	if o.secretKey == "" {
		o.secretKey = signinTestKey
	}
	env := map[string]string{
		"SECRET_KEY":         o.secretKey,
		"OIDC_ISSUER_URL":    o.issuer,
		"OIDC_CLIENT_ID":     devidp.DefaultClientID,
		"OIDC_CLIENT_SECRET": devidp.DefaultClientSecret,
		"INSTRUCTOR_GROUP":   "instructors",
	}
	for k, v := range o.env {
		env[k] = v
	}
	// The site's address is known before it starts: SAML needs BASE_URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A BASE_URL of "https://" alone means the site's address over https
	// (as behind the router).
	if (env["SAML_IDP_METADATA_URL"] != "" || env["SAML_IDP_METADATA"] != "") && env["BASE_URL"] == "" {
		env["BASE_URL"] = "http://"
	}
	if scheme, ok := strings.CutSuffix(env["BASE_URL"], "://"); ok {
		env["BASE_URL"] = scheme + "://" + ln.Addr().String()
	}
	var rp *auth.RelyingParty
	var sp *auth.ServiceProvider
	app := newTestApp(t, appOptions{dbURL: o.databaseURL, env: env, wire: func(d *Deps) {
		if d.Config.OIDC.Enabled() {
			rp = auth.NewRelyingParty(auth.Options{OIDC: d.Config.OIDC, Logger: d.Logger, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond})
			go rp.Discover(t.Context())
		}
		if d.Config.SAML.Enabled() {
			var err error
			sp, err = auth.NewServiceProvider(auth.SAMLOptions{SAML: d.Config.SAML, Logger: d.Logger, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond})
			if err != nil {
				t.Fatalf("auth.NewServiceProvider: %v", err)
			}
			go sp.FetchMetadata(t.Context())
		}
		d.SignIn, d.SAML = rp, sp
	}})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app logs:\n%s", app.logs)
		}
	})
	e, h := app.e, app.handler(t)
	e.GET("/_test/signed-in", func(c *echo.Context) error { return c.String(http.StatusOK, "signed-in page\n") }, h.requireSignIn)
	e.POST("/_test/signed-in", func(c *echo.Context) error { return c.String(http.StatusOK, "saved\n") }, h.requireSignIn)
	e.GET("/_test/instructor", func(c *echo.Context) error { return c.String(http.StatusOK, "instructor page\n") }, h.requireInstructor)
	srv := httptest.NewUnstartedServer(e)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	site := &signinSite{URL: srv.URL, pool: app.pool, store: app.store, signin: rp, saml: sp, logs: app.logs}
	if rp != nil && !o.noWait {
		site.waitEvent(t, "sign-in provider discovered")
	}
	if sp != nil && !o.noWait {
		site.waitEvent(t, "SAML identity provider metadata loaded")
	}
	return site
}

// waitEvent waits up to 10 s for the site to log msg.
func (s *signinSite) waitEvent(t *testing.T, msg string) {
	t.Helper()
	if s.logs.WaitEvent(10*time.Second, func(ev proctest.Event) bool { return ev["msg"] == msg }) == nil {
		t.Fatalf("the site did not log %q within 10 s", msg)
	}
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
