package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/store"
)

// TestLTIDynamicRegistration registers Twelve from the LMS's own
// registration page, then launches with the client id the LMS gave; the
// same registration link again is refused and stores nothing more.
func TestLTIDynamicRegistration(t *testing.T) {
	s := newLinksSite(t, ltiplatform.Options{}, false)
	b := s.browser()

	// The LMS's page opens Twelve's registration page in a frame.
	start := s.get(b, s.lms.Issuer()+"/register/start")
	wantPage(t, start, http.StatusOK)
	src := iframeSrc(t, start.doc.root)
	if !strings.HasPrefix(src, s.url+"/lti/register?") {
		t.Fatalf("the LMS frames %q, want Twelve's registration URL", src)
	}
	done := s.get(b, src)
	wantPage(t, done, http.StatusOK)
	section := done.doc.one(t, "lti-registered")
	if _, ok := attrOf(section, "data-lti-close"); !ok {
		t.Error("the page is not marked for static/ltidialog.js to close the LMS's dialog (data-lti-close)")
	}
	name := nodeText(done.doc.one(t, "platform-name"))
	if text := strings.TrimSpace(nodeText(section)); name == "" || !strings.HasPrefix(text, "Twelve is registered with "+name) {
		t.Errorf("the page says %.80q, want “Twelve is registered with” and the LMS's name", text)
	}
	if !strings.Contains(done.body, `src="/static/ltidialog.`) {
		t.Error("the page does not load static/ltidialog.js")
	}
	if strings.Contains(done.body, "<script>") {
		t.Error("the page has an inline script")
	}
	csp := done.resp.Header.Get("Content-Security-Policy")
	if !strings.HasSuffix(csp, "frame-ancestors 'self' "+s.lms.Issuer()) || done.resp.Header.Get("X-Frame-Options") != "" {
		t.Errorf("the LMS may not frame the page: CSP %q, X-Frame-Options %q", csp, done.resp.Header.Get("X-Frame-Options"))
	}

	var dynamic []ltiplatform.Registration
	for _, r := range s.lms.Registrations() {
		if r.Via == "dynamic" {
			dynamic = append(dynamic, r)
		}
	}
	if len(dynamic) != 1 {
		t.Fatalf("the LMS holds %d dynamic registrations, want 1: %+v", len(dynamic), s.lms.Registrations())
	}
	reg := dynamic[0]
	if !slices.Contains(reg.Scopes, "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly") ||
		!slices.Contains(reg.Scopes, "https://purl.imsglobal.org/spec/lti-ags/scope/score") {
		t.Errorf("Twelve registered with scopes %q, want the AGS and NRPS ones", reg.Scopes)
	}
	platforms, err := s.app.store.LTIPlatforms(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(platforms) != 1 {
		t.Fatalf("%d platforms stored, want 1", len(platforms))
	}
	p := platforms[0]
	if p.Issuer != s.lms.Issuer() || p.ClientID != reg.ClientID || p.Via != store.LTIViaDynamic ||
		!slices.Equal(p.Deployments, []string{s.lms.DeploymentID()}) || p.AuthURL != s.lms.AuthURL() ||
		p.TokenURL != s.lms.TokenURL() || p.JWKSURL != s.lms.JWKSURL() || !slices.Contains(p.Origins, s.lms.Issuer()) {
		t.Errorf("stored %+v, want the LMS's issuer, endpoints, client id %q, deployment %q, via dynamic", p, reg.ClientID, s.lms.DeploymentID())
	}
	if got := nodeText(done.doc.one(t, "client-id")); got != reg.ClientID {
		t.Errorf("the page shows client id %q, want %q", got, reg.ClientID)
	}

	// The LMS launches with the registration it made.
	landed := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student", Lesson: "codebase", ClientID: reg.ClientID})
	wantPage(t, landed, http.StatusOK)
	if landed.resp.Request.URL.Path != "/lessons/codebase" {
		t.Errorf("the launch landed on %s, want /lessons/codebase", landed.resp.Request.URL)
	}
	if name, _, _ := viewerOfPage(t, landed.body); name != "Sam Student" {
		t.Errorf("after the launch the page shows %q, want Sam Student", name)
	}

	// The same registration link again: its token is spent.
	again := s.get(s.browser(), src)
	wantPage(t, again, http.StatusConflict)
	if n := s.count("lti_platforms"); n != 1 {
		t.Errorf("%d platforms after the reused token, want 1", n)
	}
}

// TestLTIRegisterRefused sends registrations that must fail, each with a
// clear page, and stores no platform.
func TestLTIRegisterRefused(t *testing.T) {
	s := newLinksSite(t, ltiplatform.Options{}, false)
	// A platform whose configuration URL is not under the issuer it names.
	impostor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": s.lms.Issuer(), "authorization_endpoint": s.lms.AuthURL(), "token_endpoint": s.lms.TokenURL(),
			"jwks_uri": s.lms.JWKSURL(), "registration_endpoint": s.lms.Issuer() + "/register",
		})
	}))
	t.Cleanup(impostor.Close)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // nothing listens at its address any more

	register := func(q url.Values) string { return withQuery(s.url+"/lti/register", q) }
	tests := []struct {
		name   string
		url    string
		host   string // a Host header other than Twelve's loopback address
		status int
		says   string
	}{
		{"no parameters", register(nil), "", 400, "openid_configuration and registration_token are missing"},
		{"no token", register(url.Values{"openid_configuration": {s.lms.OpenIDConfigURL()}}), "", 400, "registration_token is missing"},
		{"no configuration", register(url.Values{"registration_token": {"t"}}), "", 400, "openid_configuration is missing"},
		{"http on a host that is not loopback", register(url.Values{
			"openid_configuration": {"http://lms.example.test/.well-known/openid-configuration"}, "registration_token": {"t1"},
		}), "", 400, "https"},
		{"not a URL", register(url.Values{"openid_configuration": {"lms"}, "registration_token": {"t2"}}), "", 400, "https"},
		{"configuration not under its issuer", register(url.Values{
			"openid_configuration": {impostor.URL + "/.well-known/openid-configuration"}, "registration_token": {"t3"},
		}), "", 502, "does not begin with the issuer"},
		{"configuration unreachable", register(url.Values{
			"openid_configuration": {gone.URL + "/.well-known/openid-configuration"}, "registration_token": {"t4"},
		}), "", 502, "could not be reached"},
		{"token the LMS never issued", register(url.Values{
			"openid_configuration": {s.lms.OpenIDConfigURL()}, "registration_token": {"not-issued"},
		}), "", 502, "registration token unknown"},
		{"loopback LMS for a Twelve that is not on loopback", register(url.Values{
			"openid_configuration": {s.lms.OpenIDConfigURL()}, "registration_token": {s.lms.NewRegistrationToken()},
		}), "twelve.example.test", 400, "loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.host != "" {
				req.Host = tt.host
				req.Header.Set("X-Forwarded-Proto", "https")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			p := s.read(resp)
			wantPage(t, p, tt.status)
			if msg := errorMessage(t, p); !strings.Contains(msg, tt.says) {
				t.Errorf("the page says %q, want it to say %q", msg, tt.says)
			}
			if n := s.count("lti_platforms"); n != 0 {
				t.Errorf("%d platforms stored, want none", n)
			}
		})
	}
}

