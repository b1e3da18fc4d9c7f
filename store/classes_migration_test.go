package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// TestClassesMigrationKeepsTheOpenCourse applies 00008 (classes) to a
// database filled as the release before it left it, and checks that
// attempts, grades and the gradebook read as they do for the same data
// stored by today's code, and that classes work on it.
func TestClassesMigrationKeepsTheOpenCourse(t *testing.T) {
	ctx := context.Background()
	pool, p := migratedTo(t, 7)
	students, settings := bulkFixture()
	ids := map[string]int64{}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	// The data of bulkFixture, as the release before classes stored it.
	exec(`INSERT INTO quiz_versions (hash, quiz, body) VALUES ('v-config', 'config', '{}'), ('v-logs', 'logs', '{}')`)
	for _, s := range students {
		var uid int64
		if err := pool.QueryRow(ctx, `INSERT INTO users (issuer, subject, email, name) VALUES ($1, $2, $3, $4) RETURNING id`,
			s.Issuer, s.Subject, s.Email, s.Name).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		ids[s.Subject] = uid
		byQuiz := map[string][]float64{}
		for _, a := range s.Attempts {
			byQuiz[a.Quiz] = append(byQuiz[a.Quiz], a.Fraction())
			no := len(byQuiz[a.Quiz])
			exec(`INSERT INTO attempt_starts (user_id, quiz, start_no, id, version, seed, started_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)`, uid, a.Quiz, no, a.ID, a.Version, a.Seed, a.StartedAt)
			exec(`INSERT INTO attempts (id, user_id, quiz, version, attempt_no, seed, started_at, submitted_at, score, max_score)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, a.ID, uid, a.Quiz, a.Version, no, a.Seed, a.StartedAt, a.SubmittedAt, a.Score, a.MaxScore)
			for _, r := range a.Responses {
				exec(`INSERT INTO responses (attempt_id, position, question, answer, score, max_score) VALUES ($1, $2, $3, $4, $5, $6)`,
					a.ID, r.Position, r.Question, r.Answer, r.Score, r.MaxScore)
			}
		}
		for slug, fractions := range byQuiz {
			g := settings[slug].GradeAcross(fractions)
			exec(`INSERT INTO grades (user_id, quiz, attempts, grade, passed) VALUES ($1, $2, $3, $4, $5)`,
				uid, slug, len(fractions), g, settings[slug].Passed(g))
		}
		if len(s.Attempts) > 0 {
			exec(`SELECT refresh_gradebook(ARRAY[$1::bigint])`, uid)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("00008 on existing data: %v", err)
	}

	// The same students stored by today's code, in the open course.
	want := store.New(storetest.NewPool(t))
	if err := want.SaveQuizVersions(ctx, []store.QuizVersion{{Hash: "v-config", Quiz: "config", Body: []byte(`{}`)}, {Hash: "v-logs", Quiz: "logs", Body: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	wantIDs := map[string]int64{}
	for _, s := range students {
		u, err := want.UpsertUser(ctx, s.Issuer, s.Subject, s.Email, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		wantIDs[s.Subject] = u.ID
		for _, a := range s.Attempts {
			a.UserID = u.ID
			if _, _, err := want.SaveAttempt(ctx, a, settings[a.Quiz]); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := store.New(pool)
	ignore := cmpopts.IgnoreFields(store.Attempt{}, "UserID", "SubmittedAt")
	for _, s := range students {
		wa, err := want.AttemptsOf(ctx, wantIDs[s.Subject], "")
		if err != nil {
			t.Fatal(err)
		}
		ga, err := got.AttemptsOf(ctx, ids[s.Subject], "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wa, ga, ignore, cmpopts.EquateApproxTime(0)); diff != "" {
			t.Errorf("%s's attempts (-today +migrated):\n%s", s.Subject, diff)
		}
		wg, err := want.GradesOf(ctx, wantIDs[s.Subject])
		if err != nil {
			t.Fatal(err)
		}
		gg, err := got.GradesOf(ctx, ids[s.Subject])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wg, gg, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s's grades (-today +migrated):\n%s", s.Subject, diff)
		}
	}
	page := func(st *store.Store) [][]any {
		t.Helper()
		p, err := st.Gradebook(ctx, store.GradebookQuery{Sort: store.GradebookSort{By: "name"}, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var out [][]any
		for _, r := range p.Rows {
			out = append(out, []any{r.Name, r.Email, r.Grades, r.Passed, r.Total})
		}
		return out
	}
	if diff := cmp.Diff(page(want), page(got)); diff != "" {
		t.Errorf("gradebook (-today +migrated):\n%s", diff)
	}

	// Classes work on the migrated data: a student of the open course
	// joins one, and their attempts there are numbered from 1 while the
	// course-wide grade counts them all.
	c, err := got.CreateClass(ctx, store.Class{Slug: "after", Name: "After the migration", JoinCode: codeA})
	if err != nil {
		t.Fatal(err)
	}
	two := ids["s2"]
	if _, added, err := got.JoinClass(ctx, codeA, two); err != nil || !added {
		t.Fatalf("join = %v, %v", added, err)
	}
	na := attempt(two, 2)
	na.Quiz, na.Version, na.ClassID = "logs", "v-logs", c.ID
	stored, _, err := got.SaveAttempt(ctx, na, settings["logs"])
	if err != nil || stored.AttemptNo != 1 || stored.ClassID != c.ID {
		t.Fatalf("first attempt in the class = %+v, %v", stored, err)
	}
	gs, _ := got.GradesOf(ctx, two)
	if g := gs["logs"]; g.Attempts != 4 {
		t.Errorf("course-wide grade of logs = %+v, want 4 attempts (3 before, 1 in the class)", g)
	}
	cg, _ := got.ClassGradesOf(ctx, c.ID, two)
	if g := cg["logs"]; g.Attempts != 1 || !near(g.Grade, 1) {
		t.Errorf("class grade of logs = %+v, want 1 attempt, 1.0", g)
	}
}
