package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/static"
	"github.com/twelve-course/twelve/store/storetest"
)

// foundationApp builds the real router on databaseURL, logging into logs.
func foundationApp(t *testing.T, databaseURL string, logs *bytes.Buffer) *echo.Echo {
	t.Helper()
	return newTestApp(t, appOptions{
		dbURL: databaseURL, log: logs,
		env: map[string]string{"SECRET_KEY": "foundation-test-secret-0123456789abcdef"},
	}).e
}

func serve(e http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

func TestHealthAndReadiness(t *testing.T) {
	var logs bytes.Buffer
	up := foundationApp(t, storetest.NewURL(t), &logs)
	// Nothing listens on port 1: the database is down for this app.
	down := foundationApp(t, "postgres://twelve@127.0.0.1:1/twelve", &logs)
	tests := []struct {
		name       string
		app        *echo.Echo
		path       string
		wantStatus int
		wantBody   string
	}{
		{"healthz", up, "/healthz", 200, "ok\n"},
		{"readyz up", up, "/readyz", 200, "ready\n"},
		{"healthz with database down", down, "/healthz", 200, "ok\n"},
		{"readyz with database down", down, "/readyz", 503, "database unreachable\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(tt.app, httptest.NewRequest("GET", tt.path, nil))
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestErrorPages(t *testing.T) {
	var logs bytes.Buffer
	e := foundationApp(t, storetest.NewURL(t), &logs)
	e.GET("/_test/panic", func(*echo.Context) error { panic("kaboom: secret detail") })
	e.GET("/_test/fail", func(*echo.Context) error { return errors.New("store: boom with internal detail") })
	tests := []struct {
		name, method, path string
		status             int
		heading            string
	}{
		{"unknown page", "GET", "/no/such/page", 404, "Page not found"},
		{"panic", "GET", "/_test/panic", 500, "Something went wrong"},
		{"internal error", "GET", "/_test/fail", 500, "Something went wrong"},
		{"unsafe method from another site", "PUT", "/healthz", 403, "This form came from another site"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			r.Header.Set("Sec-Fetch-Site", "cross-site") // refuses only unsafe methods
			w := serve(e, r)
			body := w.Body.String()
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if !strings.Contains(body, "<h1>"+tt.heading+"</h1>") || !strings.Contains(body, `data-testid="error"`) {
				t.Errorf("page lacks heading %q:\n%s", tt.heading, body)
			}
			if strings.Contains(body, "kaboom") || strings.Contains(body, "internal detail") || strings.Contains(body, "goroutine") {
				t.Errorf("page shows internal details:\n%s", body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
	if !strings.Contains(logs.String(), `"stack":"`) || !strings.Contains(logs.String(), "kaboom") {
		t.Errorf("the panic was not logged with its stack:\n%s", logs.String())
	}
}

// TestCrossOriginRequestsRefused: a state-changing request a browser sends
// from another origin is refused, whatever cookies it carries; one from
// this site's own pages, or from no browser at all, is let through; the
// SAML and LTI endpoints take cross-site posts from identity providers
// and LMSs.
func TestCrossOriginRequestsRefused(t *testing.T) {
	var logs bytes.Buffer
	e := foundationApp(t, storetest.NewURL(t), &logs)
	e.POST("/_test/form", func(c *echo.Context) error { return c.String(200, "accepted") })
	e.GET("/_test/form", func(c *echo.Context) error { return c.String(200, "shown") })
	tests := []struct {
		name, method, path string
		header             []string // name, value pairs
		want               int
	}{
		{"same origin", "POST", "/_test/form", []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://example.com"}, 200},
		{"typed by the user", "POST", "/_test/form", []string{"Sec-Fetch-Site", "none"}, 200},
		{"no browser", "POST", "/_test/form", nil, 200},
		{"same origin, no Sec-Fetch-Site", "POST", "/_test/form", []string{"Origin", "http://example.com"}, 200},
		{"cross-site", "POST", "/_test/form", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 403},
		{"same site, another origin", "POST", "/_test/form", []string{"Sec-Fetch-Site", "same-site", "Origin", "http://evil.example.com"}, 403},
		{"cross-site, no Sec-Fetch-Site", "POST", "/_test/form", []string{"Origin", "https://evil.example"}, 403},
		{"cross-site GET", "GET", "/_test/form", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader("x=1"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for i := 0; i+1 < len(tt.header); i += 2 {
				r.Header.Set(tt.header[i], tt.header[i+1])
			}
			w := serve(e, r)
			if w.Code != tt.want {
				t.Errorf("%s %s = %d, want %d:\n%s", tt.method, tt.path, w.Code, tt.want, w.Body)
			}
			if tt.want == 403 && !strings.Contains(w.Body.String(), "This form came from another site") {
				t.Errorf("refusal does not say why:\n%s", w.Body)
			}
		})
	}
	// The identity provider's page posts to the SAML endpoints from its own
	// site; with no SAML configured they answer, but not as a cross-site refusal.
	for _, path := range crossSitePOSTs {
		r := httptest.NewRequest("POST", path, strings.NewReader("SAMLResponse=x"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", "https://idp.example")
		if w := serve(e, r); strings.Contains(w.Body.String(), "This form came from another site") {
			t.Errorf("cross-site POST %s refused as cross-site; want it let through to its handler", path)
		}
	}
}

func TestSecureCookiesAndHSTSBehindHTTPSProxy(t *testing.T) {
	var logs bytes.Buffer
	e := foundationApp(t, storetest.NewURL(t), &logs)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	w := serve(e, r)
	if got := w.Header().Get("Strict-Transport-Security"); got == "" {
		t.Error("no HSTS header on https")
	}
	for _, ck := range w.Result().Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s not Secure on https", ck.Name)
		}
	}
	if got := serve(e, httptest.NewRequest("GET", "/", nil)).Header().Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS on plain http: %q", got)
	}
}

func TestRequestLogAndID(t *testing.T) {
	tests := []struct {
		name   string
		sent   string
		wantID func(string) bool
	}{
		{"router id kept", "7f1c9f5e-3c5a-4c1e-9a49-0d1e2f3a4b5c", func(id string) bool { return id == "7f1c9f5e-3c5a-4c1e-9a49-0d1e2f3a4b5c" }},
		{"hostile id replaced", "<script>alert(1)</script>", func(id string) bool { return len(id) == 26 && validRequestID(id) }},
		{"missing id made", "", func(id string) bool { return len(id) == 26 && validRequestID(id) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			e := foundationApp(t, storetest.NewURL(t), &logs)
			r := httptest.NewRequest("GET", "/healthz", nil)
			if tt.sent != "" {
				r.Header.Set("X-Request-Id", tt.sent)
			}
			w := serve(e, r)
			id := w.Header().Get("X-Request-Id")
			if !tt.wantID(id) {
				t.Errorf("X-Request-Id = %q", id)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("got %d log lines, want one event per request:\n%s", len(lines), logs.String())
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil {
				t.Fatalf("log line is not JSON: %v", err)
			}
			for k, want := range map[string]any{"msg": "request", "method": "GET", "path": "/healthz", "status": float64(200), "request_id": id} {
				if ev[k] != want {
					t.Errorf("log %s = %v, want %v", k, ev[k], want)
				}
			}
			if _, ok := ev["duration_ms"].(float64); !ok {
				t.Errorf("log lacks duration_ms: %v", ev)
			}
		})
	}
}

func TestStaticAssets(t *testing.T) {
	var logs bytes.Buffer
	e := foundationApp(t, storetest.NewURL(t), &logs)
	assets, err := static.Load()
	if err != nil {
		t.Fatal(err)
	}
	path := assets.Path("style.css")
	if !strings.HasPrefix(path, "/static/style.") || path == "/static/style.css" {
		t.Fatalf("Path(style.css) = %q, want a content-hashed name", path)
	}
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w := serve(e, r)
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("GET %s = %d, headers %v; want 200, gzip, immutable", path, w.Code, w.Header())
	}
	if got := serve(e, httptest.NewRequest("GET", "/static/style.0000000000.css", nil)).Code; got != 404 {
		t.Errorf("stale hashed name = %d, want 404", got)
	}
}

// TestNewRequiresItsDependencies: New says which dependency is missing
// instead of panicking or serving something else.
func TestNewRequiresItsDependencies(t *testing.T) {
	full := newTestApp(t, appOptions{dbURL: "postgres://twelve@127.0.0.1:1/twelve"}).deps
	tests := []struct {
		name   string
		change func(*Deps)
		want   string
	}{
		{"no course", func(d *Deps) { d.Course = nil }, "Deps.Course is required"},
		{"no store", func(d *Deps) { d.Store = nil }, "Deps.Store is required"},
		{"no logger", func(d *Deps) { d.Logger = nil }, "Deps.Logger is required"},
		{"no assets", func(d *Deps) { d.Assets = nil }, "Deps.Assets is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := full
			tt.change(&d)
			e, err := New(d)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error = %v, want one saying %q", err, tt.want)
			}
			if e != nil {
				t.Error("New returned a router along with its error")
			}
		})
	}
}
