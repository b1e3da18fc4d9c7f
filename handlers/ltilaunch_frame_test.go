package handlers

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/store"
)

// TestLTIPlatformStorage is the server side of the platform storage
// path (LTI Client Side postMessages), for a browser that keeps this
// site's cookies out of the LMS's frame: the login answers a page that
// hands static/lti.js the sealed flow to put in the LMS's storage (at the
// LMS's origin); the id_token then comes back without the cookie, and
// Twelve answers a page that asks the storage for the flow; posted back
// with it, the launch goes through. A flow of another launch, or none,
// is refused.
func TestLTIPlatformStorage(t *testing.T) {
	s := newLTISite(t, true)
	storageLaunch := func(t *testing.T, user string) (put, get testDoc, relaunch ltiplatform.Form) {
		t.Helper()
		b := stepper(s.browser())
		login := s.onlyForm(s.get(b, s.lms.LaunchURL(ltiplatform.LaunchOptions{User: user, Lesson: "config", Storage: true})))
		resp, body := s.submit(b, login)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("login with lti_storage_target = %d, want the storage page:\n%s", resp.StatusCode, body)
		}
		put = page(t, body)
		st := put.one(t, "lti-storage")
		if nodeAttr(st, "data-lti-mode") != "put" || nodeAttr(st, "data-target") != "_parent" ||
			nodeAttr(st, "data-origin") != s.lms.Issuer() || nodeAttr(st, "data-value") == "" ||
			!strings.HasPrefix(nodeAttr(st, "data-next"), s.lms.AuthURL()+"?") {
			t.Fatalf("storage page data = %v", st.Attr)
		}
		if !strings.Contains(body, `src="/static/lti.`) || strings.Contains(body, "<script>") {
			t.Errorf("storage page does not load static/lti.js (and only it):\n%s", body)
		}
		// The browser refuses the cookie: the LMS is reached, and answers,
		// with a client whose jar is empty.
		jar, _ := cookiejar.New(nil)
		b.Jar = jar
		idForm := s.onlyForm(s.get(b, nodeAttr(st, "data-next")))
		resp, body = s.submit(b, idForm)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("launch without the cookie = %d, want the page asking the storage:\n%s", resp.StatusCode, body)
		}
		get = page(t, body)
		g := get.one(t, "lti-relaunch")
		if nodeAttr(g, "data-lti-mode") != "get" || nodeAttr(g, "data-key") != nodeAttr(st, "data-key") ||
			nodeAttr(g, "data-origin") != s.lms.Issuer() {
			t.Fatalf("relaunch page data = %v; want mode get, the key put and the LMS's origin", g.Attr)
		}
		forms, err := ltiplatform.ParseForms(strings.NewReader(body), resp.Request.URL)
		if err != nil || len(forms) != 1 {
			t.Fatalf("relaunch page: %d forms (%v)", len(forms), err)
		}
		return put, get, forms[0]
	}

	t.Run("flow from the storage", func(t *testing.T) {
		put, _, relaunch := storageLaunch(t, "student")
		relaunch.Values.Set("lti_flow", nodeAttr(put.one(t, "lti-storage"), "data-value"))
		b := s.browser()
		resp, body := s.submit(b, relaunch)
		wantLanded(t, resp, body, "/lessons/config", "", "Sam Student")
	})
	t.Run("flow of another launch", func(t *testing.T) {
		other, _, _ := storageLaunch(t, "student2")
		_, _, relaunch := storageLaunch(t, "student2")
		relaunch.Values.Set("lti_flow", nodeAttr(other.one(t, "lti-storage"), "data-value"))
		before := s.rows()
		resp, body := s.submit(s.browser(), relaunch)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "belongs to another launch") {
			t.Errorf("status = %d, want 400 (another launch):\n%s", resp.StatusCode, body)
		}
		if after := s.rows(); after != before {
			t.Errorf("rows = %+v, want %+v", after, before)
		}
	})
	t.Run("made-up flow", func(t *testing.T) {
		_, _, relaunch := storageLaunch(t, "student2")
		relaunch.Values.Set("lti_flow", "made-up")
		resp, body := s.submit(s.browser(), relaunch)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status = %d, want 400:\n%s", resp.StatusCode, body)
		}
	})
}

