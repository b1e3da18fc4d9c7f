package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

func roleOf(t *testing.T, st *store.Store, class, user int64) string {
	t.Helper()
	ms, err := st.MembershipsOf(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ClassID == class {
			return m.Role + " via " + m.Via
		}
	}
	return ""
}

func TestRosterAndInvitesAtSignIn(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c := newClass(t, st, "roster")
	ada := newUser(t, st, "ada") // ada@example.edu

	members, invites, err := st.AddRoster(ctx, c.ID, []store.Invite{
		{Email: " ADA@Example.edu ", Role: store.RoleStudent},
		{Email: "new@example.edu", Role: store.RoleStudent, Name: "New One"},
		{Email: "New@example.edu", Role: store.RoleInstructor}, // a repeat: the first row counts
		{Email: "ta@example.edu", Role: store.RoleTA},
	})
	if err != nil || members != 1 || invites != 2 {
		t.Fatalf("AddRoster = %d members, %d invites, %v; want 1, 2", members, invites, err)
	}
	if got := roleOf(t, st, c.ID, ada); got != "student via roster" {
		t.Errorf("ada is %q, want student via roster", got)
	}
	got, err := st.ClassInvites(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Invite{
		{ClassID: c.ID, Email: "new@example.edu", Role: store.RoleStudent, Name: "New One"},
		{ClassID: c.ID, Email: "ta@example.edu", Role: store.RoleTA},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("invites (-want +got):\n%s", diff)
	}
	// The same roster again changes nothing.
	if members, invites, err := st.AddRoster(ctx, c.ID, []store.Invite{
		{Email: "ada@example.edu", Role: store.RoleStudent},
		{Email: "new@example.edu", Role: store.RoleStudent, Name: "New One"},
	}); err != nil || members != 0 || invites != 0 {
		t.Errorf("the same roster again = %d, %d, %v; want 0, 0", members, invites, err)
	}
	// A bad row refuses the whole roster.
	for _, bad := range []store.Invite{{Email: "x@example.edu", Role: "dean"}, {Email: "not-an-email", Role: store.RoleStudent}, {Email: "", Role: store.RoleStudent}} {
		if _, _, err := st.AddRoster(ctx, c.ID, []store.Invite{{Email: "fine@example.edu", Role: store.RoleStudent}, bad}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("roster with %+v = %v, want ErrInvalid", bad, err)
		}
	}
	if is, _ := st.ClassInvites(ctx, c.ID); len(is) != 2 {
		t.Errorf("a refused roster left invites: %+v", is)
	}

	// An unverified sign-in with the invited email is no member.
	student := func(verified bool, subject string) store.User {
		t.Helper()
		u, err := st.RecordSignIn(ctx, store.SignIn{Issuer: "https://idp.test", Subject: subject, Email: "New@Example.edu",
			Name: "New One", EmailVerified: verified}, func(bool) bool { return false })
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	u := student(false, "new")
	if got := roleOf(t, st, c.ID, u.ID); got != "" {
		t.Errorf("an unverified sign-in made a member: %s", got)
	}
	if is, _ := st.ClassInvites(ctx, c.ID); len(is) != 2 {
		t.Errorf("an unverified sign-in took the invite: %+v", is)
	}
	// A verified one is.
	u = student(true, "new")
	if got := roleOf(t, st, c.ID, u.ID); got != "student via roster" {
		t.Errorf("after a verified sign-in: %q, want student via roster", got)
	}
	if n := count(t, st, `SELECT count(*) FROM class_gradebook WHERE class_id = $1 AND user_id = $2`, c.ID, u.ID); n != 1 {
		t.Errorf("the invited student has no class gradebook row")
	}
	ta, err := st.RecordSignIn(ctx, store.SignIn{Issuer: "https://idp.test", Subject: "ta", Email: "ta@example.edu", EmailVerified: true},
		func(bool) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if got := roleOf(t, st, c.ID, ta.ID); got != "ta via staff" {
		t.Errorf("invited TA is %q, want ta via staff", got)
	}
	if is, _ := st.ClassInvites(ctx, c.ID); len(is) != 0 {
		t.Errorf("invites left after their sign-ins: %+v", is)
	}
}
