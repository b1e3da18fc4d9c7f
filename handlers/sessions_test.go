package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/store/storetest"
)

// mint is a's identity cookie for s, signed in at signedIn and last
// issued at issued, as a sign-in and renewals would have made it.
func (a *quizApp) mint(s student, subject, email string, signedIn, issued time.Time) student {
	a.t.Helper()
	value, err := a.cookie.EncodeIdentity(auth.Identity{
		UserID: s.id, Issuer: "https://idp.test", Subject: subject, Name: subject, Email: email, EmailVerified: true,
		SignedInAt: signedIn, IssuedAt: issued, Expires: signedIn.Add(12 * time.Hour),
	})
	if err != nil {
		a.t.Fatal(err)
	}
	return student{id: s.id, cookie: &http.Cookie{Name: auth.IdentityCookie, Value: value}}
}

// identitySet returns the identity cookie w sets, decoded, or nil; cleared
// reports a cookie cleared instead.
func (a *quizApp) identitySet(w *httptest.ResponseRecorder) (id *auth.Identity, cleared bool) {
	a.t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name != auth.IdentityCookie {
			continue
		}
		if c.MaxAge < 0 {
			return nil, true
		}
		got, err := a.cookie.DecodeIdentity(c.Value)
		if err != nil {
			a.t.Fatalf("the identity cookie set does not decode: %v", err)
		}
		return &got, false
	}
	return nil, false
}

// TestSignInLifetime: an identity cookie is refused after the idle timeout
// (30 minutes by default) and after the absolute lifetime (12 hours) even
// while active; the redirect to sign in goes by a page that says which.
// A cookie in use is renewed once older than a quarter of the idle
// timeout, keeping its sign-in time.
func TestSignInLifetime(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ada := a.signIn("ada", "ada@example.edu")
	now := time.Now()
	tests := []struct {
		name             string
		signedIn, issued time.Time
		wantWhy          string // "" : signed in
		wantRenewed      bool
	}{
		{"fresh", now.Add(-time.Minute), now.Add(-time.Minute), "", false},
		{"due for renewal", now.Add(-3 * time.Hour), now.Add(-10 * time.Minute), "", true},
		{"idle", now.Add(-time.Hour), now.Add(-31 * time.Minute), "idle", false},
		{"past the absolute lifetime, though active", now.Add(-12*time.Hour - time.Minute), now.Add(-time.Minute), "expired", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := a.mint(ada, "ada", "ada@example.edu", tt.signedIn, tt.issued)
			w := a.get(&s, "/me")
			set, cleared := a.identitySet(w)
			if tt.wantWhy == "" {
				if w.Code != http.StatusOK {
					t.Fatalf("/me = %d, want 200", w.Code)
				}
				switch {
				case tt.wantRenewed && (set == nil || time.Since(set.IssuedAt) > time.Minute || !set.SignedInAt.Equal(tt.signedIn) || !set.Expires.Equal(tt.signedIn.Add(12*time.Hour))):
					t.Errorf("renewed cookie = %+v, want issued now with the same sign-in time and expiry", set)
				case !tt.wantRenewed && set != nil:
					t.Errorf("a fresh cookie was reissued: %+v", set)
				}
				return
			}
			want := "/signed-out?next=%2Fme&why=" + tt.wantWhy
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != want {
				t.Fatalf("/me = %d to %q, want 303 to %s", w.Code, w.Header().Get("Location"), want)
			}
			if !cleared {
				t.Error("the refused cookie was not cleared")
			}
			page := a.get(nil, want)
			doc := parseSigninDoc(t, page.Body.String())
			section := doc.byTestID("signed-out")
			if page.Code != http.StatusOK || section == nil || signinAttr(section, "data-why") != tt.wantWhy || doc.byTestID("signed-out-reason") == nil {
				t.Fatalf("signed-out page = %d without the %s reason:\n%s", page.Code, tt.wantWhy, page.Body)
			}
			if link := doc.byTestID("sign-in-again"); link == nil || signinAttr(link, "href") != "/login?next=%2Fme" {
				t.Errorf("the signed-out page does not link to signing in again and back to /me")
			}
		})
	}
}