// TestLTICookiesRefused: when the identity cookie does not come back to
// /lti/landed (a browser that keeps this site's cookies out of the LMS's
// frame), the page says so and links to /lti/continue in a new window;
// that link signs the person in with a first-party cookie and lands them,
// once.
func TestLTICookiesRefused(t *testing.T) {
	s := newLTISite(t, true)
	b := s.browser()
	form := s.idTokenForm(b, ltiplatform.LaunchOptions{User: "student", Lesson: "config"}, s.lms.Issuer())
	resp, _ := s.submit(stepper(b), form)
	landed := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(landed, "/lti/landed?t=") {
		t.Fatalf("launch = %d to %q, want 303 to /lti/landed", resp.StatusCode, landed)
	}

	refusing := s.browser() // no identity cookie in its jar
	resp, body := s.read(refusing, s.url+landed)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("landed without the cookie = %d:\n%s", resp.StatusCode, body)
	}
	doc := page(t, body)
	doc.one(t, "lti-cookies-refused")
	link := doc.one(t, "lti-new-window")
	cont := nodeAttr(link, "href")
	if nodeAttr(link, "target") != "_blank" || !strings.HasPrefix(cont, "/lti/continue?t=") {
		t.Fatalf("new-window link = %v", link.Attr)
	}

	window := s.browser() // the new window: a top-level, first-party context
	resp, body = s.read(window, s.url+cont)
	wantLanded(t, resp, body, "/lessons/config", "", "Sam Student")
	if id := s.cookies.last("twelve_id"); id == nil || id.Partitioned || id.SameSite != http.SameSiteLaxMode {
		t.Errorf("identity cookie from /lti/continue = %v, want a first-party (Lax, unpartitioned) one", id)
	}
	resp, body = s.read(s.browser(), s.url+cont)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "This link has expired") {
		t.Errorf("second use of the continue link = %d, want 400:\n%s", resp.StatusCode, body)
	}
	resp, body = s.read(s.browser(), s.url+"/lti/continue?t=forged")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("forged ticket = %d, want 400:\n%s", resp.StatusCode, body)
	}

	// With the cookie, /lti/landed goes straight on.
	resp, _ = s.read(stepper(b), s.url+landed)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/lessons/config" {
		t.Errorf("landed with the cookie = %d to %q, want 303 to /lessons/config", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// read GETs u with c and returns the response and its body.
func (s *ltiSite) read(c *http.Client, u string) (*http.Response, string) {
	s.t.Helper()
	resp := s.get(c, u)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp, string(body)
}

// frameAncestors is the frame-ancestors directive of a page's CSP.
func frameAncestors(t *testing.T, h http.Header) string {
	t.Helper()
	for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "frame-ancestors") {
			return d
		}
	}
	t.Fatalf("no frame-ancestors in %q", h.Get("Content-Security-Policy"))
	return ""
}

