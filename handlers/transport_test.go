package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store/storetest"
	"github.com/twelve-course/twelve/views"
)

// TestSignedInPagesAreNotStored: a page that names who is signed in must
// not be kept by the browser or a proxy (the next person at a shared
// computer could page back to it); signed-out pages keep their caching and
// assets stay immutable either way.
func TestSignedInPagesAreNotStored(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ada := a.signIn("ada", "ada@example.edu")
	tests := []struct {
		name string
		who  *student
		path string
		want string
	}{
		{"home signed in", &ada, "/", "no-store"},
		{"lesson signed in", &ada, "/lessons/config", "no-store"},
		{"factors signed in", &ada, "/factors", "no-store"},
		{"not found signed in", &ada, "/no-such-page", "no-store"},
		{"home signed out", nil, "/", "private, no-cache"},
		{"lesson signed out", nil, "/lessons/config", "private, no-cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := a.get(tt.who, tt.path)
			if got := w.Header().Get("Cache-Control"); got != tt.want {
				t.Errorf("GET %s: Cache-Control = %q, want %q (status %d)", tt.path, got, tt.want, w.Code)
			}
		})
	}
	w := a.get(&ada, "/lessons/config")
	if w.Code != http.StatusOK {
		t.Fatalf("lesson = %d", w.Code)
	}
}

// TestClientAbortIsNotAServerError: a client that closes the connection
// while its page is being made is logged once, at INFO, as gone (status
// 499 in its request event), not as a 500 "request failed" error.
func TestClientAbortIsNotAServerError(t *testing.T) {
	app := newTestApp(t, appOptions{})
	h := app.handler(t)
	started := make(chan struct{})
	app.e.GET("/_test/wait", func(c *echo.Context) error {
		close(started)
		<-c.Request().Context().Done()
		// What a page rendered after the client left returns.
		return h.ok(c, views.ErrorPage(h.page(c, "Too late"), views.ErrorView{Status: 200, Heading: "Too late"}))
	})
	srv := httptest.NewServer(app.e)
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/_test/wait", nil)
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-started
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the request was answered; want it cancelled by the client")
	}
	ev := app.logs.WaitEvent(10*time.Second, func(ev proctest.Event) bool {
		return ev["msg"] == "request" && ev["path"] == "/_test/wait"
	})
	if ev == nil {
		t.Fatalf("no request event within 10 s; log:\n%s", app.logs)
	}
	if ev["status"] != float64(499) {
		t.Errorf("request event status = %v, want %d", ev["status"], 499)
	}
	var gone int
	for _, e := range app.logs.Events() {
		if e["level"] == "ERROR" {
			t.Errorf("logged an error for a client that went away: %v", e)
		}
		if e["msg"] == "client went away" {
			gone++
			if e["level"] != "INFO" || e["request_id"] == nil {
				t.Errorf("client went away event = %v, want INFO with the request id", e)
			}
		}
	}
	if gone != 1 {
		t.Errorf("%d client went away events, want 1; log:\n%s", gone, app.logs)
	}
}

// TestControlCharactersAreRefused: a NUL or another control character in a
// text answer, the gradebook's search or its cursor is refused with a 400
// that says so, and nothing is stored; tab and newline in an answer are
// text and go through.
func TestControlCharactersAreRefused(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ada := a.signIn("ada", "ada@example.edu")
	ines := a.signIn("ines", "ines@example.edu")
	slug := "config" // a bank with text questions
	q := courseQuizzes(t)[slug]
	signer, _ := quiz.NewSigner([][]byte{[]byte(quizTestKey)})

	// An attempt whose paper has a text question.
	var token, textID string
	for range 200 {
		_, token = a.start(ada, slug)
		tok, _ := signer.Decode(token, time.Now())
		for _, it := range q.Paper(tok.Seed).Items {
			if it.Question.Type == quiz.Text {
				textID = it.Question.ID
			}
		}
		if textID != "" {
			break
		}
	}
	if textID == "" {
		t.Fatal("no paper of " + slug + " has a text question")
	}
	answer := func(text string) url.Values {
		f := rightAnswers(t, q, token)
		f.Set(quiz.FieldPrefix+textID, text)
		return f
	}

	tests := []struct {
		name string
		do   func() *httptest.ResponseRecorder
	}{
		{"NUL in a text answer", func() *httptest.ResponseRecorder {
			return a.post(&ada, "/lessons/"+slug+"/quiz", answer("a git\x00 repository"))
		}},
		{"escape in a text answer", func() *httptest.ResponseRecorder {
			return a.post(&ada, "/lessons/"+slug+"/quiz", answer("\x1b[31mrepo"))
		}},
		{"invalid UTF-8 in a text answer", func() *httptest.ResponseRecorder {
			return a.post(&ada, "/lessons/"+slug+"/quiz", answer("repo\xff"))
		}},
		{"NUL in a field name", func() *httptest.ResponseRecorder {
			f := rightAnswers(t, q, token)
			f.Set("x\x00", "1")
			return a.post(&ada, "/lessons/"+slug+"/quiz", f)
		}},
		{"NUL in the gradebook search", func() *httptest.ResponseRecorder {
			return a.get(&ines, "/instructor/gradebook?q=ada%00")
		}},
		{"bell in the gradebook search", func() *httptest.ResponseRecorder {
			return a.get(&ines, "/instructor/gradebook?q=%07")
		}},
		{"NUL in the cursor", func() *httptest.ResponseRecorder {
			return a.get(&ines, "/instructor/gradebook?after=ada%00~1")
		}},
		{"NUL in the cursor backwards", func() *httptest.ResponseRecorder {
			return a.get(&ines, "/instructor/gradebook?sort=email&before=%00~1")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.do()
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "control character") {
				t.Errorf("status %d, want 400 saying what was wrong; body:\n%s", w.Code, w.Body)
			}
			if n := a.count("SELECT count(*) FROM attempts"); n != 0 {
				t.Errorf("%d attempts stored, want none", n)
			}
		})
	}

	// Tab, newline and carriage return are text.
	if w := a.post(&ada, "/lessons/"+slug+"/quiz", answer("one\trepo\r\nmany deploys")); w.Code != http.StatusSeeOther {
		t.Errorf("answer with tab and newline = %d, want 303; body:\n%s", w.Code, w.Body)
	}
	if w := a.get(&ines, "/instructor/gradebook?q=ada%09"); w.Code != http.StatusOK {
		t.Errorf("search with a tab = %d, want 200", w.Code)
	}
}

