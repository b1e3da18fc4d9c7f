package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// bulkFixture is three students with attempts of two quizzes graded by
// different methods, the second student retaking one quiz twice.
func bulkFixture() ([]store.BulkStudent, map[string]quiz.Settings) {
	avg := quiz.DefaultSettings()
	avg.Grading = quiz.Average
	settings := map[string]quiz.Settings{"config": quiz.DefaultSettings(), "logs": avg}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	n := 0
	mk := func(slug string, q1, q2 float64, answer1 string) store.NewAttempt {
		n++
		return store.NewAttempt{Attempt: store.Attempt{
			ID: fmt.Sprintf("00000000-0000-4000-a000-%012d", n), Quiz: slug, Version: "v-" + slug, Seed: int64(n),
			StartedAt: t0.Add(time.Duration(n) * time.Hour), SubmittedAt: t0.Add(time.Duration(n)*time.Hour + 5*time.Minute),
			Score: q1 + q2, MaxScore: 2,
		}, VersionBody: []byte(`{}`), Responses: []store.Response{
			{Position: 0, Question: "q1", Answer: []byte(answer1), Score: q1, MaxScore: 1},
			{Position: 1, Question: "q2", Answer: []byte(`{"truth":false}`), Score: q2, MaxScore: 1},
		}}
	}
	students := []store.BulkStudent{
		{Issuer: "demo:", Subject: "s1", Email: "s1@demo.example", Name: "One", SignedUp: t0,
			Attempts: []store.NewAttempt{mk("config", 1, 1, `{"choices":["b","a"]}`), mk("logs", 0, 1, `{}`)}},
		{Issuer: "demo:", Subject: "s2", Email: "s2@demo.example", Name: "Two", SignedUp: t0,
			Attempts: []store.NewAttempt{mk("logs", 0, 0, `{"raw":"x"}`), mk("logs", 1, 0, `{"choices":["a"]}`), mk("config", 0.5, 0, `{"choices":["c"]}`), mk("logs", 1, 1, `{"choices":["a"]}`)}},
		{Issuer: "demo:", Subject: "s3", Email: "s3@demo.example", Name: "Three", SignedUp: t0},
	}
	return students, settings
}

// TestBulkSaveAttemptsMatchesSaveAttempt stores the same attempts one by one
// and in bulk and compares every derived table: bulk loading must grade and
// summarise exactly as submitting does.
func TestBulkSaveAttemptsMatchesSaveAttempt(t *testing.T) {
	ctx := context.Background()
	one, bulk := store.New(storetest.NewPool(t)), store.New(storetest.NewPool(t))
	students, settings := bulkFixture()
	for _, st := range []*store.Store{one, bulk} {
		if err := st.SaveQuizVersions(ctx, []store.QuizVersion{{Hash: "v-config", Quiz: "config", Body: []byte(`{}`)}, {Hash: "v-logs", Quiz: "logs", Body: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range students {
		u, err := one.UpsertUser(ctx, s.Issuer, s.Subject, s.Email, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range s.Attempts {
			a.UserID = u.ID
			if _, _, err := one.SaveAttempt(ctx, a, settings[a.Quiz]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := bulk.BulkSaveAttempts(ctx, students, settings); err != nil {
		t.Fatal(err)
	}
	queries := map[string]string{
		"grades":    `SELECT u.subject, g.quiz, g.attempts, g.grade, g.passed FROM grades g JOIN users u ON u.id = g.user_id ORDER BY 1, 2`,
		"gradebook": `SELECT u.subject, gb.grades, gb.passed, gb.total, gb.attempted, gb.passes FROM gradebook gb JOIN users u ON u.id = gb.user_id ORDER BY 1`,
		"attempt_items": `
SELECT ai.attempt_id::text, ai.quiz, ai.attempt_no, ai.fractions, ai.choices,
       ARRAY(SELECT q.question FROM unnest(ai.questions) WITH ORDINALITY AS u(id, n) JOIN item_questions q ON q.id = u.id ORDER BY u.n)
FROM attempt_items ai ORDER BY 1`,
		"attempts": `SELECT a.id::text, u.subject, a.quiz, a.attempt_no, a.score FROM attempts a JOIN users u ON u.id = a.user_id ORDER BY 1`,
	}
	for name, sql := range queries {
		t.Run(name, func(t *testing.T) {
			want, got := dump(t, one, sql), dump(t, bulk, sql)
			if len(want) == 0 {
				t.Fatal("nothing stored")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("SaveAttempt vs BulkSaveAttempts (-one by one +bulk):\n%s", diff)
			}
		})
	}
	// Spot-check the values themselves: s2's logs by average of 0, ½, 1.
	rows := dump(t, bulk, `SELECT g.grade FROM grades g JOIN users u ON u.id = g.user_id WHERE u.subject = 's2' AND g.quiz = 'logs'`)
	if len(rows) != 1 || rows[0][0] != 0.5 {
		t.Errorf("s2's logs grade = %v, want the average 0.5", rows)
	}
	items := dump(t, bulk, `SELECT choices FROM attempt_items WHERE attempt_id = '00000000-0000-4000-a000-000000000001'`)
	if diff := cmp.Diff([][]any{{[]any{"a,b", "false"}}}, items); diff != "" {
		t.Errorf("choices summarised (-want +got):\n%s", diff)
	}
}

func dump(t *testing.T, st *store.Store, sql string) [][]any {
	t.Helper()
	rows, err := st.Pool().Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeleteUsersFrom(t *testing.T) {
	ctx := context.Background()
	students, settings := bulkFixture()
	seed := func(t *testing.T) *store.Store {
		st := store.New(storetest.NewPool(t))
		if err := st.SaveQuizVersions(ctx, []store.QuizVersion{{Hash: "v-config", Quiz: "config", Body: []byte(`{}`)}, {Hash: "v-logs", Quiz: "logs", Body: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
		if err := st.BulkSaveAttempts(ctx, students, settings); err != nil {
			t.Fatal(err)
		}
		return st
	}
	t.Run("only demo users: everything goes", func(t *testing.T) {
		st := seed(t)
		n, err := st.DeleteUsersFrom(ctx, "demo:")
		if err != nil || n != 3 {
			t.Fatalf("deleted %d (%v), want 3", n, err)
		}
		for _, table := range []string{"users", "attempts", "responses", "grades", "gradebook", "attempt_items"} {
			if got := count(t, st, `SELECT count(*) FROM `+table); got != 0 {
				t.Errorf("%s keeps %d rows", table, got)
			}
		}
	})
	t.Run("beside a real user: only demo users go", func(t *testing.T) {
		st := seed(t)
		real := newUser(t, st, "real")
		if _, _, err := st.SaveAttempt(ctx, attempt(real, 1), quiz.DefaultSettings()); err != nil {
			t.Fatal(err)
		}
		if n, err := st.CountUsersNotFrom(ctx, "demo:"); err != nil || n != 1 {
			t.Errorf("CountUsersNotFrom = %d, %v; want 1", n, err)
		}
		if n, err := st.DeleteUsersFrom(ctx, "demo:"); err != nil || n != 3 {
			t.Fatalf("deleted %d (%v), want 3", n, err)
		}
		for table, want := range map[string]int{"users": 1, "attempts": 1, "responses": 2, "grades": 1, "gradebook": 1, "attempt_items": 1} {
			if got := count(t, st, `SELECT count(*) FROM `+table); got != want {
				t.Errorf("%s has %d rows, want the real user's %d", table, got, want)
			}
		}
	})
}
