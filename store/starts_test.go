package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

var startSigner, _ = quiz.NewSigner([][]byte{[]byte("store-test-secret-0123456789abcdef0123")})

// limitedQuiz is a quiz whose starts count: attempts attempts of minutes
// minutes each (either may be 0), two minutes' grace.
func limitedQuiz(attempts, minutes int) *quiz.Quiz {
	s := quiz.DefaultSettings()
	s.AttemptLimit, s.TimeLimit = attempts, time.Duration(minutes)*time.Minute
	return &quiz.Quiz{Slug: "config", Version: "v1", Settings: s}
}

func newStart(user int64, q *quiz.Quiz, now time.Time) store.NewStart {
	return store.NewStart{
		UserID: user, Quiz: q.Slug, Settings: q.Settings, Now: now, VersionBody: []byte(`{"slug":"config"}`),
		Make: func(no int) quiz.Token { return startSigner.StartToken(q, user, no, now) },
	}
}

// submitted is the graded attempt a token's submit stores.
func submitted(tok quiz.Token, score float64) store.NewAttempt {
	a := attempt(tok.UserID, score)
	a.ID, a.Version, a.Seed, a.StartedAt = tok.AttemptID, tok.Version, int64(tok.Seed), tok.Started
	a.StartNo, a.Deadline = tok.No, tok.Deadline
	return a
}

func sameAttempt(a, b quiz.Token) bool {
	return a.AttemptID == b.AttemptID && a.UserID == b.UserID && a.Quiz == b.Quiz && a.Version == b.Version &&
		a.Seed == b.Seed && a.No == b.No && a.Started.Equal(b.Started) && a.Deadline.Equal(b.Deadline)
}

