package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/store"
)

// classApp is a quizApp whose class directory reads its database.
type classApp struct {
	*quizApp
	dir *classes.Directory
}

const classBaseURL = "http://twelve.example"

// newClassApp is the app on a fresh database; wire, if given, makes last
// changes to its dependencies.
func newClassApp(t *testing.T, wire ...func(*Deps)) *classApp {
	t.Helper()
	var dir *classes.Directory
	qa := newQuizApp(t, "", nil, map[string]string{"BASE_URL": classBaseURL}, func(d *Deps) {
		dir = classes.New(classes.FromStore(d.Store), d.Logger)
		d.Classes = dir
		for _, w := range wire {
			w(d)
		}
	})
	return &classApp{quizApp: qa, dir: dir}
}

// class creates a class and loads it into the directory, as the process
// that made a change does.
func (a *classApp) class(c store.Class) store.Class {
	a.t.Helper()
	c, err := a.store.CreateClass(context.Background(), c)
	if err != nil {
		a.t.Fatal(err)
	}
	a.reload(c.ID)
	return c
}

func (a *classApp) reload(id int64) {
	a.t.Helper()
	if err := a.dir.Reload(context.Background(), id); err != nil {
		a.t.Fatal(err)
	}
}

func (a *classApp) members(classID int64) map[int64]string {
	a.t.Helper()
	ms, err := a.store.ClassMembers(context.Background(), classID)
	if err != nil {
		a.t.Fatal(err)
	}
	out := map[int64]string{}
	for _, m := range ms {
		out[m.UserID] = m.Role
	}
	return out
}

const (
	fallCode  = "fall26-join-code-0123456789"
	otherCode = "another-valid-code-abcdefgh"
)

func TestJoinByLink(t *testing.T) {
	a := newClassApp(t)
	class := a.class(store.Class{Slug: "fall-26", Name: "Twelve <Fall> 2026", TimeZone: "Europe/Berlin",
		StartsOn: time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC),
		JoinCode: fallCode})
	link := "/join/" + fallCode

	// Signed out: off to sign in, and back to the link afterwards.
	w := a.get(nil, link)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("signed-out GET = %d, want 303", w.Code)
	}
	if got, want := w.Header().Get("Location"), "/login?next="+url.QueryEscape(link); got != want {
		t.Errorf("signed-out GET Location = %q, want %q", got, want)
	}

	ada := a.signIn("ada", "ada@example.edu")
	w = a.get(&ada, link)
	if w.Code != http.StatusOK {
		t.Fatalf("GET = %d, want 200:\n%s", w.Code, w.Body)
	}
	doc := parseSigninDoc(t, w.Body.String())
	if got, _ := doc.text("class-name"); got != class.Name {
		t.Errorf("class name = %q, want %q", got, class.Name)
	}
	if got, _ := doc.text("class-dates"); got != "7 Sep – 18 Dec 2026" {
		t.Errorf("class dates = %q", got)
	}
	form := doc.byTestID("join-form")
	if form == nil || signinAttr(form, "method") != "post" || signinAttr(form, "action") != link {
		t.Fatalf("no POST form to %s on the page:\n%s", link, w.Body)
	}
	if n := len(signinAll(doc.root, "button")) - 1; n != 1 { // the header's sign-out is the other
		t.Errorf("%d buttons besides sign-out, want exactly one", n)
	}
	if len(a.members(class.ID)) != 0 {
		t.Fatal("a GET joined the class")
	}

	// Joining: a student, via the link, shown at once on the home page.
	w = a.post(&ada, link, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/?joined=fall-26" {
		t.Fatalf("POST = %d to %q, want 303 to /?joined=fall-26:\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if got := a.members(class.ID); got[ada.id] != store.RoleStudent || len(got) != 1 {
		t.Fatalf("members = %v, want ada as the one student", got)
	}
	if n := a.count(`SELECT count(*) FROM class_members WHERE via = 'link'`); n != 1 {
		t.Errorf("%d members joined via the link, want 1", n)
	}
	if role := a.dir.Role(class.ID, ada.id); role != store.RoleStudent {
		t.Errorf("directory role = %q: the join did not reload the class", role)
	}
	home := parseSigninDoc(t, a.get(&ada, "/?joined=fall-26").Body.String())
	if got, _ := home.text("joined"); got == "" {
		t.Error("the home page does not confirm the join")
	}
	if home.byTestID("my-classes") == nil {
		t.Error("the home page does not show the class just joined")
	}

	// Again: nothing changes, and the page says so.
	for _, method := range []string{"GET", "POST"} {
		if method == "GET" {
			w = a.get(&ada, link)
		} else {
			w = a.post(&ada, link, nil)
		}
		doc := parseSigninDoc(t, w.Body.String())
		if w.Code != http.StatusOK || doc.byTestID("join-state") == nil || doc.byTestID("join-form") != nil {
			t.Errorf("%s as a member = %d, want 200 saying they are in the class, with no button:\n%s", method, w.Code, w.Body)
		}
	}
	if got := a.members(class.ID); len(got) != 1 {
		t.Errorf("members after joining twice = %v", got)
	}
	// The code is a shared secret: the request log names the route only.
	if strings.Contains(a.logs.String(), fallCode) {
		t.Error("the join code was logged")
	}
	if !strings.Contains(a.logs.String(), `"path":"/join/[code]"`) {
		t.Error("the join requests were not logged (by route)")
	}
}

