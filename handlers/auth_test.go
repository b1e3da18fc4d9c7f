package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/internal/devidp"
)

func TestSignInEndToEnd(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	tests := []struct {
		name     string
		subject  string
		wantName string
		wantRole string
	}{
		{"student", "student-ada", "Ada Lovelace", "student"},
		{"instructor by groups claim", "instructor-ines", "Ines Instructor", "instructor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrowser(t)
			resp, body := b.signIn(site, tt.subject, "/")
			if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != site.URL+"/" {
				t.Fatalf("sign-in ended at %s with %d, want %s/ with 200", resp.Request.URL, resp.StatusCode, site.URL)
			}
			name, role, ok := viewerOfPage(t, body)
			if !ok || name != tt.wantName || role != tt.wantRole {
				t.Errorf("header shows %q %q (signed in: %v), want %q %q", name, role, ok, tt.wantName, tt.wantRole)
			}
			if b.cookie(site.URL, auth.FlowCookie) != "" {
				t.Error("the sign-in flow cookie outlived the callback")
			}
			var recorded bool
			if err := site.pool.QueryRow(t.Context(), `SELECT instructor FROM users WHERE subject = $1`, tt.subject).Scan(&recorded); err != nil {
				t.Fatal(err)
			}
			if recorded != (tt.wantRole == "instructor") {
				t.Errorf("users.instructor = %v for a %s; the gradebook would list them wrongly", recorded, tt.wantRole)
			}
		})
	}
	if got := site.userCount(t); got != 2 {
		t.Errorf("users rows = %d, want 2", got)
	}
}

func TestSignInRefreshesNameAndEmail(t *testing.T) {
	slot := newProviderSlot(t)
	slot.start(t, []devidp.Account{{Subject: "student-ada", Email: "ada@example.edu", Name: "Ada Lovelace"}})
	site := startSigninSite(t, signinSiteOptions{issuer: slot.issuer()})
	newBrowser(t).signIn(site, "student-ada", "/")
	slot.stop()

	// The same provider, restarted with the account renamed (and a new
	// signing key, which the app fetches when it sees the new key id).
	slot.start(t, []devidp.Account{{Subject: "student-ada", Email: "ada.king@example.edu", Name: "Ada King"}})
	_, body := newBrowser(t).signIn(site, "student-ada", "/")
	if name, _, _ := viewerOfPage(t, body); name != "Ada King" {
		t.Errorf("header shows %q, want the provider's current name %q", name, "Ada King")
	}
	var rows int
	var email, name string
	err := site.pool.QueryRow(t.Context(), "SELECT count(*) OVER (), email, name FROM users").Scan(&rows, &email, &name)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 1 || email != "ada.king@example.edu" || name != "Ada King" {
		t.Errorf("users = %d row(s), %q %q; want 1 row, ada.king@example.edu, Ada King", rows, email, name)
	}
}

func TestSignOut(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	b := newBrowser(t)
	b.signIn(site, "student-ada", "/")

	// GET /logout only asks; it signs nobody out.
	resp, body := b.get(site.URL + "/logout")
	doc := parseSigninDoc(t, body)
	if resp.StatusCode != http.StatusOK || doc.byTestID("signout-form") == nil {
		t.Fatalf("GET /logout = %d without the sign-out form", resp.StatusCode)
	}
	if _, _, ok := viewerOfPage(t, body); !ok {
		t.Fatal("GET /logout signed the viewer out; want a confirmation page only")
	}
	b.visited = nil
	resp, body = b.postForm(site.URL+"/logout", nil)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != site.URL+"/" {
		t.Fatalf("POST /logout ended at %s with %d, want %s/", resp.Request.URL, resp.StatusCode, site.URL)
	}
	if _, _, ok := viewerOfPage(t, body); ok {
		t.Error("still signed in after POST /logout")
	}
	if v := b.cookie(site.URL, auth.IdentityCookie); v != "" {
		t.Error("identity cookie still in the browser after sign-out")
	}
	var atProvider *url.URL
	for _, u := range b.visited {
		if strings.HasPrefix(u.String(), idp.Issuer()) {
			atProvider = u
		}
	}
	if atProvider == nil {
		t.Fatalf("sign-out never visited the provider's end_session_endpoint; visited %v", b.visited)
	}
	q := atProvider.Query()
	if q.Get("post_logout_redirect_uri") != site.URL+"/" || q.Get("id_token_hint") == "" {
		t.Errorf("end_session request %s: want post_logout_redirect_uri=%s/ and an id_token_hint", atProvider, site.URL)
	}
}

// TestSignOutRefusedFromAnotherSite: another site cannot make a browser
// sign out; the same form sent from the site's own page signs out.
func TestSignOutRefusedFromAnotherSite(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	b := newBrowser(t)
	b.signIn(site, "student-ada", "/")
	resp, body := b.postFormFrom("https://evil.example", site.URL+"/logout", nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "This form came from another site") {
		t.Errorf("cross-site POST /logout = %d, want 403 and the cross-site page", resp.StatusCode)
	}
	if _, body := b.get(site.URL + "/"); !strings.Contains(body, `data-testid="viewer-name"`) {
		t.Error("a cross-site sign-out signed the viewer out")
	}
	b.postForm(site.URL+"/logout", nil)
	if _, body := b.get(site.URL + "/"); strings.Contains(body, `data-testid="viewer-name"`) {
		t.Error("a same-origin sign-out left the viewer signed in")
	}
}

