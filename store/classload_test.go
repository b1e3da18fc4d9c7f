package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// fillClasses makes classes classes of members students each, with a
// quiz setting per class and an accommodation per hundred students.
func fillClasses(tb testing.TB, st *store.Store, classes, members int) {
	tb.Helper()
	ctx := context.Background()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO users (issuer, subject, email, name)
SELECT 'demo:', 's' || i, 's' || i || '@demo.example', 'Student ' || i FROM generate_series(1, $1::int) AS i`, []any{classes * members}},
		{`INSERT INTO classes (slug, name) SELECT 'c' || i, 'Class ' || i FROM generate_series(1, $1::int) AS i`, []any{classes}},
		{`INSERT INTO class_members (class_id, user_id, role, via)
SELECT c.id, u.id, 'student', 'roster' FROM classes c JOIN users u ON u.id % $1::int = c.id % $1::int`, []any{classes}},
		{`INSERT INTO class_quiz_settings (class_id, quiz, attempt_limit) SELECT id, 'config', 3 FROM classes`, nil},
		{`INSERT INTO accommodations (class_id, user_id, extra_minutes)
SELECT class_id, user_id, 30 FROM class_members WHERE (user_id / $1::int) % 100 = 0`, []any{classes}},
	} {
		if _, err := st.Pool().Exec(ctx, q.sql, q.args...); err != nil {
			tb.Fatal(err)
		}
	}
}

func TestLoadClassesAtScale(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	const classes, members = 4, 5000
	filled := time.Now()
	fillClasses(t, st, classes, members)
	t.Logf("filled in %v", time.Since(filled))
	start := time.Now()
	snaps, err := st.LoadClasses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("LoadClasses: %d classes, %d members in %v", classes, classes*members, time.Since(start))
	if len(snaps) != classes {
		t.Fatalf("%d classes loaded, want %d", len(snaps), classes)
	}
	total := 0
	for _, s := range snaps {
		total += len(s.Members)
		accs := count(t, st, `SELECT count(*) FROM accommodations WHERE class_id = $1`, s.Class.ID)
		if len(s.Settings) != 1 || len(s.Members) != members || len(s.Accommodations) != accs || accs == 0 {
			t.Errorf("class %s: %d members, %d settings, %d accommodations; want %d, 1, %d (> 0)",
				s.Class.Slug, len(s.Members), len(s.Settings), len(s.Accommodations), members, accs)
		}
		for _, m := range s.Members {
			if m.ClassID != s.Class.ID {
				t.Fatalf("class %d holds a member of class %d", s.Class.ID, m.ClassID)
			}
		}
		for _, a := range s.Accommodations {
			if a.ClassID != s.Class.ID {
				t.Fatalf("class %d holds an accommodation of class %d", s.Class.ID, a.ClassID)
			}
		}
	}
	start = time.Now()
	one, err := st.LoadClass(ctx, snaps[1].Class.ID)
	if err != nil || len(one.Members) != members {
		t.Fatalf("LoadClass = %d members, %v", len(one.Members), err)
	}
	t.Logf("LoadClass: %d members in %v", members, time.Since(start))
}

// BenchmarkLoadClasses loads 100,000 members in ten classes.
func BenchmarkLoadClasses(b *testing.B) {
	st := store.New(storetest.NewPool(b))
	fillClasses(b, st, 10, 10000)
	ctx := context.Background()
	for b.Loop() {
		if _, err := st.LoadClasses(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
