package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

func TestAdminGrantAndRevokeInstructor(t *testing.T) {
	dbURL := storetest.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "SECRET_KEY": testSecret, "INSTRUCTOR_EMAILS": "ines@example.edu"}
	getenv := func(k string) string { return env[k] }
	pool, err := store.Open(context.Background(), dbURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)

	steps := []struct {
		name      string
		args      []string
		wantOut   string
		wantErr   bool
		wantGrant bool
	}{
		{"grant", []string{"grant-instructor", "Brook@Example.edu"}, "granted: brook@example.edu", false, true},
		{"grant twice", []string{"grant-instructor", "brook@example.edu"}, "unchanged: brook@example.edu already had", false, true},
		{"revoke", []string{"revoke-instructor", "brook@example.edu"}, "revoked: brook@example.edu", false, false},
		{"revoke twice", []string{"revoke-instructor", "brook@example.edu"}, "unchanged: brook@example.edu had no instructor grant", false, false},
		{"no email", []string{"grant-instructor"}, "usage: twelve admin grant-instructor EMAIL", true, false},
		{"not an email", []string{"grant-instructor", "brook"}, "", true, false},
		{"two emails", []string{"grant-instructor", "a@x.org", "b@x.org"}, "usage:", true, false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runAdmin(t.Context(), s.args, getenv, &out)
			if (err != nil) != s.wantErr {
				t.Fatalf("twelve admin %s: error %v, want error %v; output:\n%s", strings.Join(s.args, " "), err, s.wantErr, &out)
			}
			if !strings.Contains(out.String(), s.wantOut) {
				t.Errorf("output %q, want it to contain %q", out.String(), s.wantOut)
			}
			has, err := st.HasInstructorGrant(t.Context(), "brook@example.edu")
			if err != nil {
				t.Fatal(err)
			}
			if has != s.wantGrant {
				t.Errorf("grant exists = %v, want %v", has, s.wantGrant)
			}
		})
	}

	// Revoking someone who is also listed in INSTRUCTOR_EMAILS says so.
	var out bytes.Buffer
	if err := runAdmin(t.Context(), []string{"revoke-instructor", "ines@example.edu"}, getenv, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "still an instructor through INSTRUCTOR_EMAILS") {
		t.Errorf("revoke of a listed instructor printed %q, want a note about INSTRUCTOR_EMAILS", out.String())
	}
}
