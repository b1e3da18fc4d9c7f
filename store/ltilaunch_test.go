package store_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// launch is a launch of platform p by user sub in context contextID.
func launch(p store.LTIPlatform, sub, contextID, role string) store.LTILaunch {
	return store.LTILaunch{
		PlatformID: p.ID, DeploymentID: "dep-1",
		Issuer: p.Issuer, Subject: sub, Email: sub + "@lms.test", Name: "Name " + sub,
		ContextID: contextID, ContextTitle: "Course " + contextID, ContextLabel: "C-" + contextID,
		Role:           role,
		ResourceLinkID: "link-" + contextID,
		LineItemsURL:   p.Issuer + "/lineitems/" + contextID,
		AGSScopes:      []string{"https://purl.imsglobal.org/spec/lti-ags/scope/score"},
		MembershipsURL: p.Issuer + "/memberships/" + contextID,
	}
}

// counts returns the number of rows of the LTI launch's tables.
func counts(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"users", "classes", "class_members", "lti_contexts", "lti_links", "lti_lineitems", "class_gradebook"} {
		var n int
		if err := st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func TestRecordLTILaunch(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	p := addPlatform(t, st, "https://lms.test")
	in := launch(p, "sam", "course-1", store.RoleStudent)
	res, err := st.RecordLTILaunch(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.User.ID == 0 || res.User.Issuer != p.Issuer || res.User.Subject != "sam" || res.User.Email != "sam@lms.test" || res.User.Instructor {
		t.Errorf("user = %+v", res.User)
	}
	if !res.ClassCreated || res.Class.Name != "Course course-1" || res.Class.TimeZone != "UTC" ||
		!regexp.MustCompile(`^lti-[a-z2-7]{10}$`).MatchString(res.Class.Slug) {
		t.Errorf("class = %+v, created %v; want a new class named from the title, UTC, slug lti-…", res.Class, res.ClassCreated)
	}
	if want := (store.LTILink{ClassID: res.Class.ID}); res.Link != want {
		t.Errorf("link = %+v, want %+v (the class)", res.Link, want)
	}
	members, err := st.ClassMembers(ctx, res.Class.ID)
	if err != nil || len(members) != 1 || members[0].UserID != res.User.ID || members[0].Role != store.RoleStudent || members[0].Via != store.ViaLTI {
		t.Errorf("members = %+v, %v; want sam, student, via lti", members, err)
	}
	lc, ok, err := st.LTIContextOf(ctx, res.Class.ID)
	if err != nil || !ok {
		t.Fatalf("LTIContextOf = %v, %v", ok, err)
	}
	if lc.Platform.ID != p.ID || lc.Platform.TokenURL != p.TokenURL || lc.DeploymentID != "dep-1" || lc.ContextID != "course-1" ||
		lc.LineItemsURL != in.LineItemsURL || !cmp.Equal(lc.AGSScopes, in.AGSScopes) || lc.MembershipsURL != in.MembershipsURL || !lc.RosterSyncedAt.IsZero() {
		t.Errorf("context = %+v", lc)
	}
	before := counts(t, st)
	want := map[string]int{"users": 1, "classes": 1, "class_members": 1, "lti_contexts": 1, "lti_links": 1, "lti_lineitems": 0, "class_gradebook": 1}
	if diff := cmp.Diff(want, before); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	// Again: the same rows.
	again, err := st.RecordLTILaunch(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if again.ClassCreated || again.Class != res.Class || again.User.ID != res.User.ID || again.Link != res.Link {
		t.Errorf("second launch = %+v, want the same user, class and link, none created", again)
	}
	if diff := cmp.Diff(before, counts(t, st)); diff != "" {
		t.Errorf("rows after the same launch again (-before +after):\n%s", diff)
	}

	// A later launch: the LMS made sam a TA, the endpoints moved, the
	// link was deep-linked to a quiz with its line item; an email holding
	// an instructor grant only counts when verified.
	if _, err := st.GrantInstructor(ctx, "sam@lms.test"); err != nil {
		t.Fatal(err)
	}
	in.Role, in.Name = store.RoleTA, "Sam Renamed"
	in.LineItemsURL, in.MembershipsURL, in.AGSScopes = p.Issuer+"/v2/lineitems", p.Issuer+"/v2/memberships", []string{"a", "b"}
	in.Lesson, in.Quiz, in.LineItemURL = "config", true, p.Issuer+"/lineitems/7"
	later, err := st.RecordLTILaunch(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if later.User.Name != "Sam Renamed" || later.User.Instructor {
		t.Errorf("user = %+v, want renamed, not an instructor (email not verified)", later.User)
	}
	if want := (store.LTILink{ClassID: res.Class.ID, Lesson: "config", Quiz: true}); later.Link != want {
		t.Errorf("link = %+v, want %+v", later.Link, want)
	}
	if members, _ := st.ClassMembers(ctx, res.Class.ID); len(members) != 1 || members[0].Role != store.RoleTA {
		t.Errorf("members = %+v, want sam as a TA", members)
	}
	if url, err := st.LTILineItem(ctx, res.Class.ID, "config"); err != nil || url != in.LineItemURL {
		t.Errorf("LTILineItem = %q, %v; want %q", url, err, in.LineItemURL)
	}
	lc, _, _ = st.LTIContextOf(ctx, res.Class.ID)
	if lc.LineItemsURL != in.LineItemsURL || lc.MembershipsURL != in.MembershipsURL || !cmp.Equal(lc.AGSScopes, []string{"a", "b"}) {
		t.Errorf("context = %+v, want the new endpoints", lc)
	}

	// A launch of the same link that names no lesson lands where the row
	// says; one without endpoints keeps the stored ones; a verified
	// granted email makes an instructor of the course.
	plain := launch(p, "sam", "course-1", store.RoleTA)
	plain.LineItemsURL, plain.MembershipsURL, plain.AGSScopes = "", "", nil
	plain.EmailVerified = true
	kept, err := st.RecordLTILaunch(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	if kept.Link.Lesson != "config" || !kept.Link.Quiz || !kept.User.Instructor {
		t.Errorf("plain launch = %+v, want the stored link to the config quiz and an instructor", kept)
	}
	if lc, _, _ := st.LTIContextOf(ctx, res.Class.ID); lc.LineItemsURL != in.LineItemsURL || !cmp.Equal(lc.AGSScopes, []string{"a", "b"}) {
		t.Errorf("context after a launch without AGS = %+v, want the endpoints kept", lc)
	}

	// A second context: a second class. The same user of another platform
	// (another issuer): another user.
	other, err := st.RecordLTILaunch(ctx, launch(p, "sam", "course-2", store.RoleStudent))
	if err != nil {
		t.Fatal(err)
	}
	if !other.ClassCreated || other.Class.ID == res.Class.ID || other.Class.Slug == res.Class.Slug || other.User.ID != res.User.ID {
		t.Errorf("second context = %+v, want a second class for the same user", other)
	}
	q := addPlatform(t, st, "https://other-lms.test")
	elsewhere, err := st.RecordLTILaunch(ctx, launch(q, "sam", "course-1", store.RoleStudent))
	if err != nil {
		t.Fatal(err)
	}
	if elsewhere.User.ID == res.User.ID || elsewhere.Class.ID == res.Class.ID || !elsewhere.ClassCreated {
		t.Errorf("another platform's launch = %+v, want another user and class", elsewhere)
	}

	// No context: the user only.
	bare := launch(p, "nobody", "", store.RoleStudent)
	if r, err := st.RecordLTILaunch(ctx, bare); err != nil || r.User.ID == 0 || r.Class.ID != 0 || r.Link != (store.LTILink{}) {
		t.Errorf("launch with no context = %+v, %v; want a user only", r, err)
	}
	// No role: no membership.
	guest := launch(p, "guest", "course-1", "")
	if r, err := st.RecordLTILaunch(ctx, guest); err != nil || r.Class.ID != res.Class.ID {
		t.Errorf("launch with no role = %+v, %v", r, err)
	}
	if members, _ := st.ClassMembers(ctx, res.Class.ID); len(members) != 1 {
		t.Errorf("members = %+v, want sam alone", members)
	}
}

func TestRecordLTILaunchFailsWhole(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	p := addPlatform(t, st, "https://lms.test")
	before := counts(t, st)
	// The role is refused by the schema, after the user's row and the
	// class were written: nothing may stay.
	if _, err := st.RecordLTILaunch(ctx, launch(p, "sam", "course-1", "Learner")); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("invalid role = %v, want ErrInvalid", err)
	}
	if _, err := st.RecordLTILaunch(ctx, launch(p, "", "course-1", store.RoleStudent)); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no subject = %v, want ErrInvalid", err)
	}
	// Texts PostgreSQL cannot hold, late in the transaction (the link).
	for _, bad := range []string{"a\x00b", "a\xffb"} {
		in := launch(p, "sam", "course-1", store.RoleStudent)
		in.ResourceLinkID = bad
		if _, err := st.RecordLTILaunch(ctx, in); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("resource link id %q = %v, want ErrInvalid", bad, err)
		}
	}
	if err := st.UseLTINonce(ctx, "1:a\x00b", time.Now().Add(time.Minute)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("nonce with a NUL = %v, want ErrInvalid", err)
	}
	if diff := cmp.Diff(before, counts(t, st)); diff != "" {
		t.Errorf("rows after failed launches (-before +after):\n%s", diff)
	}
}

func TestRecordLTILaunchAtOnceMakesOneClass(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	p := addPlatform(t, a, "https://lms.test")
	var wg sync.WaitGroup
	var mu sync.Mutex
	classes := map[int64]int{}
	for i := range 10 {
		wg.Go(func() {
			st := a
			if i%2 == 1 {
				st = b
			}
			r, err := st.RecordLTILaunch(ctx, launch(p, "user"+strings.Repeat("x", i), "course-1", store.RoleStudent))
			if err != nil {
				t.Errorf("launch %d: %v", i, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			classes[r.Class.ID]++
		})
	}
	wg.Wait()
	if len(classes) != 1 {
		t.Errorf("classes made = %v, want one", classes)
	}
	if n := counts(t, a); n["classes"] != 1 || n["class_members"] != 10 {
		t.Errorf("rows = %v, want one class of ten", n)
	}
}

func TestRecordLTILaunchNotifiesTheClass(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	l, err := st.ListenClasses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	p := addPlatform(t, st, "https://lms.test")
	r, err := st.RecordLTILaunch(ctx, launch(p, "sam", "course-1", store.RoleStudent))
	if err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if id, err := l.Next(wait); err != nil || id != r.Class.ID {
		t.Fatalf("heard %d, %v; want class %d", id, err, r.Class.ID)
	}
	// The same launch again changes no class: the next heard is another's.
	if _, err := st.RecordLTILaunch(ctx, launch(p, "sam", "course-1", store.RoleStudent)); err != nil {
		t.Fatal(err)
	}
	c2, err := st.RecordLTILaunch(ctx, launch(p, "sam", "course-2", store.RoleStudent))
	if err != nil {
		t.Fatal(err)
	}
	if id, err := l.Next(wait); err != nil || id != c2.Class.ID {
		t.Errorf("heard %d, %v; want class %d", id, err, c2.Class.ID)
	}
	// A new member of the first class is heard.
	if _, err := st.RecordLTILaunch(ctx, launch(p, "ann", "course-1", store.RoleStudent)); err != nil {
		t.Fatal(err)
	}
	if id, err := l.Next(wait); err != nil || id != r.Class.ID {
		t.Errorf("heard %d, %v; want class %d", id, err, r.Class.ID)
	}
}

func TestLTIClassName(t *testing.T) {
	long := strings.Repeat("é", 250)
	for _, tc := range []struct{ title, label, id, want string }{
		{"Biology 101", "BIO", "c1", "Biology 101"},
		{"  ", "BIO", "c1", "LMS course BIO"},
		{"", "", "c1", "LMS course c1"},
		{long, "", "c1", strings.Repeat("é", 200)},
	} {
		if got := store.LTIClassName(tc.title, tc.label, tc.id); got != tc.want {
			t.Errorf("LTIClassName(%q, %q, %q) = %q, want %q", tc.title, tc.label, tc.id, got, tc.want)
		}
	}
	// A class is made with the longest name.
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	p := addPlatform(t, st, "https://lms.test")
	in := launch(p, "sam", "c", store.RoleInstructor)
	in.ContextTitle = long
	if r, err := st.RecordLTILaunch(ctx, in); err != nil || r.Class.Name != strings.Repeat("é", 200) {
		t.Errorf("launch with a long title = %q, %v", r.Class.Name, err)
	}
}

func TestLTILineItems(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c := newClass(t, st, "plain")
	if url, err := st.LTILineItem(ctx, c.ID, "config"); err != nil || url != "" {
		t.Errorf("no line item = %q, %v; want \"\"", url, err)
	}
	for _, url := range []string{"https://lms.test/li/1", "https://lms.test/li/2"} {
		if err := st.SetLTILineItem(ctx, c.ID, "config", url); err != nil {
			t.Fatal(err)
		}
		if got, err := st.LTILineItem(ctx, c.ID, "config"); err != nil || got != url {
			t.Errorf("LTILineItem = %q, %v; want %q", got, err, url)
		}
	}
	if err := st.SetLTILineItem(ctx, c.ID+100, "config", "https://x.test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("line item of no class = %v, want ErrNotFound", err)
	}
	if err := st.SetLTILineItem(ctx, c.ID, "config", ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty line item = %v, want ErrInvalid", err)
	}
	if _, ok, err := st.LTIContextOf(ctx, c.ID); ok || err != nil {
		t.Errorf("LTIContextOf a plain class = %v, %v; want false", ok, err)
	}
}

func TestSyncLTIRoster(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	p := addPlatform(t, st, "https://lms.test")
	r, err := st.RecordLTILaunch(ctx, launch(p, "iris", "course-1", store.RoleInstructor))
	if err != nil {
		t.Fatal(err)
	}
	roster := []store.LTIMember{
		{UserID: "iris", Name: "", Email: "", Role: store.RoleInstructor}, // launched: keeps her name
		{UserID: "sam", Name: "Sam", Email: "sam@lms.test", Role: store.RoleStudent},
		{UserID: "tia", Name: "Tia", Role: store.RoleTA},
		{UserID: "sam", Name: "Sam twice", Role: store.RoleTA}, // listed twice: the first counts
		{UserID: "mentor", Name: "No role"},                    // no class role: left out
	}
	added, err := st.SyncLTIRoster(ctx, r.Class.ID, p.Issuer, roster)
	if err != nil || added != 2 {
		t.Fatalf("SyncLTIRoster = %d, %v; want 2 added", added, err)
	}
	members, err := st.ClassMembers(ctx, r.Class.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range members {
		got[m.Name] = m.Role + " " + m.Via
	}
	want := map[string]string{"Name iris": "instructor lti", "Sam": "student lti", "Tia": "ta lti"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	before := counts(t, st)
	if before["class_gradebook"] != 1 {
		t.Errorf("gradebook rows = %d, want 1 (sam, not started)", before["class_gradebook"])
	}
	if added, err := st.SyncLTIRoster(ctx, r.Class.ID, p.Issuer, roster); err != nil || added != 0 {
		t.Errorf("same roster again = %d, %v; want 0", added, err)
	}
	if diff := cmp.Diff(before, counts(t, st)); diff != "" {
		t.Errorf("rows after the same roster (-before +after):\n%s", diff)
	}
	lc, _, _ := st.LTIContextOf(ctx, r.Class.ID)
	if lc.RosterSyncedAt.IsZero() {
		t.Errorf("roster synced at is zero")
	}
	// Sam's first launch finds the user the roster made.
	if l, err := st.RecordLTILaunch(ctx, launch(p, "sam", "course-1", store.RoleStudent)); err != nil || l.User.Email != "sam@lms.test" {
		t.Errorf("sam's launch = %+v, %v", l.User, err)
	} else if n := counts(t, st); n["users"] != before["users"] {
		t.Errorf("users = %d after sam's launch, want %d", n["users"], before["users"])
	}

	// Refusals change nothing.
	plain := newClass(t, st, "plain")
	for _, tc := range []struct {
		name    string
		class   int64
		issuer  string
		members []store.LTIMember
		want    error
	}{
		{"not an LTI class", plain.ID, p.Issuer, roster, store.ErrNotFound},
		{"another platform's issuer", r.Class.ID, "https://other.test", roster, store.ErrNotFound},
		{"unknown role", r.Class.ID, p.Issuer, []store.LTIMember{{UserID: "x", Role: "Learner"}}, store.ErrInvalid},
		{"no user id", r.Class.ID, p.Issuer, []store.LTIMember{{Role: store.RoleStudent}}, store.ErrInvalid},
		{"NUL in a name", r.Class.ID, p.Issuer, []store.LTIMember{{UserID: "x", Name: "a\x00b", Role: store.RoleStudent}}, store.ErrInvalid},
	} {
		before := counts(t, st)
		if _, err := st.SyncLTIRoster(ctx, tc.class, tc.issuer, tc.members); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if diff := cmp.Diff(before, counts(t, st)); diff != "" {
			t.Errorf("%s: rows (-before +after):\n%s", tc.name, diff)
		}
	}
}

// TestLTILaunchesAndRosterSyncsAtOnce runs launches and roster syncs of
// one course at once, from two processes: none may fail (a deadlock
// would), and every member ends up once.
func TestLTILaunchesAndRosterSyncsAtOnce(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	p := addPlatform(t, a, "https://lms.test")
	r, err := a.RecordLTILaunch(ctx, launch(p, "iris", "course-1", store.RoleInstructor))
	if err != nil {
		t.Fatal(err)
	}
	var roster []store.LTIMember
	for i := range 30 {
		roster = append(roster, store.LTIMember{UserID: "u" + strconv.Itoa(i), Name: "U", Role: store.RoleStudent})
	}
	reversed := slices.Clone(roster)
	slices.Reverse(reversed)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			st := []*store.Store{a, b}[i%2]
			var err error
			if i%4 < 2 {
				_, err = st.SyncLTIRoster(ctx, r.Class.ID, p.Issuer, [][]store.LTIMember{roster, reversed}[i%2])
			} else {
				in := launch(p, "u"+strconv.Itoa(i), "course-1", store.RoleTA)
				in.LineItemsURL += "/" + strconv.Itoa(i) // each launch moves the endpoint: writes the context row
				_, err = st.RecordLTILaunch(ctx, in)
			}
			if err != nil {
				t.Errorf("%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if members, err := a.ClassMembers(ctx, r.Class.ID); err != nil || len(members) != 31 {
		t.Errorf("%d members, %v; want 31", len(members), err)
	}
}