// TestPlainHTTPGoesToHTTPS: where the site is served over https (BASE_URL
// is https, or the router says the client used plain http), a page asked
// for over plain http is redirected to https and a form is refused, so no
// sign-in cookie is ever issued without Secure; make dev's plain
// http://localhost and the health probes are served as they are.
func TestPlainHTTPGoesToHTTPS(t *testing.T) {
	dbURL := storetest.NewURL(t)
	behindRouter := newTestApp(t, appOptions{dbURL: dbURL, env: map[string]string{"OIDC_ISSUER_URL": "https://idp.example.test", "OIDC_CLIENT_ID": "twelve"}})
	withBase := newTestApp(t, appOptions{dbURL: dbURL, env: map[string]string{"BASE_URL": "https://twelve.example.org"}})
	httpBase := newTestApp(t, appOptions{dbURL: dbURL, env: map[string]string{"BASE_URL": "http://twelve.example.org"}})
	tests := []struct {
		name     string
		app      *testApp
		method   string
		target   string
		proto    string // X-Forwarded-Proto
		status   int
		location string
	}{
		{"router, plain http page", behindRouter, "GET", "/lessons/config?x=1", "http", 308, "https://example.com/lessons/config?x=1"},
		{"router, plain http head", behindRouter, "HEAD", "/", "http", 308, "https://example.com/"},
		{"router, plain http sign-in", behindRouter, "GET", "/login?next=/me", "http", 308, "https://example.com/login?next=/me"},
		{"router, plain http form", behindRouter, "POST", "/logout", "http", 403, ""},
		{"router, plain http health", behindRouter, "GET", "/healthz", "http", 200, ""},
		{"router, https", behindRouter, "GET", "/", "https", 200, ""},
		{"make dev, plain http", behindRouter, "GET", "/", "", 200, ""},
		{"https BASE_URL, plain http page", withBase, "GET", "/me?a=b", "", 308, "https://twelve.example.org/me?a=b"},
		{"https BASE_URL, router plain http", withBase, "GET", "/", "http", 308, "https://twelve.example.org/"},
		{"https BASE_URL, plain http readiness", withBase, "GET", "/readyz", "", 200, ""},
		{"https BASE_URL, https", withBase, "GET", "/", "https", 200, ""},
		{"http BASE_URL, plain http", httpBase, "GET", "/", "http", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			w := serve(tt.app.e, r)
			if w.Code != tt.status {
				t.Fatalf("%s %s = %d, want %d; body:\n%s", tt.method, tt.target, w.Code, tt.status, w.Body)
			}
			if got := w.Header().Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			if sc := w.Header().Values("Set-Cookie"); len(sc) > 0 && tt.status != 200 {
				t.Errorf("set cookies %q over plain http", sc)
			}
			if hsts := w.Header().Get("Strict-Transport-Security"); (tt.proto == "https") != (hsts != "") {
				t.Errorf("Strict-Transport-Security = %q over %q", hsts, tt.proto)
			}
		})
	}
}

// TestAllowedHosts: with ALLOWED_HOSTS set, a request for any other host
// gets 421 (the Host header never becomes a sign-in redirect URI); the
// listed hosts, BASE_URL's, loopback and the health probes are served.
func TestAllowedHosts(t *testing.T) {
	dbURL := storetest.NewURL(t)
	listed := newTestApp(t, appOptions{dbURL: dbURL, env: map[string]string{"ALLOWED_HOSTS": "twelve.example.org, Course.Example.EDU"}})
	open := newTestApp(t, appOptions{dbURL: dbURL})
	tests := []struct {
		name   string
		app    *testApp
		host   string
		path   string
		status int
	}{
		{"listed", listed, "twelve.example.org", "/", 200},
		{"listed, other case and port", listed, "COURSE.example.edu:443", "/lessons/config", 200},
		{"not listed", listed, "evil.example", "/", 421},
		{"not listed, sign-in", listed, "evil.example:8080", "/login?next=/me", 421},
		{"suffix of a listed one", listed, "x.twelve.example.org", "/", 421},
		{"localhost", listed, "localhost:8080", "/", 200},
		{"loopback v4", listed, "127.0.0.1:8080", "/", 200},
		{"loopback v6", listed, "[::1]:8080", "/", 200},
		{"health probe", listed, "10.1.2.3:5000", "/healthz", 200},
		{"unset: any host", open, "evil.example", "/", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.path, nil)
			r.Host = tt.host
			w := serve(tt.app.e, r)
			if w.Code != tt.status {
				t.Errorf("GET %s for %s = %d, want %d; body:\n%s", tt.path, tt.host, w.Code, tt.status, w.Body)
			}
		})
	}
}
