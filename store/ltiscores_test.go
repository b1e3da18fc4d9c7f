package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// ltiClass makes a class that is an LMS course of a platform.
func ltiClass(t *testing.T, st *store.Store, slug string) store.Class {
	t.Helper()
	c := newClass(t, st, slug)
	_, err := st.Pool().Exec(context.Background(), `
WITH p AS (
  INSERT INTO lti_platforms (issuer, client_id, auth_url, token_url, jwks_url, via)
  VALUES ('https://lms.test/' || $1::text, 'tool', 'https://lms.test/auth', 'https://lms.test/token', 'https://lms.test/jwks', 'admin')
  RETURNING id)
INSERT INTO lti_contexts (platform_id, deployment_id, context_id, class_id, lineitems_url, ags_scopes)
SELECT id, 'd1', 'course-' || $1::text, $2, 'https://lms.test/lineitems', '{https://purl.imsglobal.org/spec/lti-ags/scope/score}' FROM p`, slug, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// classAttempt saves one attempt of ada's in a class.
func classAttempt(t *testing.T, st *store.Store, class, user int64, score float64) error {
	t.Helper()
	a := attempt(user, score)
	a.ClassID = class
	_, _, err := st.SaveAttempt(context.Background(), a, quiz.DefaultSettings())
	return err
}

// scoreJobs counts the lti_score jobs queued for (class, user) in the states given.
func scoreJobs(t *testing.T, st *store.Store, class, user int64, states ...string) int {
	t.Helper()
	return count(t, st, `SELECT count(*) FROM river_job WHERE kind = 'lti_score'
AND (args->>'class_id')::bigint = $1 AND (args->>'user_id')::bigint = $2 AND args->>'quiz' = 'config'
AND state::text = ANY($3)`, class, user, states)
}

var queued = []string{"available", "scheduled", "retryable", "pending", "running"}

func TestSaveAttemptQueuesLTIScoreOnlyInLTIClasses(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	lms, plain := ltiClass(t, st, "lms"), newClass(t, st, "plain")
	ada := newUser(t, st, "ada")

	if err := classAttempt(t, st, plain.ID, ada, 1); err != nil {
		t.Fatal(err)
	}
	if err := classAttempt(t, st, 0, ada, 1); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, `SELECT count(*) FROM river_job`); n != 0 {
		t.Errorf("attempts outside LTI classes queued %d jobs, want 0", n)
	}
	if n := count(t, st, `SELECT count(*) FROM lti_scores`); n != 0 {
		t.Errorf("attempts outside LTI classes wrote %d lti_scores rows, want 0", n)
	}

	if err := classAttempt(t, st, lms.ID, ada, 1); err != nil {
		t.Fatal(err)
	}
	if n := scoreJobs(t, st, lms.ID, ada, queued...); n != 1 {
		t.Errorf("an attempt in an LTI class queued %d lti_score jobs, want 1", n)
	}
	var status string
	var gradedAt, updatedAt time.Time
	err := st.Pool().QueryRow(ctx, `SELECT s.status, s.graded_at, g.updated_at FROM lti_scores s
JOIN class_grades g USING (class_id, user_id, quiz) WHERE s.class_id = $1 AND s.user_id = $2`, lms.ID, ada).Scan(&status, &gradedAt, &updatedAt)
	if err != nil {
		t.Fatal(err)
	}
	if status != store.LTIScorePending || !gradedAt.Equal(updatedAt) {
		t.Errorf("lti_scores row: %s graded at %v; want pending at the class grade's time %v", status, gradedAt, updatedAt)
	}

	// A second submit while the first job waits: still one job, the row
	// at the newer grade.
	if err := classAttempt(t, st, lms.ID, ada, 2); err != nil {
		t.Fatal(err)
	}
	if n := scoreJobs(t, st, lms.ID, ada, queued...); n != 1 {
		t.Errorf("two submits queued %d jobs, want 1 (unique by args)", n)
	}
	var later time.Time
	if err := st.Pool().QueryRow(ctx, `SELECT graded_at FROM lti_scores WHERE class_id = $1 AND user_id = $2`, lms.ID, ada).Scan(&later); err != nil {
		t.Fatal(err)
	}
	if !later.After(gradedAt) {
		t.Errorf("graded_at after the second submit = %v, want after %v", later, gradedAt)
	}
}

func TestLTIScoreQueuedInTheAttemptsTransaction(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	lms := ltiClass(t, st, "lms")
	ada := newUser(t, st, "ada")
	// Fail every transaction that queued a job, at its commit.
	_, err := st.Pool().Exec(ctx, `
CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON river_job DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION refuse_commit();`)
	if err != nil {
		t.Fatal(err)
	}
	if err := classAttempt(t, st, lms.ID, ada, 1); err == nil {
		t.Fatal("SaveAttempt succeeded although its commit was refused")
	}
	for _, table := range []string{"attempts", "class_grades", "lti_scores", "river_job"} {
		if n := count(t, st, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%s has %d rows after the rolled-back attempt, want 0", table, n)
		}
	}
}

func TestLTIScoreJobWhileRunning(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	lms := ltiClass(t, st, "lms")
	ada := newUser(t, st, "ada")
	key := store.LTIScoreKey{ClassID: lms.ID, UserID: ada, Quiz: "config"}
	if err := classAttempt(t, st, lms.ID, ada, 1); err != nil {
		t.Fatal(err)
	}
	// A worker takes the job and reads the grade.
	if _, err := st.Pool().Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now()`); err != nil {
		t.Fatal(err)
	}
	task, err := st.LTIScoreTask(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if task.Subject != "" || task.Attempts != 1 || !near(task.Grade, 0.5) || task.LineItemsURL != "https://lms.test/lineitems" {
		t.Errorf("task = %+v, want 1 attempt, grade 0.5, no LTI subject (ada signed in elsewhere)", task)
	}
	// A submit while it runs queues no second job...
	if err := classAttempt(t, st, lms.ID, ada, 2); err != nil {
		t.Fatal(err)
	}
	if n := scoreJobs(t, st, lms.ID, ada, queued...); n != 1 {
		t.Fatalf("%d jobs after a submit during the run, want the running one", n)
	}
	// ...so the running job may not finish on the grade it read.
	done := func(pgx.Tx) error { t.Error("the job was completed with a newer grade waiting"); return nil }
	err = st.FinishLTIScore(ctx, key, store.LTIScoreOutcome{GradedAt: task.GradedAt, Grade: task.Grade, Sent: true}, done)
	if !errors.Is(err, store.ErrNewerGrade) {
		t.Fatalf("FinishLTIScore with an older grade = %v, want ErrNewerGrade", err)
	}
	newer, err := st.LTIScoreTask(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if newer.Attempts != 2 || !near(newer.Grade, 1) {
		t.Errorf("task after the second submit = %+v, want 2 attempts, grade 1", newer)
	}
	completed := false
	err = st.FinishLTIScore(ctx, key, store.LTIScoreOutcome{GradedAt: newer.GradedAt, Grade: newer.Grade, Sent: true}, func(tx pgx.Tx) error {
		completed = true
		_, err := tx.Exec(ctx, `UPDATE river_job SET state = 'completed', finalized_at = now()`)
		return err
	})
	if err != nil || !completed {
		t.Fatalf("FinishLTIScore with the latest grade = %v (completed %v)", err, completed)
	}
	rows, err := st.LTIScores(ctx, lms.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Status != store.LTIScoreSent || rows[0].Grade == nil || !near(*rows[0].Grade, 1) || !rows[0].GradedAt.Equal(newer.GradedAt) {
		t.Errorf("LTIScores = %+v, want ada's config sent with grade 1 at %v", rows, newer.GradedAt)
	}
	// An outcome for an older grade, arriving late, changes nothing.
	err = st.FinishLTIScore(ctx, key, store.LTIScoreOutcome{GradedAt: task.GradedAt, Error: "late failure"}, func(pgx.Tx) error { return nil })
	if !errors.Is(err, store.ErrNewerGrade) {
		t.Errorf("FinishLTIScore with an older grade = %v, want ErrNewerGrade", err)
	}
	if rows, _ := st.LTIScores(ctx, lms.ID); rows[0].Status != store.LTIScoreSent {
		t.Errorf("an older outcome overwrote the row: %+v", rows[0])
	}
	// Once the job finished, the next submit queues a new one.
	if err := classAttempt(t, st, lms.ID, ada, 2); err != nil {
		t.Fatal(err)
	}
	if n := scoreJobs(t, st, lms.ID, ada, "available"); n != 1 {
		t.Errorf("%d jobs available after a submit past the finished job, want 1", n)
	}
}

func TestRetryLTIScores(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	lms := ltiClass(t, st, "lms")
	ada := newUser(t, st, "ada")
	key := store.LTIScoreKey{ClassID: lms.ID, UserID: ada, Quiz: "config"}
	if err := classAttempt(t, st, lms.ID, ada, 1); err != nil {
		t.Fatal(err)
	}
	task, err := st.LTIScoreTask(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	err = st.FinishLTIScore(ctx, key, store.LTIScoreOutcome{GradedAt: task.GradedAt, Error: "not an LMS user"}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE river_job SET state = 'cancelled', finalized_at = now()`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.LTIScores(ctx, lms.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Status != store.LTIScoreFailed || rows[0].Error != "not an LMS user" {
		t.Fatalf("LTIScores = %+v, want one failed row with the reason", rows)
	}
	n, err := st.RetryLTIScores(ctx, lms.ID)
	if err != nil || n != 1 {
		t.Fatalf("RetryLTIScores = %d, %v; want 1", n, err)
	}
	if n := scoreJobs(t, st, lms.ID, ada, "available"); n != 1 {
		t.Errorf("%d jobs available after the retry, want 1", n)
	}
	if rows, _ := st.LTIScores(ctx, lms.ID); rows[0].Status != store.LTIScorePending || rows[0].Error != "" {
		t.Errorf("row after the retry = %+v, want pending without error", rows[0])
	}
	if n, err := st.RetryLTIScores(ctx, lms.ID); err != nil || n != 0 {
		t.Errorf("second RetryLTIScores = %d, %v; want 0 (nothing failed)", n, err)
	}
}
