package handlers

import (
	"context"
	"net/http"
	"testing"

	"github.com/twelve-course/twelve/auth"
)

// TestInstructorGuardOnlyReads: a GET of an instructor page works the role
// out afresh (here a grant the cookie does not know of yet) and reissues
// the cookie, but writes nothing to the users row: the reports' role is
// kept at sign-in and by the grant and revoke commands.
func TestInstructorGuardOnlyReads(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	brook := a.signIn("brook", "brook@example.edu")
	// A grant written behind the store's back, as if by another release:
	// only the guard's own reading of the grants can make Brook an instructor.
	if _, err := a.store.Pool().Exec(context.Background(), `INSERT INTO instructor_grants (email) VALUES ('brook@example.edu')`); err != nil {
		t.Fatal(err)
	}
	rowVersion := func() string {
		t.Helper()
		var xmin string
		if err := a.store.Pool().QueryRow(context.Background(), `SELECT xmin::text FROM users WHERE id = $1`, brook.id).Scan(&xmin); err != nil {
			t.Fatal(err)
		}
		return xmin
	}
	before := rowVersion()
	w := a.get(&brook, "/instructor/gradebook")
	if w.Code != http.StatusOK {
		t.Fatalf("granted, instructor page = %d, want 200", w.Code)
	}
	reissued := false
	for _, c := range w.Result().Cookies() {
		reissued = reissued || (c.Name == auth.IdentityCookie && c.Value != "")
	}
	if !reissued {
		t.Errorf("the role changed but no cookie was reissued")
	}
	if after := rowVersion(); after != before {
		t.Errorf("GET /instructor/gradebook wrote Brook's users row (row version %s, then %s); a GET guard must only read", before, after)
	}
}