// TestIdleSubmitIsKeptThroughSignIn: a quiz sent after the idle timeout is
// held, as for any signed-out submit, and the student is told why before
// signing in again and finding their answers.
func TestIdleSubmitIsKeptThroughSignIn(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ada := a.signIn("ada", "ada@example.edu")
	_, token := a.start(ada, "config")
	answers := rightAnswers(t, courseQuizzes(t)["config"], token)

	idle := a.mint(ada, "ada", "ada@example.edu", time.Now().Add(-time.Hour), time.Now().Add(-45*time.Minute))
	w := a.post(&idle, "/lessons/config/quiz", answers)
	want := "/signed-out?next=" + url.QueryEscape("/lessons/config/quiz/resume") + "&why=idle"
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != want {
		t.Fatalf("idle submit = %d to %q, want 303 to %s", w.Code, w.Header().Get("Location"), want)
	}
	var pending *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == pendingCookie {
			pending = c
		}
	}
	if pending == nil {
		t.Fatal("the idle submit was not held")
	}
	if n := a.count(`SELECT count(*) FROM attempts`); n != 0 {
		t.Fatalf("%d attempts stored after the idle timeout", n)
	}
	link := parseSigninDoc(t, a.get(nil, want).Body.String()).byTestID("sign-in-again")
	if link == nil || signinAttr(link, "href") != "/login?next="+url.QueryEscape("/lessons/config/quiz/resume") {
		t.Fatalf("the signed-out page does not lead back to the held answers")
	}

	fresh := a.signIn("ada", "ada@example.edu")
	r := httptest.NewRequest("GET", "/lessons/config/quiz/resume", nil)
	r.AddCookie(fresh.cookie)
	r.AddCookie(pending)
	resumed := serve(a.e, r)
	if resumed.Code != http.StatusOK || strings.Count(resumed.Body.String(), " checked") < 5 {
		t.Fatalf("resume after signing in again = %d, answers kept: %d checked", resumed.Code, strings.Count(resumed.Body.String(), " checked"))
	}
}

// TestSignOutEverywhereOnMe: /me offers "Sign out everywhere"; after it
// (as after any sign-out) a copy of the cookie kept elsewhere is refused.
// This app runs no sign-out listener, as a process whose listener is
// down: it asks the database on each signed-in request.
func TestSignOutEverywhereOnMe(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ada := a.signIn("ada", "ada@example.edu")
	me := a.get(&ada, "/me")
	form := parseSigninDoc(t, me.Body.String()).byTestID("sign-out-everywhere")
	if form == nil || signinAttr(form, "action") != "/logout" || signinAttr(form, "method") != "post" {
		t.Fatalf("/me has no sign-out-everywhere form posting to /logout:\n%s", me.Body)
	}
	if w := a.post(&ada, "/logout", nil, "Sec-Fetch-Site", "same-origin"); w.Code != http.StatusSeeOther {
		t.Fatalf("POST /logout = %d, want 303", w.Code)
	}
	w := a.get(&ada, "/me") // the same cookie, kept by another browser
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signed-out?next=%2Fme&why=everywhere" {
		t.Errorf("after signing out everywhere, the old cookie on /me = %d to %q, want 303 to the signed-out page", w.Code, w.Header().Get("Location"))
	}
	again := a.signIn("ada", "ada@example.edu")
	if w := a.get(&again, "/me"); w.Code != http.StatusOK {
		t.Errorf("signed in again: /me = %d, want 200", w.Code)
	}
}

// TestRoleFollowsSettings: the instructor group counts on every request as
// INSTRUCTOR_GROUP is set now. The same cookie, from a sign-in in the
// instructor group, is an instructor's where INSTRUCTOR_GROUP names that
// group and a student's where it is unset.
func TestRoleFollowsSettings(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	dbURL := storetest.NewURL(t)
	withGroup := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer(), databaseURL: dbURL})
	withoutGroup := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer(), databaseURL: dbURL, env: map[string]string{"INSTRUCTOR_GROUP": ""}})

	b := newBrowser(t) // one jar: cookies go to both sites, on one host
	b.signIn(withGroup, "instructor-ines", "/")
	check := func(site *signinSite, wantRole string, wantStatus int) {
		t.Helper()
		_, body := b.get(site.URL + "/")
		if _, role, ok := viewerOfPage(t, body); !ok || role != wantRole {
			t.Errorf("header role = %q (signed in %v), want %s", role, ok, wantRole)
		}
		if resp, _ := b.get(site.URL + "/_test/instructor"); resp.StatusCode != wantStatus {
			t.Errorf("instructor page = %d, want %d", resp.StatusCode, wantStatus)
		}
	}
	check(withGroup, "instructor", http.StatusOK)
	check(withoutGroup, "student", http.StatusForbidden)
	check(withGroup, "instructor", http.StatusOK) // the cookie itself still says what the provider said
}
