package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// TestReportsMigrationBackfills applies the migrations after the first to
// a database that already holds attempts (stored by the first schema) and
// checks the summaries they build (00002's attempt items, 00004's
// gradebook rows) equal those SaveAttempt keeps for the same data.
func TestReportsMigrationBackfills(t *testing.T) {
	ctx := context.Background()
	pool, p := migratedTo(t, 1)
	// The data of bulkFixture, written as the first schema would hold it.
	students, settings := bulkFixture()
	for _, sql := range []string{
		`INSERT INTO quiz_versions (hash, quiz, body) VALUES ('v-config', 'config', '{}'), ('v-logs', 'logs', '{}')`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range students {
		var uid int64
		if err := pool.QueryRow(ctx, `INSERT INTO users (issuer, subject, email, name) VALUES ($1, $2, $3, $4) RETURNING id`, s.Issuer, s.Subject, s.Email, s.Name).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		byQuiz := map[string][]float64{}
		for _, a := range s.Attempts {
			byQuiz[a.Quiz] = append(byQuiz[a.Quiz], a.Fraction())
			if _, err := pool.Exec(ctx, `INSERT INTO attempts (id, user_id, quiz, version, attempt_no, seed, started_at, submitted_at, score, max_score)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, a.ID, uid, a.Quiz, a.Version, len(byQuiz[a.Quiz]), a.Seed, a.StartedAt, a.SubmittedAt, a.Score, a.MaxScore); err != nil {
				t.Fatal(err)
			}
			for _, r := range a.Responses {
				if _, err := pool.Exec(ctx, `INSERT INTO responses (attempt_id, position, question, answer, score, max_score) VALUES ($1, $2, $3, $4, $5, $6)`,
					a.ID, r.Position, r.Question, r.Answer, r.Score, r.MaxScore); err != nil {
					t.Fatal(err)
				}
			}
		}
		for slug, fractions := range byQuiz {
			g := settings[slug].GradeAcross(fractions)
			if _, err := pool.Exec(ctx, `INSERT INTO grades (user_id, quiz, attempts, grade, passed) VALUES ($1, $2, $3, $4, $5)`,
				uid, slug, len(fractions), g, settings[slug].Passed(g)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrations on existing data: %v", err)
	}

	// The same students stored by the current code.
	want := store.New(storetest.NewPool(t))
	if err := want.SaveQuizVersions(ctx, []store.QuizVersion{{Hash: "v-config", Quiz: "config", Body: []byte(`{}`)}, {Hash: "v-logs", Quiz: "logs", Body: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	for _, s := range students {
		u, err := want.UpsertUser(ctx, s.Issuer, s.Subject, s.Email, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range s.Attempts {
			a.UserID = u.ID
			if _, _, err := want.SaveAttempt(ctx, a, settings[a.Quiz]); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := store.New(pool)
	for name, sql := range map[string]string{
		"gradebook":      `SELECT u.subject, gb.grades, gb.passed, gb.total, gb.attempted, gb.passes FROM gradebook gb JOIN users u ON u.id = gb.user_id WHERE gb.attempted > 0 ORDER BY 1`,
		"gradebook rows": `SELECT count(*) FROM gradebook`,
		"attempt_items": `
SELECT ai.attempt_id::text, ai.quiz, ai.attempt_no, ai.fractions, ai.choices,
       ARRAY(SELECT q.question FROM unnest(ai.questions) WITH ORDINALITY AS u(id, n) JOIN item_questions q ON q.id = u.id ORDER BY u.n)
FROM attempt_items ai ORDER BY 1`,
	} {
		if diff := cmp.Diff(dump(t, want, sql), dump(t, got, sql)); diff != "" {
			t.Errorf("%s (-SaveAttempt +migration):\n%s", name, diff)
		}
	}
	// Users signed in after the migration get a gradebook row too.
	u, err := got.UpsertUser(ctx, "https://idp.test", "later", "later@example.edu", "Later")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := got.GradebookRowOf(ctx, u.ID); err != nil {
		t.Errorf("a user added after the migration has no gradebook row: %v", err)
	}
}
