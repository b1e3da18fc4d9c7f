package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

func newUser(t *testing.T, st *store.Store, subject string) int64 {
	t.Helper()
	var id int64
	err := st.Pool().QueryRow(context.Background(),
		`INSERT INTO users (issuer, subject, email, name) VALUES ('https://idp.test', $1, $1 || '@example.edu', $1) RETURNING id`, subject).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var attemptSeq int

func attempt(userID int64, score float64) store.NewAttempt {
	attemptSeq++
	return store.NewAttempt{
		Attempt: store.Attempt{
			ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", attemptSeq), UserID: userID, Quiz: "config",
			Version: "v1", Seed: 7, StartedAt: time.Now().Add(-time.Minute), Score: score, MaxScore: 2,
		},
		Responses: []store.Response{
			{Position: 0, Question: "q1", Answer: []byte(`{"choices":["a"]}`), Score: score, MaxScore: 1},
			{Position: 1, Question: "q2", Answer: []byte(`{"raw":"stdout"}`), Score: 0, MaxScore: 1},
		},
		VersionBody: []byte(`{"slug":"config"}`),
	}
}

func count(t *testing.T, st *store.Store, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := st.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSaveAttemptIsIdempotentUnderConcurrency(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	user := newUser(t, st, "ada")
	a := attempt(user, 1)
	const submits = 20
	var wg sync.WaitGroup
	created := make(chan bool, submits)
	errs := make(chan error, submits)
	for range submits {
		wg.Go(func() {
			got, c, err := st.SaveAttempt(context.Background(), a, quiz.DefaultSettings())
			if err != nil {
				errs <- err
				return
			}
			if got.ID != a.ID || got.AttemptNo != 1 {
				errs <- fmt.Errorf("returned attempt %s no %d", got.ID, got.AttemptNo)
			}
			created <- c
		})
	}
	wg.Wait()
	close(created)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	for c := range created {
		if c {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d submissions reported creating the attempt, want exactly 1", n)
	}
	if got := count(t, st, `SELECT count(*) FROM attempts`); got != 1 {
		t.Errorf("%d attempts stored, want 1", got)
	}
	if got := count(t, st, `SELECT count(*) FROM responses`); got != 2 {
		t.Errorf("%d responses stored, want 2", got)
	}
	if got := count(t, st, `SELECT attempts FROM grades WHERE user_id = $1`, user); got != 1 {
		t.Errorf("grade counts %d attempts, want 1", got)
	}
}

func TestSaveAttemptLimitOwnerAndGrades(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	ada, brook := newUser(t, st, "ada"), newUser(t, st, "brook")
	s := quiz.DefaultSettings()
	s.AttemptLimit = 2
	s.Grading = quiz.Latest

	first := attempt(ada, 2)
	if _, _, err := st.SaveAttempt(ctx, first, s); err != nil {
		t.Fatal(err)
	}
	stolen := first
	stolen.UserID = brook
	if _, _, err := st.SaveAttempt(ctx, stolen, s); !errors.Is(err, store.ErrNotYours) {
		t.Errorf("another user's attempt id: err = %v, want ErrNotYours", err)
	}
	second, _, err := st.SaveAttempt(ctx, attempt(ada, 0.5), s)
	if err != nil {
		t.Fatal(err)
	}
	if second.AttemptNo != 2 {
		t.Errorf("second attempt numbered %d", second.AttemptNo)
	}
	grades, err := st.GradesOf(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	if g := grades["config"]; g.Attempts != 2 || math.Abs(g.Grade-0.25) > 1e-9 || g.Passed {
		t.Errorf("grade = %+v, want latest 0.25 of 2 attempts, not passed", g)
	}
	if g, err := st.GradeOf(ctx, ada, "config"); err != nil || g != grades["config"] {
		t.Errorf("GradeOf(config) = %+v, %v; want %+v, as GradesOf", g, err, grades["config"])
	}
	if _, err := st.GradeOf(ctx, ada, "logs"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GradeOf a quiz not attempted: err = %v, want ErrNotFound", err)
	}
	before := count(t, st, `SELECT count(*) FROM responses`)
	if _, _, err := st.SaveAttempt(ctx, attempt(ada, 2), s); !errors.Is(err, store.ErrAttemptLimit) {
		t.Errorf("third attempt: err = %v, want ErrAttemptLimit", err)
	}
	if got := count(t, st, `SELECT count(*) FROM attempts WHERE user_id = $1`, ada); got != 2 {
		t.Errorf("%d attempts after refusal, want 2", got)
	}
	if after := count(t, st, `SELECT count(*) FROM responses`); after != before {
		t.Errorf("responses went from %d to %d on a refused attempt", before, after)
	}

	a, rs, err := st.Attempt(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.UserID != ada || len(rs) != 2 || rs[0].Question != "q1" || rs[1].Position != 1 {
		t.Errorf("Attempt = %+v %+v", a, rs)
	}
	if _, _, err := st.Attempt(ctx, "00000000-0000-4000-8000-999999999999"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing attempt: err = %v, want ErrNotFound", err)
	}
	list, err := st.AttemptsOf(ctx, ada, "")
	if err != nil || len(list) != 2 {
		t.Errorf("AttemptsOf = %d attempts, %v", len(list), err)
	}
}

func TestQuizVersions(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	vs := []store.QuizVersion{{Hash: "h1", Quiz: "config", Body: []byte(`{"slug":"config"}`)}}
	for range 2 {
		if err := st.SaveQuizVersions(ctx, vs); err != nil {
			t.Fatal(err)
		}
	}
	body, err := st.QuizVersionBody(ctx, "h1")
	if err != nil || string(body) != `{"slug": "config"}` {
		t.Errorf("body = %s, %v", body, err)
	}
	if _, err := st.QuizVersionBody(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

// TestSaveAttemptResendsAVersionThatWentMissing: a Store stops sending a
// quiz version's content once it has seen it stored; if the row is gone
// later (a restored database), the next submit sends it again rather than
// failing.
func TestSaveAttemptResendsAVersionThatWentMissing(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	user := newUser(t, st, "ada")
	first := attempt(user, 1)
	if _, _, err := st.SaveAttempt(ctx, first, quiz.DefaultSettings()); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`DELETE FROM attempts`, `DELETE FROM quiz_versions`} {
		if _, err := st.Pool().Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	second := attempt(user, 2)
	if _, created, err := st.SaveAttempt(ctx, second, quiz.DefaultSettings()); err != nil || !created {
		t.Fatalf("submit after the version went missing: created %v, err %v", created, err)
	}
	if n := count(t, st, `SELECT count(*) FROM quiz_versions WHERE hash = $1`, second.Version); n != 1 {
		t.Errorf("%d rows for the version, want it stored again", n)
	}
}
