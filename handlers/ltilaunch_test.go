package handlers

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/framing"
	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/store"
)

// ltiSite is Twelve and the test LMS (internal/ltiplatform), each over
// real HTTP on its own loopback port, Twelve on a fresh database.
type ltiSite struct {
	t      *testing.T
	app    *testApp
	url    string // Twelve's origin
	lms    *ltiplatform.Platform
	frames *framing.List
	// cookies records every Set-Cookie Twelve sent to the site's clients.
	cookies *cookieLog
	// platformID is the LMS's id in Twelve's store, 0 until registered.
	platformID int64
}

// newLTISite starts Twelve and the LMS; register adds the LMS to Twelve
// as `twelve admin lti-add` would.
func newLTISite(t *testing.T, register bool) *ltiSite {
	t.Helper()
	twelve := httptest.NewUnstartedServer(nil)
	lmsSrv := httptest.NewUnstartedServer(nil)
	lms, err := ltiplatform.New(ltiplatform.Options{
		Issuer:  "http://" + lmsSrv.Listener.Addr().String(),
		ToolURL: "http://" + twelve.Listener.Addr().String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	lmsSrv.Config.Handler = lms.Handler()
	lmsSrv.Start()
	t.Cleanup(lmsSrv.Close)
	s := &ltiSite{t: t, lms: lms, cookies: &cookieLog{}}
	s.app = newTestApp(t, appOptions{wire: func(d *Deps) {
		s.frames = framing.New(framing.FromStore(d.Store), ContentPolicy, d.Logger)
		d.Frames = s.frames
	}})
	twelve.Config.Handler = s.app.e
	twelve.Start()
	t.Cleanup(twelve.Close)
	s.url = twelve.URL
	if register {
		s.platformID = s.register(lms.ClientID(), lms.DeploymentID())
	}
	return s
}

// register adds the LMS to Twelve with clientID and deployment, and
// reloads the process's framing list as a NOTIFY would.
func (s *ltiSite) register(clientID, deployment string) int64 {
	s.t.Helper()
	p, err := s.app.store.AddLTIPlatform(context.Background(), store.LTIPlatform{
		Issuer: s.lms.Issuer(), ClientID: clientID, Name: "Test LMS",
		AuthURL: s.lms.AuthURL(), TokenURL: s.lms.TokenURL(), JWKSURL: s.lms.JWKSURL(),
		Deployments: []string{deployment},
	})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.frames.Load(context.Background()); err != nil {
		s.t.Fatal(err)
	}
	return p.ID
}

// browser is a client with a cookie jar that follows redirects, as a
// browser that keeps this site's cookies in the LMS's frame does.
func (s *ltiSite) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 15 * time.Second, Transport: s.cookies.transport(s.url)}
}

// stepper is a client that shares b's jar and returns redirects as is.
func stepper(b *http.Client) *http.Client {
	return &http.Client{Jar: b.Jar, Timeout: b.Timeout, Transport: b.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// launch performs o in b, as the LMS's page would, and returns the last
// response and its body.
func (s *ltiSite) launch(b *http.Client, o ltiplatform.LaunchOptions) (*http.Response, string) {
	s.t.Helper()
	resp, err := s.lms.DoLaunch(context.Background(), b, o)
	if err != nil {
		s.t.Fatalf("launch %+v: %v", o, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp, string(body)
}

// idTokenForm performs o in b up to the LMS's id_token form, which it
// returns unsent; the login initiation is posted with Origin loginOrigin.
func (s *ltiSite) idTokenForm(b *http.Client, o ltiplatform.LaunchOptions, loginOrigin string) ltiplatform.Form {
	s.t.Helper()
	st := stepper(b)
	login := s.onlyForm(s.get(st, s.lms.LaunchURL(o)))
	resp, err := login.Submit(context.Background(), st, loginOrigin)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		s.t.Fatalf("login initiation = %d, want 302 to the LMS", resp.StatusCode)
	}
	return s.onlyForm(s.get(st, resp.Header.Get("Location")))
}

func (s *ltiSite) get(c *http.Client, u string) *http.Response {
	s.t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp
}

// onlyForm is the one form of resp's page.
func (s *ltiSite) onlyForm(resp *http.Response) ltiplatform.Form {
	s.t.Helper()
	defer resp.Body.Close()
	forms, err := ltiplatform.ParseForms(resp.Body, resp.Request.URL)
	if err != nil || len(forms) != 1 {
		s.t.Fatalf("%s: %d forms, want 1 (%v)", resp.Request.URL, len(forms), err)
	}
	return forms[0]
}

// submit posts f with c as a page of the LMS would.
func (s *ltiSite) submit(c *http.Client, f ltiplatform.Form) (*http.Response, string) {
	s.t.Helper()
	resp, err := f.Submit(context.Background(), c, s.lms.Issuer())
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// rows counts what launches write.
type ltiRows struct{ users, classes, members, links, origins int }

func (s *ltiSite) rows() ltiRows {
	s.t.Helper()
	var r ltiRows
	err := s.app.pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM users), (SELECT count(*) FROM classes), (SELECT count(*) FROM class_members),
		(SELECT count(*) FROM lti_links), (SELECT count(*) FROM lti_origins)`).
		Scan(&r.users, &r.classes, &r.members, &r.links, &r.origins)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// cookieLog keeps the Set-Cookie headers Twelve answered with.
type cookieLog struct {
	mu  sync.Mutex
	set []*http.Cookie
}

func (l *cookieLog) transport(origin string) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && strings.HasPrefix(r.URL.String(), origin) {
			l.mu.Lock()
			l.set = append(l.set, resp.Cookies()...)
			l.mu.Unlock()
		}
		return resp, err
	})
}

// last is the last cookie called name that was set (not cleared).
func (l *cookieLog) last(name string) *http.Cookie {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.set) - 1; i >= 0; i-- {
		if c := l.set[i]; c.Name == name && c.MaxAge >= 0 && c.Value != "" {
			return c
		}
	}
	return nil
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// page parses body and fails the test when it is not HTML.
func page(t *testing.T, body string) testDoc {
	t.Helper()
	root, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return testDoc{root}
}

// viewerName is the name the page's header shows, or "".
func viewerName(t *testing.T, body string) string {
	t.Helper()
	ns := page(t, body).all("viewer-name")
	if len(ns) != 1 {
		return ""
	}
	return nodeText(ns[0])
}

// wantLanded fails unless resp is a 200 page at path (and query, when
// given) showing name as the signed-in person.
func wantLanded(t *testing.T, resp *http.Response, body, path, query, name string) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("launch ended with %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	if got := resp.Request.URL; got.Path != path || (query != "" && got.RawQuery != query) {
		t.Errorf("landed on %s, want %s?%s", got, path, query)
	}
	if got := viewerName(t, body); got != name {
		t.Errorf("page shows %q signed in, want %q", got, name)
	}
}