// iframeSrc is the src of the page's first iframe.
func iframeSrc(t *testing.T, n *html.Node) string {
	t.Helper()
	var src string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if src == "" && n.Type == html.ElementNode && n.Data == "iframe" {
			src, _ = attrOf(n, "src")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	if src == "" {
		t.Fatal("the page has no iframe")
	}
	return src
}

// attrOf is n's attribute name, and whether it has it.
func attrOf(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// TestLTIRegisterPinsIssuerKeys: an issuer Twelve knows with keys at one
// address cannot be registered again with keys elsewhere (whoever did
// could sign launches as its users); nothing is registered at the LMS or
// stored.
func TestLTIRegisterPinsIssuerKeys(t *testing.T) {
	s := newLinksSite(t, ltiplatform.Options{}, false)
	_, err := s.app.store.AddLTIPlatform(t.Context(), store.LTIPlatform{
		Issuer: s.lms.Issuer(), ClientID: "the-real-one", AuthURL: s.lms.AuthURL(), TokenURL: s.lms.TokenURL(),
		JWKSURL: "https://keys.example.test/jwks", Deployments: []string{"d1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := s.get(s.browser(), s.lms.RegistrationURL())
	wantPage(t, p, http.StatusConflict)
	if msg := errorMessage(t, p); !strings.Contains(msg, "keys at another address") {
		t.Errorf("the page says %q, want it to name the other keys", msg)
	}
	if n := s.count("lti_platforms"); n != 1 {
		t.Errorf("%d platforms stored, want the first one only", n)
	}
	for _, r := range s.lms.Registrations() {
		if r.Via == "dynamic" {
			t.Errorf("Twelve registered with the LMS anyway: %+v", r)
		}
	}
}

// TestLTIRegisterIsRateLimited: registrations share the register budget;
// beyond its burst one address gets a 429 before anything is read, while
// another address is still answered.
func TestLTIRegisterIsRateLimited(t *testing.T) {
	a := newTestApp(t, appOptions{wire: stopClock})
	send := func(peer string) int {
		r := httptest.NewRequest(http.MethodGet, "/lti/register", nil)
		r.RemoteAddr = peer
		return serve(a.e, r).Code
	}
	for i := range registerLimit.Burst {
		if code := send("203.0.113.7:40000"); code != http.StatusBadRequest {
			t.Fatalf("request %d of %d = %d, want 400 (no parameters)", i+1, registerLimit.Burst, code)
		}
	}
	if code := send("203.0.113.7:40000"); code != http.StatusTooManyRequests {
		t.Errorf("after the burst = %d, want 429", code)
	}
	if code := send("198.51.100.9:40000"); code != http.StatusBadRequest {
		t.Errorf("another address = %d, want 400", code)
	}
}

// TestLTIRegisterWithoutDeployment: an LMS whose registration names no
// deployment (Canvas makes them later) is stored as learning them, and a
// signed launch from one of its deployments works and records it.
func TestLTIRegisterWithoutDeployment(t *testing.T) {
	s := newLinksSite(t, ltiplatform.Options{RegistersNoDeployment: true}, false)
	start := s.get(s.browser(), s.lms.Issuer()+"/register/start")
	wantPage(t, start, http.StatusOK)
	done := s.get(s.browser(), iframeSrc(t, start.doc.root))
	wantPage(t, done, http.StatusOK)
	platforms, err := s.app.store.LTIPlatforms(t.Context())
	if err != nil || len(platforms) != 1 {
		t.Fatalf("platforms %+v, %v; want one", platforms, err)
	}
	p := platforms[0]
	if !p.LearnsDeployments || len(p.Deployments) != 0 {
		t.Fatalf("stored %+v, want no deployment and LearnsDeployments", p)
	}

	landed := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student", Lesson: "codebase", ClientID: p.ClientID})
	wantPage(t, landed, http.StatusOK)
	if landed.resp.Request.URL.Path != "/lessons/codebase" {
		t.Errorf("the launch landed on %s, want /lessons/codebase", landed.resp.Request.URL)
	}
	p, err = s.app.store.LTIPlatformByID(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Deployments, []string{s.lms.DeploymentID()}) {
		t.Errorf("deployments after the launch = %q, want [%s]", p.Deployments, s.lms.DeploymentID())
	}
}