// TestLTIFrameAncestors: with no LMS registered nobody may frame Twelve;
// once one is, its origin (and no other) may, without X-Frame-Options;
// the LMS page a launch started from is added by a verified launch when
// it is on the LMS's site (the test LMS is on a loopback address, so
// localhost is its site), and a made-up Origin is not.
func TestLTIFrameAncestors(t *testing.T) {
	s := newLTISite(t, false)
	resp := s.get(s.browser(), s.url+"/")
	resp.Body.Close()
	if got := frameAncestors(t, resp.Header); got != "frame-ancestors 'none'" {
		t.Errorf("no LMS: %q, want frame-ancestors 'none'", got)
	}
	if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("no LMS: X-Frame-Options = %q, want DENY", got)
	}

	s.platformID = s.register(s.lms.ClientID(), s.lms.DeploymentID())
	resp = s.get(s.browser(), s.url+"/lessons/config")
	resp.Body.Close()
	if got, want := frameAncestors(t, resp.Header), "frame-ancestors 'self' "+s.lms.Issuer(); got != want {
		t.Errorf("LMS registered: %q, want %q", got, want)
	}
	if got := resp.Header.Get("X-Frame-Options"); got != "" {
		t.Errorf("LMS registered: X-Frame-Options = %q, want none", got)
	}

	// A verified launch from a page on another site adds nothing: the
	// Origin header is whatever the sender wrote.
	b := s.browser()
	form := s.idTokenForm(b, ltiplatform.LaunchOptions{User: "student", Lesson: "config"}, "https://courses.lms.example")
	if resp, body := s.submit(b, form); resp.StatusCode != http.StatusOK {
		t.Fatalf("launch = %d:\n%s", resp.StatusCode, body)
	}
	resp = s.get(s.browser(), s.url+"/")
	resp.Body.Close()
	if got, want := frameAncestors(t, resp.Header), "frame-ancestors 'self' "+s.lms.Issuer(); got != want {
		t.Errorf("after a launch from another site: %q, want %q", got, want)
	}

	// The LMS's course page, on another origin of its site, starts the launch.
	const coursePage = "http://localhost:40001"
	b = s.browser()
	form = s.idTokenForm(b, ltiplatform.LaunchOptions{User: "student", Lesson: "config"}, coursePage)
	if resp, body := s.submit(b, form); resp.StatusCode != http.StatusOK {
		t.Fatalf("launch = %d:\n%s", resp.StatusCode, body)
	}
	resp = s.get(s.browser(), s.url+"/")
	resp.Body.Close()
	if got, want := frameAncestors(t, resp.Header), "frame-ancestors 'self' "+s.lms.Issuer()+" "+coursePage; got != want {
		t.Errorf("after the launch: %q, want %q", got, want)
	}

	// A login by GET (a link or redirect in the LMS) names its page in
	// Referer.
	const otherPage = "http://localhost:40002"
	st := stepper(b)
	login := s.onlyForm(s.get(st, s.lms.LaunchURL(ltiplatform.LaunchOptions{User: "student2", Lesson: "config"})))
	req, err := http.NewRequest("GET", login.Action+"?"+login.Values.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Referer", otherPage+"/courses/1/modules")
	resp, err = st.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r, body := s.submit(b, s.onlyForm(s.get(st, resp.Header.Get("Location")))); r.StatusCode != http.StatusOK {
		t.Fatalf("launch after a GET login = %d:\n%s", r.StatusCode, body)
	}
	resp = s.get(s.browser(), s.url+"/")
	resp.Body.Close()
	if got := frameAncestors(t, resp.Header); !strings.HasSuffix(got, " "+otherPage) {
		t.Errorf("after a GET login from %s: %q", otherPage, got)
	}

	// A refused launch adds nothing.
	if err := s.lms.Misbehave(ltiplatform.Once(ltiplatform.BadSignature)); err != nil {
		t.Fatal(err)
	}
	form = s.idTokenForm(b, ltiplatform.LaunchOptions{User: "student", Lesson: "config"}, "https://evil.example")
	if resp, _ := s.submit(b, form); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("spoilt launch = %d, want 401", resp.StatusCode)
	}
	resp = s.get(s.browser(), s.url+"/")
	resp.Body.Close()
	if got := frameAncestors(t, resp.Header); strings.Contains(got, "evil") {
		t.Errorf("a refused launch's origin may frame Twelve: %q", got)
	}
}

