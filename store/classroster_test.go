package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

func TestClassProgress(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c, other := newClass(t, st, "progress"), newClass(t, st, "other")
	ada, bo, ivy := newUser(t, st, "ada"), newUser(t, st, "bo"), newUser(t, st, "ivy")
	for _, m := range []struct {
		class int64
		user  int64
		role  string
	}{{c.ID, ada, store.RoleStudent}, {c.ID, bo, store.RoleStudent}, {c.ID, ivy, store.RoleInstructor}, {other.ID, ada, store.RoleStudent}} {
		if _, err := st.AddMember(ctx, m.class, m.user, m.role, store.ViaAdmin); err != nil {
			t.Fatal(err)
		}
	}
	// ada passes one lesson and fails another in this class, and passes
	// one in the other class, which does not count here.
	for _, g := range []struct {
		class  int64
		quiz   string
		grade  float64
		passed bool
	}{{c.ID, "codebase", 0.9, true}, {c.ID, "config", 0.3, false}, {other.ID, "logs", 1, true}} {
		if _, err := st.Pool().Exec(ctx, `INSERT INTO class_grades (class_id, user_id, quiz, attempts, grade, passed) VALUES ($1, $2, $3, 1, $4, $5)`,
			g.class, ada, g.quiz, g.grade, g.passed); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Pool().Exec(ctx, `SELECT refresh_class_gradebook($1, ARRAY[$2::bigint])`, g.class, ada); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.ClassProgress(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lessons int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM lessons`).Scan(&lessons); err != nil {
		t.Fatal(err)
	}
	if lessons == 0 {
		t.Fatal("the migrated database has no lessons")
	}
	want := map[int64]store.ClassProgress{
		ada: {UserID: ada, Attempted: 2, Passes: 1, Total: 1.2 / float64(lessons)},
		bo:  {UserID: bo}, // a student with no attempt; the instructor has no row
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ClassProgress (-want +got):\n%s", diff)
	}
}