func TestSignInAcrossInstances(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	a := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	b := newBrowser(t)
	b.signIn(a, "student-ada", "/")
	cookie := b.cookie(a.URL, auth.IdentityCookie)
	if cookie == "" {
		t.Fatal("no identity cookie after signing in")
	}
	const otherKey = "a-different-secret-0123456789abcdef-012"
	tests := []struct {
		name       string
		secretKey  string
		wantSigned bool
	}{
		{"same SECRET_KEY", signinTestKey, true},
		{"rotated SECRET_KEY=new,old", otherKey + "," + signinTestKey, true},
		{"different SECRET_KEY", otherKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer(), secretKey: tt.secretKey})
			req, err := http.NewRequest(http.MethodGet, other.URL+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.AddCookie(&http.Cookie{Name: auth.IdentityCookie, Value: cookie})
			resp, body := newBrowser(t).do(req)
			name, _, ok := viewerOfPage(t, body)
			if ok != tt.wantSigned {
				t.Fatalf("signed in = %v (name %q), want %v", ok, name, tt.wantSigned)
			}
			if ok && name != "Ada Lovelace" {
				t.Errorf("viewer = %q, want Ada Lovelace", name)
			}
			cleared := setCookieNamed(resp, auth.IdentityCookie)
			if !tt.wantSigned && (cleared == nil || cleared.MaxAge >= 0) {
				t.Errorf("refused cookie not cleared: Set-Cookie %v", cleared)
			}
		})
	}
}

func TestSignInWhileProviderDown(t *testing.T) {
	slot := newProviderSlot(t)
	site := startSigninSite(t, signinSiteOptions{issuer: slot.issuer(), noWait: true})
	b := newBrowser(t)

	if resp, _ := b.get(site.URL + "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / with the provider down = %d, want 200", resp.StatusCode)
	}
	resp, body := b.get(site.URL + "/login?next=/")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /login with the provider down = %d, want 503", resp.StatusCode)
	}
	if !strings.Contains(body, "unreachable right now") || parseSigninDoc(t, body).byTestID("signin-unreachable") == nil {
		t.Errorf("GET /login with the provider down does not say the provider is unreachable:\n%s", body)
	}

	slot.start(t, nil)
	site.waitEvent(t, "sign-in provider discovered")
	resp, err := noRedirects().Get(site.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /login = %d once the provider came up and was discovered, want 303", resp.StatusCode)
	}
	_, body = b.signIn(site, "student-ada", "/")
	if name, _, ok := viewerOfPage(t, body); !ok || name != "Ada Lovelace" {
		t.Errorf("after the provider came up, header shows %q (signed in %v), want Ada Lovelace", name, ok)
	}
}

func TestSignInNotSetUp(t *testing.T) {
	site := startSigninSite(t, signinSiteOptions{})
	b := newBrowser(t)
	resp, body := b.get(site.URL + "/login?next=/")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /login without OIDC settings = %d, want 503", resp.StatusCode)
	}
	if parseSigninDoc(t, body).byTestID("signin-not-set-up") == nil || !strings.Contains(body, "OIDC_ISSUER_URL") {
		t.Errorf("GET /login without OIDC settings does not say what to set:\n%s", body)
	}
	_, home := b.get(site.URL + "/")
	if parseSigninDoc(t, home).byTestID("sign-in") != nil {
		t.Error("home page offers a sign-in link although sign-in is not set up")
	}
}

func TestNextStaysOnSite(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	tests := []struct {
		name     string
		next     string
		wantPath string
	}{
		{"absolute URL", "https://evil.example", "/"},
		{"protocol-relative", "//evil.example", "/"},
		{"backslash", `/\evil.example`, "/"},
		{"javascript", "javascript:alert(document.cookie)", "/"},
		{"tab", "/\t/evil.example", "/"},
		{"local path kept", "/healthz", "/healthz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := newBrowser(t).signIn(site, "student-ada", tt.next)
			got := resp.Request.URL
			if got.String() != site.URL+tt.wantPath {
				t.Errorf("sign-in with next=%q ended at %s, want %s%s", tt.next, got, site.URL, tt.wantPath)
			}
		})
	}
}

func TestProviderMarkupIsEscaped(t *testing.T) {
	const evilName = `<script>alert(1)</script>`
	const evilEmail = `mallory"><img src=x onerror=alert(2)>@example.edu`
	accounts := []devidp.Account{{Subject: "student-mallory", Email: evilEmail, Name: evilName}}
	idp := startDevIDP(t, "127.0.0.1:0", accounts)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	b := newBrowser(t)
	_, home := b.signIn(site, "student-mallory", "/")
	_, logout := b.get(site.URL + "/logout")
	for page, body := range map[string]string{"/": home, "/logout": logout} {
		if strings.Contains(body, evilName) || strings.Contains(body, "<img src=x") {
			t.Errorf("%s contains the provider's markup unescaped", page)
		}
		if name, _, _ := viewerOfPage(t, body); name != evilName {
			t.Errorf("%s header name = %q, want the text %q", page, name, evilName)
		}
	}
	if name, _ := parseSigninDoc(t, logout).text("signout-name"); name != evilName {
		t.Errorf("/logout shows name %q, want the text %q", name, evilName)
	}
}