// TestJoinLinkRefused: a code that does not (or no longer) open a class
// gets one answer whatever the reason, and an archived class refuses;
// neither changes anything, by GET or POST.
func TestJoinLinkRefused(t *testing.T) {
	a := newClassApp(t)
	ctx := context.Background()
	rotated := a.class(store.Class{Slug: "rotated", Name: "Rotated", JoinCode: "rotated-old-code-0123456789"})
	if err := a.store.SetJoinCode(ctx, rotated.ID, "rotated-new-code-0123456789"); err != nil {
		t.Fatal(err)
	}
	off := a.class(store.Class{Slug: "off", Name: "Off", JoinCode: "switched-off-code-012345678"})
	if err := a.store.SetJoinCode(ctx, off.ID, ""); err != nil {
		t.Fatal(err)
	}
	archived := a.class(store.Class{Slug: "archived", Name: "Archived", JoinCode: "archived-code-0123456789ab"})
	if err := a.store.SetClassArchived(ctx, archived.ID, true); err != nil {
		t.Fatal(err)
	}
	a.reload(rotated.ID)
	a.reload(off.ID)
	a.reload(archived.ID)
	ada := a.signIn("ada", "ada@example.edu")

	tests := []struct {
		name   string
		code   string
		status int
	}{
		{"forged", "forged-code-that-no-class-has", http.StatusNotFound},
		{"rotated", "rotated-old-code-0123456789", http.StatusNotFound},
		{"switched off", "switched-off-code-012345678", http.StatusNotFound},
		{"malformed", "short", http.StatusNotFound},
		{"not a code at all", "<script>alert(1)<%2Fscript>", http.StatusNotFound},
		{"archived", "archived-code-0123456789ab", http.StatusGone},
	}
	var deadHeading string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{"GET", "POST"} {
				var w = a.get(&ada, "/join/"+tt.code)
				if method == "POST" {
					w = a.post(&ada, "/join/"+tt.code, nil)
				}
				if w.Code != tt.status {
					t.Errorf("%s = %d, want %d:\n%s", method, w.Code, tt.status, w.Body)
				}
				doc := parseSigninDoc(t, w.Body.String())
				// The heading and the sentence (the request id differs).
				msg, _ := doc.text("error-message")
				heading := signinText(doc.byTestID("error"), "h1") + ": " + msg
				if tt.status == http.StatusNotFound {
					if deadHeading == "" {
						deadHeading = heading
					}
					if heading != deadHeading {
						t.Errorf("%s: the page tells this code apart from others:\n%s\nvs\n%s", method, heading, deadHeading)
					}
				}
				if doc.byTestID("join-form") != nil {
					t.Errorf("%s: a refused link shows a join button", method)
				}
			}
		})
	}
	if n := a.count(`SELECT count(*) FROM class_members`); n != 0 {
		t.Errorf("%d memberships after refused joins, want none", n)
	}
	if want := "This join link does not work: "; !strings.HasPrefix(deadHeading, want) {
		t.Errorf("refusal page %q does not say %q", deadHeading, want)
	}
}