// TestLTIFramingFollowsNotify: a web process hears of an LMS registered
// by another process (NOTIFY twelve_lti) and lets it frame the pages.
func TestLTIFramingFollowsNotify(t *testing.T) {
	s := newLTISite(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.frames.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	_, err := s.app.store.AddLTIPlatform(context.Background(), ltiStorePlatform(s, "notified-client"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !s.frames.Headers().Allows(s.lms.Issuer()) {
		if time.Now().After(deadline) {
			t.Fatal("the framing list did not hear of the new LMS")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLTIJWKS: /lti/jwks publishes the tool's public keys, cacheable for
// five minutes, and no private part of them.
func TestLTIJWKS(t *testing.T) {
	s := newLTISite(t, false)
	resp, body := s.read(s.browser(), s.url+"/lti/jwks")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("GET /lti/jwks = %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(body), &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("not a JWKS (%v):\n%s", err, body)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || k.KeyID == "" {
			t.Errorf("key %q: public %v", k.KeyID, k.IsPublic())
		}
	}
	if strings.Contains(body, `"d"`) {
		t.Errorf("JWKS carries a private exponent:\n%s", body)
	}
}

// TestLTIDeepLinkingHandoff: an instructor's deep linking request lands on
// /lti/deep-link with the verified settings sealed in ?dl=, which opens to
// the LMS's return URL and the instructor's role; a student's opens too,
// without the staff role.
func TestLTIDeepLinkingHandoff(t *testing.T) {
	s := newLTISite(t, true)
	h := s.app.handler(t)
	for _, tt := range []struct {
		user  string
		staff bool
	}{{"instructor", true}, {"student", false}} {
		t.Run(tt.user, func(t *testing.T) {
			b := s.browser()
			form := s.idTokenForm(b, ltiplatform.LaunchOptions{User: tt.user, Deep: true}, s.lms.Issuer())
			resp, _ := s.submit(stepper(b), form)
			loc, err := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || err != nil || loc.Path != "/lti/deep-link" {
				t.Fatalf("deep linking launch = %d to %q, want 303 to /lti/deep-link", resp.StatusCode, resp.Header.Get("Location"))
			}
			d, err := h.openDeepLink(loc.Query().Get("dl"))
			if err != nil {
				t.Fatal(err)
			}
			if d.Staff() != tt.staff || d.PlatformID != s.platformID || d.UserID == 0 || d.ClassID == 0 ||
				!strings.HasPrefix(d.Settings.ReturnURL, s.lms.Issuer()+"/deeplink/return") {
				t.Errorf("handoff = %+v", d)
			}
		})
	}
	if _, err := h.openDeepLink("tampered"); err == nil {
		t.Error("a made-up handoff opened")
	}
}

// TestEmbeddedIdentityRenewed: the renewal of an LTI sign-in's cookie is
// an embedded cookie too; an ordinary sign-in's stays first-party. (The
// cookies are 10 minutes old: due for renewal, not idle; see
// SESSION_IDLE_TIMEOUT's default.)
func TestEmbeddedIdentityRenewed(t *testing.T) {
	a := newTestApp(t, appOptions{})
	codec := mustCookies(t, []byte(testSecretKey))
	for _, embedded := range []bool{true, false} {
		now := time.Now()
		id := auth.Identity{UserID: 7, Issuer: "https://lms.example", Subject: "s", Name: "Sam", Embedded: embedded,
			SignedInAt: now.Add(-time.Hour), IssuedAt: now.Add(-10 * time.Minute), Expires: now.Add(time.Hour)}
		value, err := codec.EncodeIdentity(id)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = "127.0.0.1:8080"
		r.AddCookie(&http.Cookie{Name: auth.IdentityCookie, Value: value})
		w := serve(a.e, r)
		var renewed *http.Cookie
		for _, c := range w.Result().Cookies() {
			if c.Name == auth.IdentityCookie && c.MaxAge > 0 {
				renewed = c
			}
		}
		if renewed == nil {
			t.Fatalf("embedded=%v: no renewal", embedded)
		}
		if renewed.Partitioned != embedded || (renewed.SameSite == http.SameSiteNoneMode) != embedded {
			t.Errorf("embedded=%v: renewal %s", embedded, renewed)
		}
	}
}

// TestLTIIsRateLimited: LTI logins and launches share the register
// budget per client address.
func TestLTIIsRateLimited(t *testing.T) {
	a := newTestApp(t, appOptions{wire: stopClock})
	const peer = "203.0.113.7:40000"
	send := func(method, path string) int {
		r := httptest.NewRequest(method, path, nil)
		r.RemoteAddr = peer
		return serve(a.e, r).Code
	}
	for i := range registerLimit.Burst {
		if code := send([]string{"GET", "POST"}[i%2], []string{"/lti/login", "/lti/launch"}[i%2]); code == http.StatusTooManyRequests {
			t.Fatalf("request %d of %d refused", i+1, registerLimit.Burst)
		}
	}
	if code := send("POST", "/lti/launch"); code != http.StatusTooManyRequests {
		t.Errorf("launch after the burst = %d, want 429", code)
	}
}

// ltiStorePlatform is the site's LMS as a store row under clientID.
func ltiStorePlatform(s *ltiSite, clientID string) store.LTIPlatform {
	return store.LTIPlatform{
		Issuer: s.lms.Issuer(), ClientID: clientID, Name: "Test LMS",
		AuthURL: s.lms.AuthURL(), TokenURL: s.lms.TokenURL(), JWKSURL: s.lms.JWKSURL(),
		Deployments: []string{s.lms.DeploymentID()},
	}
}

// TestSecurityHeadersAllocateNothing: setting the security headers,
// frame-ancestors from the framing list included, allocates nothing,
// with or without LMSs registered.
func TestSecurityHeadersAllocateNothing(t *testing.T) {
	s := newLTISite(t, false)
	h := s.app.handler(t)
	serve := h.securityHeaders(func(*echo.Context) error { return nil })
	c := s.app.e.NewContext(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder())
	for _, registered := range []bool{false, true} {
		if registered {
			s.register(s.lms.ClientID(), s.lms.DeploymentID())
			if err := h.frames.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		_ = serve(c) // the header map's keys exist from here on
		if n := testing.AllocsPerRun(100, func() { _ = serve(c) }); n != 0 {
			t.Errorf("registered=%v: %v allocations per request, want 0", registered, n)
		}
		if got := frameAncestors(t, c.Response().Header()); registered != strings.Contains(got, s.lms.Issuer()) {
			t.Errorf("registered=%v: %q", registered, got)
		}
	}
}

// TestLTIFlowCookieAttributes: the flow cookie is scoped to /lti/, named
// after its state, and SameSite=None; Secure; Partitioned wherever a
// browser can keep a Secure cookie (https, a loopback host); on plain http
// elsewhere it falls back to SameSite=Lax.
func TestLTIFlowCookieAttributes(t *testing.T) {
	s := newLTISite(t, true)
	q := url.Values{"iss": {s.lms.Issuer()}, "client_id": {s.lms.ClientID()}, "login_hint": {"x"},
		"target_link_uri": {s.url + "/lti/launch"}, "lti_deployment_id": {s.lms.DeploymentID()}}
	tests := []struct {
		name, host, proto string
		wantName          string
		embedded          bool
	}{
		{"https", "twelve.example.edu", "https", "__Secure-twelve_lti_", true},
		{"loopback http", "127.0.0.1:8080", "", "twelve_lti_", true},
		{"plain http elsewhere", "twelve.example.edu", "", "twelve_lti_", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/lti/login?"+q.Encode(), nil)
			r.Host = tt.host
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			w := serve(s.app.e, r)
			if w.Code != http.StatusFound {
				t.Fatalf("login = %d:\n%s", w.Code, w.Body)
			}
			loc, err := url.Parse(w.Header().Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			state := loc.Query().Get("state")
			cookies := w.Result().Cookies()
			if len(cookies) != 1 || len(state) < 8 {
				t.Fatalf("cookies %v, state %q", cookies, state)
			}
			ck := cookies[0]
			if ck.Name != tt.wantName+state[:8] || ck.Path != "/lti/" || !ck.HttpOnly || ck.MaxAge != 600 {
				t.Errorf("flow cookie %s; want %s%s, Path=/lti/, HttpOnly, Max-Age=600", ck, tt.wantName, state[:8])
			}
			gotEmbedded := ck.SameSite == http.SameSiteNoneMode && ck.Secure && ck.Partitioned
			if gotEmbedded != tt.embedded || (!tt.embedded && (ck.SameSite != http.SameSiteLaxMode || ck.Partitioned)) {
				t.Errorf("flow cookie %s; want embedded attributes %v", ck, tt.embedded)
			}
		})
	}
}
