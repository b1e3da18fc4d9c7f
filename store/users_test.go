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
