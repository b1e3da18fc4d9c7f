package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

const (
	codeA = "join-code-aaaaaaaaaaaa"
	codeB = "join-code-bbbbbbbbbbbb"
)

func newClass(t *testing.T, st *store.Store, slug string) store.Class {
	t.Helper()
	c, err := st.CreateClass(context.Background(), store.Class{Slug: slug, Name: "Class " + slug})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestCreateAndUpdateClass(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c, err := st.CreateClass(ctx, store.Class{Slug: "fall-26", Name: "Fall 2026", TimeZone: "Europe/Berlin",
		StartsOn: day(2026, 9, 1), EndsOn: day(2026, 12, 20), JoinCode: codeA})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || c.CreatedAt.IsZero() || c.Archived() {
		t.Errorf("created class = %+v, want an id, a creation time, not archived", c)
	}
	got, err := st.ClassBySlug(ctx, "fall-26")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("ClassBySlug (-created +read):\n%s", diff)
	}
	if got.StartsOn != day(2026, 9, 1) || got.EndsOn != day(2026, 12, 20) || got.JoinCode != codeA || got.TimeZone != "Europe/Berlin" {
		t.Errorf("read back %+v", got)
	}

	for _, tc := range []struct {
		name  string
		class store.Class
		want  error
	}{
		{"slug taken", store.Class{Slug: "fall-26", Name: "Again"}, store.ErrSlugTaken},
		{"bad slug", store.Class{Slug: "Fall 26", Name: "Bad"}, store.ErrInvalid},
		{"no name", store.Class{Slug: "noname"}, store.ErrInvalid},
		{"unknown time zone", store.Class{Slug: "tz", Name: "TZ", TimeZone: "Mars/Olympus"}, store.ErrInvalid},
		{"ends before it starts", store.Class{Slug: "dates", Name: "D", StartsOn: day(2026, 9, 1), EndsOn: day(2026, 8, 1)}, store.ErrInvalid},
		{"short join code", store.Class{Slug: "code", Name: "C", JoinCode: "short"}, store.ErrInvalid},
		{"join code taken", store.Class{Slug: "code2", Name: "C", JoinCode: codeA}, store.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := st.CreateClass(ctx, tc.class); !errors.Is(err, tc.want) {
				t.Errorf("CreateClass = %v, want %v", err, tc.want)
			}
		})
	}

	c.Name, c.TimeZone, c.StartsOn, c.EndsOn = "Autumn 2026", "America/New_York", time.Time{}, day(2027, 1, 10)
	if err := st.UpdateClass(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, _ = st.ClassBySlug(ctx, "fall-26")
	if got.Name != "Autumn 2026" || got.TimeZone != "America/New_York" || !got.StartsOn.IsZero() || got.EndsOn != day(2027, 1, 10) || got.JoinCode != codeA {
		t.Errorf("after UpdateClass: %+v", got)
	}
	if err := st.UpdateClass(ctx, store.Class{ID: c.ID + 100, Name: "x", TimeZone: "UTC"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateClass of no class = %v, want ErrNotFound", err)
	}
	if _, err := st.ClassBySlug(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ClassBySlug(nope) = %v, want ErrNotFound", err)
	}

	newClass(t, st, "a-first")
	all, err := st.Classes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range all {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"Autumn 2026", "Class a-first"}, names); diff != "" {
		t.Errorf("Classes by name (-want +got):\n%s", diff)
	}
}

