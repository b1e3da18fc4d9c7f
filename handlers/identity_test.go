package handlers

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/twelve-course/twelve/auth"
)

func TestIdentityCookieRefused(t *testing.T) {
	site := startSigninSite(t, signinSiteOptions{})
	id := auth.Identity{
		UserID: 7, Issuer: "https://idp.example", Subject: "student-ada", Name: "Ada Lovelace",
		Email: "ada@example.edu", EmailVerified: true, SignedInAt: time.Now(), IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour),
	}
	mine := mustCookies(t, []byte(signinTestKey))
	encode := func(c *auth.Cookies, id auth.Identity) string {
		t.Helper()
		v, err := c.EncodeIdentity(id)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	valid := encode(mine, id)
	expiredID := id
	expiredID.Expires = time.Now().Add(-time.Second)
	tampered := []byte(valid)
	tampered[len(tampered)/2] ^= 1

	tests := []struct {
		name       string
		value      string
		wantSigned bool
	}{
		{"valid", valid, true},
		{"tampered", string(tampered), false},
		{"expired", encode(mine, expiredID), false},
		{"signed with a foreign key", encode(mustCookies(t, []byte("a-foreign-secret-0123456789abcdef-0123")), id), false},
		{"not ours at all", "eyJhbGciOiJub25lIn0.eyJ1aWQiOjF9.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, site.URL+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.AddCookie(&http.Cookie{Name: auth.IdentityCookie, Value: tt.value})
			resp, body := newBrowser(t).do(req)
			name, _, signed := viewerOfPage(t, body)
			if signed != tt.wantSigned {
				t.Fatalf("signed in = %v (as %q), want %v", signed, name, tt.wantSigned)
			}
			cleared := setCookieNamed(resp, auth.IdentityCookie)
			switch {
			case tt.wantSigned && cleared != nil:
				t.Errorf("a valid cookie was answered with Set-Cookie %v", cleared)
			case !tt.wantSigned && (cleared == nil || cleared.MaxAge >= 0):
				t.Errorf("refused cookie not cleared: Set-Cookie %v", cleared)
			}
		})
	}
}

func TestRequireSignIn(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})

	resp, err := noRedirects().Get(site.URL + "/_test/signed-in?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/login" || loc.Query().Get("next") != "/_test/signed-in?x=1" {
		t.Errorf("signed-out GET = %d to %v, want 303 to /login?next=/_test/signed-in?x=1", resp.StatusCode, loc)
	}

	b := newBrowser(t)
	resp, body := b.postForm(site.URL+"/_test/signed-in", url.Values{"x": {"1"}})
	if resp.StatusCode != http.StatusUnauthorized || parseSigninDoc(t, body).byTestID("signin-required") == nil {
		t.Errorf("signed-out POST = %d without the sign-in page, want 401 and the page", resp.StatusCode)
	}

	// Following the redirect signs in and comes back.
	resp, body = b.get(site.URL + "/_test/signed-in")
	if parseSigninDoc(t, body).byTestID("account-student-ada") == nil {
		t.Fatalf("protected GET led to %s, want the provider's chooser", resp.Request.URL)
	}
	resp, body = b.choose(resp, body, "account-student-ada")
	if resp.Request.URL.Path != "/_test/signed-in" || body != "signed-in page\n" {
		t.Errorf("after sign-in the browser is at %s with %q, want the protected page", resp.Request.URL, body)
	}
}

func TestRequireInstructor(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer(), env: map[string]string{"INSTRUCTOR_EMAILS": "Ada@Example.edu"}})
	tests := []struct {
		name       string
		subject    string
		wantStatus int
	}{
		{"student", "student-brook", http.StatusForbidden},
		{"instructor by group", "instructor-ines", http.StatusOK},
		{"instructor by INSTRUCTOR_EMAILS", "student-ada", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrowser(t)
			b.signIn(site, tt.subject, "/")
			if resp, _ := b.get(site.URL + "/_test/instructor"); resp.StatusCode != tt.wantStatus {
				t.Errorf("GET instructor page = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
		})
	}
}

func TestInstructorGrantAndRevoke(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	b := newBrowser(t)
	b.signIn(site, "student-brook", "/")
	role := func() string {
		t.Helper()
		_, body := b.get(site.URL + "/")
		_, r, _ := viewerOfPage(t, body)
		return r
	}
	instructorPage := func() int {
		t.Helper()
		resp, _ := b.get(site.URL + "/_test/instructor")
		return resp.StatusCode
	}
	if got := instructorPage(); got != http.StatusForbidden {
		t.Fatalf("student on the instructor page = %d, want 403", got)
	}

	if _, err := site.store.GrantInstructor(t.Context(), "Brook@example.edu"); err != nil {
		t.Fatal(err)
	}
	if got := instructorPage(); got != http.StatusOK {
		t.Errorf("after grant-instructor, instructor page = %d, want 200 without signing in again", got)
	}
	if got := role(); got != "instructor" {
		t.Errorf("after grant-instructor and an instructor page, header role = %q, want instructor", got)
	}

	if _, err := site.store.RevokeInstructor(t.Context(), "brook@example.edu"); err != nil {
		t.Fatal(err)
	}
	if got := instructorPage(); got != http.StatusForbidden {
		t.Errorf("after revoke-instructor, instructor page = %d, want 403 before the cookie expires", got)
	}
	if got := role(); got != "student" {
		t.Errorf("after revoke-instructor, header role = %q, want student", got)
	}

	// A grant made before sign-in counts at sign-in.
	if _, err := site.store.GrantInstructor(t.Context(), "ada@example.edu"); err != nil {
		t.Fatal(err)
	}
	_, body := newBrowser(t).signIn(site, "student-ada", "/")
	if _, r, _ := viewerOfPage(t, body); r != "instructor" {
		t.Errorf("granted before sign-in, header role = %q, want instructor", r)
	}
}
