package store_test

import (
	"context"
	"testing"

	"github.com/twelve-course/twelve/store"
)

// TestInstructorBySettingMigration applies migration 00005 to a database
// with an instructor and a student: the instructor counts as one by
// setting, so revoking a grant they may also hold keeps them out of the
// reports until their next sign-in says otherwise.
func TestInstructorBySettingMigration(t *testing.T) {
	ctx := context.Background()
	pool, p := migratedTo(t, 4)
	if _, err := pool.Exec(ctx, `INSERT INTO users (issuer, subject, email, name, instructor)
VALUES ('https://idp.test', 'ines', 'ines@example.edu', 'Ines', true), ('https://idp.test', 'ada', 'ada@example.edu', 'Ada', false)`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrations on existing users: %v", err)
	}
	st := store.New(pool)
	for _, email := range []string{"ines@example.edu", "ada@example.edu"} {
		if _, err := st.GrantInstructor(ctx, email); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RevokeInstructor(ctx, email); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := st.CountStudents(ctx, "", 0); err != nil || n != 1 {
		t.Errorf("after grant and revoke, CountStudents = %d, %v; want 1 (Ada, not Ines)", n, err)
	}
	if n, err := st.CountStudents(ctx, "ines", 0); err != nil || n != 0 {
		t.Errorf("Ines is listed as a student (%d, %v); want her left out as an instructor", n, err)
	}
}