func TestJoinClass(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c := newClass(t, st, "sec-1")
	ada, bob := newUser(t, st, "ada"), newUser(t, st, "bob")

	if _, _, err := st.JoinClass(ctx, codeA, ada); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("join with the link off = %v, want ErrNotFound", err)
	}
	if err := st.SetJoinCode(ctx, c.ID, codeA); err != nil {
		t.Fatal(err)
	}
	if byCode, err := st.ClassByJoinCode(ctx, codeA); err != nil || byCode.ID != c.ID {
		t.Errorf("ClassByJoinCode = %+v, %v", byCode, err)
	}
	got, added, err := st.JoinClass(ctx, codeA, ada)
	if err != nil || !added || got.ID != c.ID {
		t.Fatalf("first join = %+v, %v, %v; want the class, added", got, added, err)
	}
	if _, added, err := st.JoinClass(ctx, codeA, ada); err != nil || added {
		t.Errorf("second join = %v, %v; want not added, no error", added, err)
	}
	// A TA joining by the link stays a TA.
	if _, err := st.AddMember(ctx, c.ID, bob, store.RoleTA, store.ViaStaff); err != nil {
		t.Fatal(err)
	}
	if _, added, err := st.JoinClass(ctx, codeA, bob); err != nil || added {
		t.Errorf("TA's join = %v, %v; want not added", added, err)
	}
	members, err := st.ClassMembers(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Member{
		{ClassID: c.ID, UserID: ada, Role: store.RoleStudent, Via: store.ViaLink, Name: "ada", Email: "ada@example.edu"},
		{ClassID: c.ID, UserID: bob, Role: store.RoleTA, Via: store.ViaStaff, Name: "bob", Email: "bob@example.edu"},
	}
	if diff := cmp.Diff(want, members, cmpopts.IgnoreFields(store.Member{}, "JoinedAt")); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	// Only the student has a class gradebook row.
	if n := count(t, st, `SELECT count(*) FROM class_gradebook WHERE class_id = $1`, c.ID); n != 1 {
		t.Errorf("class gradebook rows = %d, want 1 (the student)", n)
	}

	// A rotated link stops the old code; a switched-off link stops all.
	if err := st.SetJoinCode(ctx, c.ID, codeB); err != nil {
		t.Fatal(err)
	}
	carol := newUser(t, st, "carol")
	if _, _, err := st.JoinClass(ctx, codeA, carol); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("join with a rotated code = %v, want ErrNotFound", err)
	}
	if _, _, err := st.JoinClass(ctx, codeB, carol); err != nil {
		t.Errorf("join with the new code = %v", err)
	}
	if err := st.SetJoinCode(ctx, c.ID, ""); err != nil {
		t.Fatal(err)
	}
	dan := newUser(t, st, "dan")
	if _, _, err := st.JoinClass(ctx, codeB, dan); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("join with the link off = %v, want ErrNotFound", err)
	}
	if _, err := st.ClassByJoinCode(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf(`ClassByJoinCode("") = %v, want ErrNotFound`, err)
	}

	// An archived class refuses joins, and takes them again once back.
	if err := st.SetJoinCode(ctx, c.ID, codeA); err != nil {
		t.Fatal(err)
	}
	if err := st.SetClassArchived(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.ClassBySlug(ctx, "sec-1"); !got.Archived() {
		t.Errorf("class not archived: %+v", got)
	}
	if _, _, err := st.JoinClass(ctx, codeA, dan); !errors.Is(err, store.ErrArchived) {
		t.Errorf("join an archived class = %v, want ErrArchived", err)
	}
	if err := st.SetClassArchived(ctx, c.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, added, err := st.JoinClass(ctx, codeA, dan); err != nil || !added {
		t.Errorf("join after unarchiving = %v, %v", added, err)
	}
	if err := st.SetClassArchived(ctx, c.ID+100, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("archive no class = %v, want ErrNotFound", err)
	}
}

func TestAddAndRemoveMembers(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c, d := newClass(t, st, "c"), newClass(t, st, "d")
	ada := newUser(t, st, "ada")

	if added, err := st.AddMember(ctx, c.ID, ada, store.RoleStudent, store.ViaAdmin); err != nil || !added {
		t.Fatalf("AddMember = %v, %v; want added", added, err)
	}
	if added, err := st.AddMember(ctx, c.ID, ada, store.RoleStudent, store.ViaStaff); err != nil || added {
		t.Errorf("AddMember again = %v, %v; want not added", added, err)
	}
	// Promoted: the role changes, how they joined stays, the gradebook row goes.
	if added, err := st.AddMember(ctx, c.ID, ada, store.RoleTA, store.ViaStaff); err != nil || added {
		t.Errorf("promote = %v, %v; want not added", added, err)
	}
	ms, err := st.ClassMembers(ctx, c.ID)
	if err != nil || len(ms) != 1 || ms[0].Role != store.RoleTA || ms[0].Via != store.ViaAdmin {
		t.Errorf("after promotion: %+v, %v; want one TA via admin", ms, err)
	}
	if n := count(t, st, `SELECT count(*) FROM class_gradebook WHERE class_id = $1`, c.ID); n != 0 {
		t.Errorf("a TA has a class gradebook row")
	}
	if _, err := st.AddMember(ctx, d.ID, ada, store.RoleInstructor, store.ViaStaff); err != nil {
		t.Fatal(err)
	}
	mine, err := st.MembershipsOf(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 2 || mine[0].ClassID != c.ID || mine[1].ClassID != d.ID || mine[1].Role != store.RoleInstructor {
		t.Errorf("MembershipsOf = %+v", mine)
	}

	for _, tc := range []struct {
		name        string
		class, user int64
		role        string
		want        error
	}{
		{"unknown role", c.ID, ada, "dean", store.ErrInvalid},
		{"no such user", c.ID, ada + 100, store.RoleStudent, store.ErrNotFound},
		{"no such class", d.ID + 100, ada, store.RoleStudent, store.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := st.AddMember(ctx, tc.class, tc.user, tc.role, store.ViaAdmin); !errors.Is(err, tc.want) {
				t.Errorf("AddMember = %v, want %v", err, tc.want)
			}
		})
	}

	if err := st.RemoveMember(ctx, c.ID, ada); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveMember(ctx, c.ID, ada); !errors.Is(err, store.ErrNotMember) {
		t.Errorf("removing a non-member = %v, want ErrNotMember", err)
	}
	if ms, _ := st.ClassMembers(ctx, c.ID); len(ms) != 0 {
		t.Errorf("members after removal: %+v", ms)
	}
}

func TestDeleteUsersFromWithClasses(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		other bool // a user of another issuer stays
	}{{"everyone", false}, {"some", true}} {
		t.Run(tc.name, func(t *testing.T) {
			st := store.New(storetest.NewPool(t))
			c := newClass(t, st, "gone")
			ada := newUser(t, st, "ada")
			if _, err := st.AddMember(ctx, c.ID, ada, store.RoleStudent, store.ViaAdmin); err != nil {
				t.Fatal(err)
			}
			if err := st.SetAccommodation(ctx, store.Accommodation{ClassID: c.ID, UserID: ada, ExtraMinutes: 5}); err != nil {
				t.Fatal(err)
			}
			na := attempt(ada, 1)
			na.ClassID = c.ID
			if _, _, err := st.SaveAttempt(ctx, na, quiz.DefaultSettings()); err != nil {
				t.Fatal(err)
			}
			if tc.other {
				if _, err := st.Pool().Exec(ctx, `INSERT INTO users (issuer, subject) VALUES ('https://other.test', 'x')`); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := st.DeleteUsersFrom(ctx, "https://idp.test"); err != nil || n != 1 {
				t.Fatalf("DeleteUsersFrom = %d, %v; want 1", n, err)
			}
			snap, err := st.LoadClass(ctx, c.ID)
			if err != nil || len(snap.Members) != 0 || len(snap.Accommodations) != 0 {
				t.Errorf("class after deleting its users: %+v, %v; want it without members", snap, err)
			}
			if n := count(t, st, `SELECT count(*) FROM class_grades`); n != 0 {
				t.Errorf("%d class grades left", n)
			}
		})
	}
}