func TestStartAttemptOnceUnderConcurrency(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	ada := newUser(t, st, "ada")
	q := limitedQuiz(2, 10)
	now := time.Now()

	const starts = 20
	toks := make(chan quiz.Token, starts)
	created := make(chan bool, starts)
	var wg sync.WaitGroup
	for range starts {
		wg.Go(func() {
			tok, c, err := st.StartAttempt(ctx, newStart(ada, q, now))
			if err != nil {
				t.Error(err)
				return
			}
			toks <- tok
			created <- c
		})
	}
	wg.Wait()
	close(toks)
	close(created)
	var first quiz.Token
	for tok := range toks {
		if first.AttemptID == "" {
			first = tok
		}
		if !sameAttempt(tok, first) {
			t.Errorf("starts returned different attempts:\n%+v\n%+v", tok, first)
		}
	}
	n := 0
	for c := range created {
		if c {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d starts reported recording the attempt, want 1", n)
	}
	if got := count(t, st, `SELECT count(*) FROM attempt_starts`); got != 1 {
		t.Fatalf("%d starts recorded, want 1", got)
	}
	if first.No != 1 || first.Deadline.IsZero() || !first.Deadline.Equal(first.Started.Add(10*time.Minute)) {
		t.Errorf("start %+v: want attempt 1 with a deadline ten minutes after its start", first)
	}

	// Later, from another process (a new Store on the same database), the
	// same attempt comes back, deadline and all, until it is submitted.
	pool, err := store.Open(ctx, st.Pool().Config().ConnString(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	other := store.New(pool)
	again, c, err := other.StartAttempt(ctx, newStart(ada, q, now.Add(5*time.Minute)))
	if err != nil || c || !sameAttempt(again, first) {
		t.Errorf("start five minutes later = %+v, %v, %v; want the same attempt %+v", again, c, err, first)
	}
	if _, _, err := st.SaveAttempt(ctx, submitted(first, 2), q.Settings); err != nil {
		t.Fatal(err)
	}
	second, c, err := st.StartAttempt(ctx, newStart(ada, q, now.Add(6*time.Minute)))
	if err != nil || !c || second.No != 2 || second.AttemptID == first.AttemptID || second.Seed == first.Seed {
		t.Errorf("start after submitting = %+v, %v, %v; want a new attempt 2 with its own paper", second, c, err)
	}
	if _, _, err := st.StartAttempt(ctx, newStart(ada, q, now.Add(time.Hour))); !errors.Is(err, store.ErrAttemptLimit) {
		t.Errorf("start after attempt 2 expired = %v, want ErrAttemptLimit (an expired start counts)", err)
	}
	if got := count(t, st, `SELECT count(*) FROM attempt_starts`); got != 2 {
		t.Errorf("%d starts recorded, want 2", got)
	}
	// The expired attempt cannot be submitted late (the handler refuses it
	// by its deadline) and it has no grade: the grade is attempt 1's.
	if got := count(t, st, `SELECT attempts FROM grades WHERE user_id = $1`, ada); got != 1 {
		t.Errorf("grade counts %d attempts, want 1", got)
	}
}

func TestStartsNeverExceedTheLimit(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	ada := newUser(t, st, "ada")
	q := limitedQuiz(3, 1)
	base := time.Now()
	// Twenty students' tabs start at once, each again and again as time
	// goes by, so that each may find the attempt before it expired: three
	// are recorded, the other starts get an open one or are refused.
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]bool{}
	for range 20 {
		wg.Go(func() {
			for k := range 6 {
				tok, _, err := st.StartAttempt(ctx, newStart(ada, q, base.Add(time.Duration(k)*10*time.Minute)))
				if errors.Is(err, store.ErrAttemptLimit) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids[tok.AttemptID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if got := count(t, st, `SELECT count(*) FROM attempt_starts`); got != 3 || len(ids) != 3 {
		t.Errorf("%d starts recorded, %d handed out; want 3 and 3", got, len(ids))
	}
	if got := count(t, st, `SELECT max(start_no) FROM attempt_starts`); got != 3 {
		t.Errorf("highest attempt number %d, want 3", got)
	}
}

func TestSubmitChecksTheRecordedStart(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	ada := newUser(t, st, "ada")
	q := limitedQuiz(2, 0)
	now := time.Now()
	tok, _, err := st.StartAttempt(ctx, newStart(ada, q, now))
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*quiz.Token){
		"seed":     func(t *quiz.Token) { t.Seed++ },
		"started":  func(t *quiz.Token) { t.Started = t.Started.Add(time.Hour) },
		"deadline": func(t *quiz.Token) { t.Deadline = t.Started.Add(time.Hour) },
		"number":   func(t *quiz.Token) { t.No = 2 },
		"version":  func(t *quiz.Token) { t.Version = "v0" },
	} {
		bad := tok
		change(&bad)
		if _, _, err := st.SaveAttempt(ctx, submitted(bad, 1), q.Settings); !errors.Is(err, store.ErrStartMismatch) {
			t.Errorf("token with another %s: err = %v, want ErrStartMismatch", name, err)
		}
	}
	if got := count(t, st, `SELECT count(*) FROM attempts`); got != 0 {
		t.Fatalf("%d attempts stored from tokens that disagree with their start", got)
	}

	// A token whose start was never recorded (an earlier release, or the
	// quiz had no limits when it started) takes the next number if one is
	// left: here attempt 2, after the recorded attempt 1.
	old := quiz.NewToken(q, ada, now)
	if _, _, err := st.SaveAttempt(ctx, submitted(old, 1), q.Settings); err != nil {
		t.Fatalf("unrecorded token with an attempt left: %v", err)
	}
	if _, _, err := st.StartAttempt(ctx, newStart(ada, q, now)); err != nil {
		t.Errorf("the open attempt 1 still starts: %v", err)
	}
	if _, _, err := st.SaveAttempt(ctx, submitted(quiz.NewToken(q, ada, now), 1), q.Settings); !errors.Is(err, store.ErrAttemptLimit) {
		t.Errorf("a second unrecorded token: err = %v, want ErrAttemptLimit", err)
	}
	if _, _, err := st.SaveAttempt(ctx, submitted(tok, 2), q.Settings); err != nil {
		t.Errorf("the recorded attempt 1: %v", err)
	}
	if got := count(t, st, `SELECT count(*) FROM attempts`); got != 2 {
		t.Errorf("%d attempts stored, want 2", got)
	}
	if _, _, err := st.StartAttempt(ctx, newStart(ada, q, now)); !errors.Is(err, store.ErrAttemptLimit) {
		t.Errorf("start with both numbers used = %v, want ErrAttemptLimit", err)
	}
}

// TestAttemptStartsMigration applies migration 00007 to a database with
// submitted attempts: they keep counting against the attempt limit.
func TestAttemptStartsMigration(t *testing.T) {
	ctx := context.Background()
	pool, p := migratedTo(t, 6)
	st := store.New(pool)
	ada := newUser(t, st, "ada")
	q := limitedQuiz(2, 0)
	// An attempt submitted before 00007, as that release's SaveAttempt
	// stored it (today's needs the columns of later migrations).
	for _, sql := range []string{
		`INSERT INTO quiz_versions (hash, quiz, body) VALUES ('v1', 'config', '{"slug":"config"}')`,
		`INSERT INTO attempts (id, user_id, quiz, version, attempt_no, seed, started_at, score, max_score)
VALUES (gen_random_uuid(), $1, 'config', 'v1', 1, 7, now() - interval '1 minute', 1, 2)`,
		`INSERT INTO grades (user_id, quiz, attempts, grade, passed) VALUES ($1, 'config', 1, 0.5, false)`,
	} {
		var args []any
		if strings.Contains(sql, "$1") {
			args = []any{ada}
		}
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrations on existing attempts: %v", err)
	}
	tok, _, err := st.StartAttempt(ctx, newStart(ada, q, time.Now()))
	if err != nil || tok.No != 2 {
		t.Fatalf("first start after the migration = %+v, %v; want attempt 2", tok, err)
	}
	if _, _, err := st.SaveAttempt(ctx, submitted(tok, 1), q.Settings); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.StartAttempt(ctx, newStart(ada, q, time.Now())); !errors.Is(err, store.ErrAttemptLimit) {
		t.Errorf("third start = %v, want ErrAttemptLimit", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO users (issuer, subject) VALUES ('https://other.test', 'x')`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DeleteUsersFrom(ctx, "https://idp.test"); err != nil {
		t.Errorf("deleting users with recorded starts: %v", err)
	}
}