// TestJoinOwnClassAsStaff: an instructor of the class opening its link
// is told they teach it, and stays its instructor.
func TestJoinOwnClassAsStaff(t *testing.T) {
	a := newClassApp(t)
	class := a.class(store.Class{Slug: "fall-26", Name: "Fall", JoinCode: fallCode})
	ines := a.signIn("ines", "ines@example.edu")
	if _, err := a.store.AddMember(context.Background(), class.ID, ines.id, store.RoleInstructor, store.ViaStaff); err != nil {
		t.Fatal(err)
	}
	a.reload(class.ID)
	for _, method := range []string{"GET", "POST"} {
		w := a.get(&ines, "/join/"+fallCode)
		if method == "POST" {
			w = a.post(&ines, "/join/"+fallCode, nil)
		}
		doc := parseSigninDoc(t, w.Body.String())
		state, _ := doc.text("join-state")
		if w.Code != http.StatusOK || !strings.Contains(state, "instructor or teaching assistant") || doc.byTestID("join-form") != nil {
			t.Errorf("%s by the class's instructor = %d %q, want 200 saying they teach it, with no button", method, w.Code, state)
		}
	}
	if got := a.members(class.ID); got[ines.id] != store.RoleInstructor || len(got) != 1 {
		t.Errorf("members = %v, want ines still the instructor", got)
	}
}

// TestJoinIsRateLimited: the link shares the sign-in budget, so codes
// cannot be tried by the thousand from one address.
func TestJoinIsRateLimited(t *testing.T) {
	// A clock that stands still: the budget never refills mid-test.
	now := time.Now()
	a := newClassApp(t, func(d *Deps) { d.Clock = func() time.Time { return now } })
	ada := a.signIn("ada", "ada@example.edu")
	limited := 0
	for range signInLimit.Burst + 5 {
		if w := a.get(&ada, "/join/forged-code-that-no-class-has"); w.Code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Errorf("%d tries of a join code from one address were all answered", signInLimit.Burst+5)
	}
}

// signinText is the text of the first tag element inside n.
func signinText(n *html.Node, tag string) string {
	els := signinAll(n, tag)
	if len(els) == 0 {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(els[0])
	return strings.TrimSpace(b.String())
}

// TestJoinLinkSurvivesSignIn: a signed-out student opening a join link
// signs in at the provider and lands back on the link, whose button
// joins; the same form sent from another site changes nothing.
func TestJoinLinkSurvivesSignIn(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	if _, err := site.store.CreateClass(context.Background(), store.Class{Slug: "fall-26", Name: "Fall 2026", JoinCode: fallCode}); err != nil {
		t.Fatal(err)
	}
	link := site.URL + "/join/" + fallCode
	b := newBrowser(t)
	resp, body := b.get(link)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the link signed out ended at %s with %d, want the provider's chooser", resp.Request.URL, resp.StatusCode)
	}
	resp, body = b.choose(resp, body, "account-student-ada")
	if got := resp.Request.URL.String(); got != link || resp.StatusCode != http.StatusOK {
		t.Fatalf("after signing in the browser is at %s (%d), want back at %s", got, resp.StatusCode, link)
	}
	doc := parseSigninDoc(t, body)
	if got, _ := doc.text("class-name"); got != "Fall 2026" || doc.byTestID("join-form") == nil {
		t.Fatalf("back at the link: class %q, form %v:\n%s", got, doc.byTestID("join-form"), body)
	}
	members := func() int {
		var n int
		if err := site.pool.QueryRow(context.Background(), `SELECT count(*) FROM class_members`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if resp, _ := b.postFormFrom("https://evil.example", link, nil); resp.StatusCode != http.StatusForbidden || members() != 0 {
		t.Errorf("a join posted from another site = %d with %d members, want 403 and none", resp.StatusCode, members())
	}
	resp, _ = b.postForm(link, nil)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" || resp.Request.URL.Query().Get("joined") != "fall-26" {
		t.Errorf("joining ended at %s (%d), want the home page confirming it", resp.Request.URL, resp.StatusCode)
	}
	if n := members(); n != 1 {
		t.Errorf("%d members after joining, want 1", n)
	}
}
