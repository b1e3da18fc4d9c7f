package handlers

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/store"
)

// linksSite is Twelve and the test LMS (internal/ltiplatform) over real
// HTTP, each on its own loopback port, Twelve on a fresh database: the
// stage of the registration, deep linking and roster tests.
type linksSite struct {
	t   *testing.T
	app *testApp
	url string // Twelve's origin
	lms *ltiplatform.Platform
}

// newLinksSite starts both; o's Issuer and ToolURL are filled in. With
// register, the LMS's preconfigured client is added to Twelve as
// `twelve admin lti-add` would.
func newLinksSite(t *testing.T, o ltiplatform.Options, register bool) *linksSite {
	t.Helper()
	twelve := httptest.NewUnstartedServer(nil)
	lmsSrv := httptest.NewUnstartedServer(nil)
	o.Issuer = "http://" + lmsSrv.Listener.Addr().String()
	o.ToolURL = "http://" + twelve.Listener.Addr().String()
	lms, err := ltiplatform.New(o)
	if err != nil {
		t.Fatal(err)
	}
	lmsSrv.Config.Handler = lms.Handler()
	lmsSrv.Start()
	t.Cleanup(lmsSrv.Close)
	s := &linksSite{t: t, lms: lms, app: newTestApp(t, appOptions{})}
	twelve.Config.Handler = s.app.e
	twelve.Start()
	t.Cleanup(twelve.Close)
	s.url = twelve.URL
	if register {
		_, err := s.app.store.AddLTIPlatform(context.Background(), store.LTIPlatform{
			Issuer: lms.Issuer(), ClientID: lms.ClientID(), Name: "Test LMS",
			AuthURL: lms.AuthURL(), TokenURL: lms.TokenURL(), JWKSURL: lms.JWKSURL(),
			Deployments: []string{lms.DeploymentID()},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// browser is a client with a cookie jar that follows redirects.
func (s *linksSite) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 15 * time.Second}
}

// linksPage is a response with its body read and parsed.
type linksPage struct {
	resp *http.Response
	body string
	doc  testDoc
}

func (s *linksSite) read(resp *http.Response) linksPage {
	s.t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	root, err := html.Parse(strings.NewReader(string(b)))
	if err != nil {
		s.t.Fatal(err)
	}
	return linksPage{resp: resp, body: string(b), doc: testDoc{root}}
}

func (s *linksSite) get(c *http.Client, u string) linksPage {
	s.t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.read(resp)
}

// launch performs o in b as the LMS's page would; the last page.
func (s *linksSite) launch(b *http.Client, o ltiplatform.LaunchOptions) linksPage {
	s.t.Helper()
	resp, err := s.lms.DoLaunch(context.Background(), b, o)
	if err != nil {
		s.t.Fatalf("launch %+v: %v", o, err)
	}
	return s.read(resp)
}

// form is the form of p with data-testid id.
func (s *linksSite) form(p linksPage, id string) ltiplatform.Form {
	s.t.Helper()
	forms, err := ltiplatform.ParseForms(strings.NewReader(p.body), p.resp.Request.URL)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, f := range forms {
		if f.TestID == id {
			return f
		}
	}
	s.t.Fatalf("%s: no form %q in:\n%.2000s", p.resp.Request.URL, id, p.body)
	return ltiplatform.Form{}
}

// submit sends f from a page of origin, as a browser would.
func (s *linksSite) submit(c *http.Client, f ltiplatform.Form, origin string) linksPage {
	s.t.Helper()
	resp, err := f.Submit(context.Background(), c, origin)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.read(resp)
}

// count is the number of rows of table.
func (s *linksSite) count(table string) int {
	s.t.Helper()
	var n int
	if err := s.app.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// wantPage fails the test unless p answered status.
func wantPage(t *testing.T, p linksPage, status int) {
	t.Helper()
	if p.resp.StatusCode != status {
		t.Fatalf("%s %s = %d, want %d; body:\n%.2500s", p.resp.Request.Method, p.resp.Request.URL, p.resp.StatusCode, status, p.body)
	}
}

// errorMessage is an error page's message.
func errorMessage(t *testing.T, p linksPage) string {
	t.Helper()
	return nodeText(p.doc.one(t, "error-message"))
}

// withQuery is u with its query replaced by q.
func withQuery(u string, q url.Values) string {
	parsed, _ := url.Parse(u)
	parsed.RawQuery = q.Encode()
	return parsed.String()
}
