package store_test

import (
	"testing"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

func TestUpsertUser(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	ctx := t.Context()
	first, err := st.UpsertUser(ctx, "https://idp.example", "sub-1", "ada@example.edu", "Ada Lovelace")
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.UpsertUser(ctx, "https://idp.example", "sub-1", "ada.king@example.edu", "Ada King")
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || again.Email != "ada.king@example.edu" || again.Name != "Ada King" {
		t.Errorf("second sign-in = %+v, want user %d with the new email and name", again, first.ID)
	}
	if !again.LastLoginAt.After(first.LastLoginAt) && !again.LastLoginAt.Equal(first.LastLoginAt) {
		t.Errorf("last_login_at went back: %v then %v", first.LastLoginAt, again.LastLoginAt)
	}
	other, err := st.UpsertUser(ctx, "https://other-idp.example", "sub-1", "ada@example.edu", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	if other.ID == first.ID {
		t.Error("the same subject at another issuer got the same user; want a separate one")
	}
}

func TestInstructorGrants(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	ctx := t.Context()
	steps := []struct {
		name   string
		do     func() (bool, error)
		want   bool
		holder bool // HasInstructorGrant afterwards
	}{
		{"grant", func() (bool, error) { return st.GrantInstructor(ctx, "Ines@Example.edu") }, true, true},
		{"grant again", func() (bool, error) { return st.GrantInstructor(ctx, "ines@example.edu") }, false, true},
		{"revoke", func() (bool, error) { return st.RevokeInstructor(ctx, " INES@example.edu ") }, true, false},
		{"revoke again", func() (bool, error) { return st.RevokeInstructor(ctx, "ines@example.edu") }, false, false},
	}
	for _, s := range steps {
		got, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.want {
			t.Errorf("%s changed something = %v, want %v", s.name, got, s.want)
		}
		has, err := st.HasInstructorGrant(ctx, "iNes@example.EDU")
		if err != nil {
			t.Fatal(err)
		}
		if has != s.holder {
			t.Errorf("after %s, HasInstructorGrant = %v, want %v", s.name, has, s.holder)
		}
	}
	if has, err := st.HasInstructorGrant(ctx, ""); err != nil || has {
		t.Errorf("HasInstructorGrant(\"\") = %v, %v; want false", has, err)
	}
}

// TestRecordSignInKeepsTheReportsRole follows users.instructor (the role
// the reports go by) through sign-ins, grants and revokes: the sign-in's
// policy decides it, a grant and a revoke change it at once, and a revoke
// leaves an instructor by setting an instructor.
func TestRecordSignInKeepsTheReportsRole(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	ctx := t.Context()
	// policy is a role policy in which the settings make the person an
	// instructor when bySetting, and a grant counts when verified.
	policy := func(bySetting, verified bool) func(bool) bool {
		return func(granted bool) bool { return bySetting || (verified && granted) }
	}
	ada := store.SignIn{Issuer: "https://idp.example", Subject: "ada", Email: "Ada@Example.edu", Name: "Ada"}
	flag := func(id int64) bool {
		t.Helper()
		u, err := st.UserByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return u.Instructor
	}
	steps := []struct {
		name string
		do   func() (int64, error)
		want bool
	}{
		{"student signs in", func() (int64, error) { u, err := st.RecordSignIn(ctx, ada, policy(false, true)); return u.ID, err }, false},
		{"granted", func() (int64, error) { _, err := st.GrantInstructor(ctx, "ada@example.edu"); return 0, err }, true},
		{"signs in holding the grant", func() (int64, error) { u, err := st.RecordSignIn(ctx, ada, policy(false, true)); return u.ID, err }, true},
		{"a grant does not count for an unverified email", func() (int64, error) {
			u, err := st.RecordSignIn(ctx, ada, policy(false, false))
			return u.ID, err
		}, false},
		{"signs in verified again", func() (int64, error) { u, err := st.RecordSignIn(ctx, ada, policy(false, true)); return u.ID, err }, true},
		{"revoked", func() (int64, error) { _, err := st.RevokeInstructor(ctx, "ada@example.edu"); return 0, err }, false},
		{"signs in listed in the settings", func() (int64, error) { u, err := st.RecordSignIn(ctx, ada, policy(true, true)); return u.ID, err }, true},
		{"granted while listed", func() (int64, error) { _, err := st.GrantInstructor(ctx, "ada@example.edu"); return 0, err }, true},
		{"revoked while listed: still an instructor by setting", func() (int64, error) {
			_, err := st.RevokeInstructor(ctx, "ada@example.edu")
			return 0, err
		}, true},
		{"signs in no longer listed", func() (int64, error) { u, err := st.RecordSignIn(ctx, ada, policy(false, true)); return u.ID, err }, false},
	}
	var id int64
	for _, s := range steps {
		got, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != 0 {
			if id != 0 && got != id {
				t.Fatalf("%s: user %d, want the same user %d", s.name, got, id)
			}
			id = got
		}
		if f := flag(id); f != s.want {
			t.Errorf("after %q, users.instructor = %v, want %v", s.name, f, s.want)
		}
	}
	if n, err := st.CountStudents(ctx, "", 0); err != nil || n != 1 {
		t.Errorf("CountStudents after the last sign-in as a student = %d, %v; want 1", n, err)
	}
}