func TestUserinfoFallback(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	idp.MisbehaveNext(devidp.OmitProfile)
	_, body := newBrowser(t).signIn(site, "instructor-ines", "/")
	name, role, ok := viewerOfPage(t, body)
	if !ok || name != "Ines Instructor" || role != "instructor" {
		t.Errorf("with profile claims only in userinfo, header shows %q %q (signed in %v), want Ines Instructor instructor", name, role, ok)
	}
}

func TestSecureCookiesBehindHTTPSRouter(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	client := noRedirects()
	viaHTTPS := func(method, rawURL string, cookies ...*http.Cookie) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, rawURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-Proto", "https")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	login := viaHTTPS(http.MethodGet, site.URL+"/login?next=/")
	// Path-scoped cookies cannot be __Host-, so they are __Secure-.
	flow := setCookieNamed(login, "__Secure-twelve_signin")
	if flow == nil || !flow.Secure || !flow.HttpOnly || flow.SameSite != http.SameSiteLaxMode || flow.Path != auth.FlowPath {
		t.Fatalf("flow cookie over https = %+v, want __Secure-twelve_signin, Secure, HttpOnly, SameSite=Lax, Path=%s", flow, auth.FlowPath)
	}
	authURL, err := login.Location()
	if err != nil {
		t.Fatal(err)
	}
	httpsOrigin := strings.Replace(site.URL, "http://", "https://", 1)
	if got := authURL.Query().Get("redirect_uri"); got != httpsOrigin+"/auth/callback" {
		t.Errorf("redirect_uri = %q, want %q (scheme from X-Forwarded-Proto)", got, httpsOrigin+"/auth/callback")
	}

	b := newBrowser(t)
	b.stopAt = "/auth/callback"
	chooser, body := b.get(authURL.String())
	back, _ := b.choose(chooser, body, "account-student-ada")
	callback, err := back.Location()
	if err != nil {
		t.Fatalf("chooser did not redirect back: %v", err)
	}
	callback.Scheme = "http" // the router speaks plain http to the app
	done := viaHTTPS(http.MethodGet, callback.String(), &http.Cookie{Name: flow.Name, Value: flow.Value})
	if done.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback = %d, want 303", done.StatusCode)
	}
	if c := setCookieNamed(done, auth.IdentityCookie); c != nil {
		t.Errorf("over https the identity cookie was set under its plain name: %+v", c)
	}
	id := setCookieNamed(done, "__Host-twelve_id")
	if id == nil || !id.Secure || !id.HttpOnly || id.SameSite != http.SameSiteLaxMode || id.Path != "/" || id.Domain != "" {
		t.Fatalf("identity cookie over https = %+v, want __Host-twelve_id, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain", id)
	}
	// The browser keeps it for SESSION_MAX_LIFETIME (12h by default) and a
	// day's grace in which the site can still say why it ended.
	if want := int((12*time.Hour + identityCookieGrace) / time.Second); id.MaxAge < want-60 || id.MaxAge > want {
		t.Errorf("identity cookie Max-Age = %d, want about %d (12 h + a day)", id.MaxAge, want)
	}
	if hint := setCookieNamed(done, "__Secure-twelve_logout_hint"); hint == nil || !hint.Secure || hint.Path != auth.HintPath {
		t.Errorf("logout hint over https = %+v, want __Secure-twelve_logout_hint, Secure, Path=%s", hint, auth.HintPath)
	}
	signedIn := func(c *http.Cookie) bool {
		t.Helper()
		resp := viaHTTPS(http.MethodGet, site.URL+"/me", c)
		return resp.StatusCode == http.StatusOK
	}
	if !signedIn(&http.Cookie{Name: id.Name, Value: id.Value}) {
		t.Errorf("over https, /me with __Host-twelve_id is not signed in")
	}
	if signedIn(&http.Cookie{Name: auth.IdentityCookie, Value: id.Value}) {
		t.Errorf("over https, /me took the identity under its plain name, which any http page of the domain can set")
	}

	// Over plain http the same cookies are not Secure, or browsers would drop them.
	plain, err := client.Get(site.URL + "/login?next=/")
	if err != nil {
		t.Fatal(err)
	}
	plain.Body.Close()
	if c := setCookieNamed(plain, auth.FlowCookie); c == nil || c.Secure {
		t.Errorf("flow cookie over plain http = %+v, want twelve_signin without Secure", c)
	}
	_, body = newBrowser(t).signIn(site, "student-ada", "/")
	if _, _, ok := viewerOfPage(t, body); !ok {
		t.Errorf("over plain http, signing in (plain cookie names) did not sign in")
	}
}
