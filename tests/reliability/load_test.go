package reliability

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/internal/student"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

// try is one submit of an attempt.
type try struct {
	base     string
	status   int // 0: no HTTP answer
	err      error
	began    time.Time
	duration time.Duration
}

// result is what one simulated student learned about one attempt.
type result struct {
	attempt   student.Attempt
	questions int // on its paper
	acked     bool
	tries     []try
}

// loadConfig is a steady, bounded load of quiz submissions: workers
// clients, each taking its own students' attempts one after another, until
// attempts are done or the deadline passes.
type loadConfig struct {
	site     *student.Site
	students []student.Student
	workers  int
	attempts int
	deadline time.Duration
	// startAt and submitAt pick the process for a worker's n-th try.
	startAt  func(worker, n int) string
	submitAt func(worker, n int) string
	// retry says whether a submit that got status (0: none) or err is
	// tried again, after backoff, up to maxTries in all.
	retry    func(status int, err error) bool
	maxTries int
	backoff  time.Duration
	// acked is told the number of acknowledged submits so far.
	acked func(n int64)
}

// runLoad runs the load and returns every attempt it started.
func runLoad(ctx context.Context, t *testing.T, cfg loadConfig) []*result {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, cfg.deadline)
	defer cancel()
	var (
		mu      sync.Mutex
		results []*result
		next    atomic.Int64
		acked   atomic.Int64
		wg      sync.WaitGroup
	)
	slugs := student.Slugs()
	for w := range cfg.workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= cfg.attempts {
					return
				}
				st := cfg.students[(w+i*cfg.workers)%len(cfg.students)]
				a, err := startWithRetry(ctx, cfg, w, st, slugs[i%len(slugs)])
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("worker %d: could not start an attempt: %v", w, err)
					}
					return
				}
				r := &result{attempt: a, questions: questionsOf(a)}
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
				for n := 0; n < cfg.maxTries; n++ {
					base := cfg.submitAt(w, n)
					began := time.Now()
					// Each try gets its own deadline, like a person giving up on
					// a page; the load's own deadline does not cut a try short.
					tctx, tcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
					status, err := cfg.site.Submit(tctx, base, a)
					tcancel()
					r.tries = append(r.tries, try{base: base, status: status, err: err, began: began, duration: time.Since(began)})
					if err == nil {
						r.acked = true
						if cfg.acked != nil {
							cfg.acked(acked.Add(1))
						}
						break
					}
					if !cfg.retry(status, err) {
						break
					}
					time.Sleep(cfg.backoff)
				}
			}
		})
	}
	wg.Wait()
	return results
}

func startWithRetry(ctx context.Context, cfg loadConfig, w int, st student.Student, slug string) (student.Attempt, error) {
	var err error
	for n := range cfg.maxTries {
		var a student.Attempt
		if a, err = cfg.site.StartAt(ctx, cfg.startAt(w, n), st, slug); err == nil {
			return a, nil
		}
		if ctx.Err() != nil {
			return a, err
		}
		time.Sleep(cfg.backoff)
	}
	return student.Attempt{}, err
}

// questionsOf counts the questions answered in a's form: every question
// of its paper.
func questionsOf(a student.Attempt) int {
	n := 0
	for k := range a.Form {
		if strings.HasPrefix(k, quiz.FieldPrefix) {
			n++
		}
	}
	return n
}

// tally summarises results.
type tally struct {
	attempts, acked, tries int
	statuses               map[int]int
	dialErrs, otherErrs    int
}

func tallyOf(results []*result) tally {
	tl := tally{statuses: map[int]int{}}
	for _, r := range results {
		tl.attempts++
		if r.acked {
			tl.acked++
		}
		for _, tr := range r.tries {
			tl.tries++
			switch {
			case tr.err == nil || tr.status != 0:
				tl.statuses[tr.status]++
			case isDialError(tr.err):
				tl.dialErrs++
			default:
				tl.otherErrs++
			}
		}
	}
	return tl
}

func (tl tally) String() string {
	return fmt.Sprintf("%d attempts, %d acknowledged, %d submit tries; HTTP statuses %v; refused connections %d; other transport errors %d",
		tl.attempts, tl.acked, tl.tries, tl.statuses, tl.dialErrs, tl.otherErrs)
}

// newStudents records n students in the database at dbURL and signs them in.
func newStudents(t *testing.T, site *student.Site, dbURL string, n int) []student.Student {
	t.Helper()
	pool, err := store.Open(context.Background(), dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ss, err := site.Create(context.Background(), store.New(pool), t.Name(), n)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// verify checks the database against what the students were told: every
// acknowledged submission is stored exactly once, with all its responses;
// nothing is stored that no student submitted; no response lacks its
// attempt; and each grade counts exactly its student's stored attempts.
// It returns how many of the attempts are stored.
func verify(t *testing.T, dbURL string, results []*result) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	defer conn.Close(ctx)

	byID := map[string]*result{}
	var users []int64
	seenUser := map[int64]bool{}
	for _, r := range results {
		byID[r.attempt.ID] = r
		if !seenUser[r.attempt.Student.ID] {
			seenUser[r.attempt.Student.ID] = true
			users = append(users, r.attempt.Student.ID)
		}
	}
	type row struct {
		id        string
		responses int
	}
	rows, err := conn.Query(ctx, `SELECT a.id::text, (SELECT count(*) FROM responses r WHERE r.attempt_id = a.id)
FROM attempts a WHERE a.user_id = ANY($1)`, users)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.id, &x.responses)
	})
	if err != nil {
		t.Fatal(err)
	}
	times := map[string]int{}
	for _, s := range stored {
		times[s.id]++
		r, ok := byID[s.id]
		switch {
		case !ok:
			t.Errorf("attempt %s is stored but no student submitted it", s.id)
		case s.responses != r.questions:
			t.Errorf("attempt %s is stored with %d of its %d responses: a partial attempt", s.id, s.responses, r.questions)
		}
	}
	for _, r := range results {
		switch n := times[r.attempt.ID]; {
		case r.acked && n == 0:
			t.Errorf("attempt %s was acknowledged (%s) but is not stored", r.attempt.ID, describeTries(r))
		case n > 1:
			t.Errorf("attempt %s is stored %d times", r.attempt.ID, n)
		}
	}
	var orphans int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM responses r WHERE NOT EXISTS (SELECT 1 FROM attempts a WHERE a.id = r.attempt_id)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d responses have no attempt", orphans)
	}
	var badGrades int
	err = conn.QueryRow(ctx, `
SELECT count(*) FROM (
  SELECT a.user_id, a.quiz, count(*) AS n, max(a.attempt_no) AS last, g.attempts AS graded
  FROM attempts a LEFT JOIN grades g ON g.user_id = a.user_id AND g.quiz = a.quiz
  WHERE a.user_id = ANY($1)
  GROUP BY a.user_id, a.quiz, g.attempts
) x WHERE graded IS DISTINCT FROM n OR last <> n`, users).Scan(&badGrades)
	if err != nil {
		t.Fatal(err)
	}
	if badGrades != 0 {
		t.Errorf("%d (student, quiz) grades do not count exactly the stored attempts numbered 1..n", badGrades)
	}
	return len(stored)
}

func describeTries(r *result) string {
	var parts []string
	for _, tr := range r.tries {
		s := fmt.Sprintf("%s → %d", tr.base, tr.status)
		if tr.err != nil && tr.status == 0 {
			s = fmt.Sprintf("%s → %v", tr.base, tr.err)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// retryAny retries any submit that was not acknowledged: submitting is
// idempotent on the attempt id, so a retry is always safe.
func retryAny(int, error) bool { return true }
