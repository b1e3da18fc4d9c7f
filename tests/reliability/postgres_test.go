package reliability

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/internal/student"
)

// TestPostgresRestartMidLoad: PostgreSQL restarts (pg_ctl restart -m fast)
// while students submit. Submits during the outage are answered 503 with
// the friendly page, never hang past REQUEST_TIMEOUT and never crash the
// process; within 2 s of the database being back, submits succeed again;
// every acknowledged submission is stored, once.
func TestPostgresRestartMidLoad(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE twelve"); err != nil {
		t.Fatal(err)
	}
	admin.Close(ctx)
	dbURL := c.url("twelve")
	migrate(t, dbURL)
	const requestTimeout = 5 * time.Second
	w := startWeb(t, "web", map[string]string{"DATABASE_URL": dbURL, "REQUEST_TIMEOUT": requestTimeout.String()})
	site, err := student.NewSite(w.base, secret, student.NewClient(32, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	students := newStudents(t, site, dbURL, 40)

	// The process must stay up throughout: watch it.
	exited := make(chan struct{})
	go func() {
		<-w.Done()
		close(exited)
	}()

	var restartBegan, restartDone atomic.Pointer[time.Time]
	var once sync.Once
	restarted := make(chan error, 1)
	results := runLoad(ctx, t, loadConfig{
		site: site, students: students, workers: 12, attempts: 1500, deadline: 60 * time.Second,
		startAt:  func(int, int) string { return w.base },
		submitAt: func(int, int) string { return w.base },
		retry:    func(status int, err error) bool { return status == http.StatusServiceUnavailable || status == 0 },
		maxTries: 200, backoff: 50 * time.Millisecond,
		acked: func(n int64) {
			if n == 300 {
				once.Do(func() {
					go func() {
						began := time.Now()
						restartBegan.Store(&began)
						err := c.pgCtl("restart", "-m", "fast", "-l", filepath.Join(c.dir, "server.log"))
						done := time.Now()
						restartDone.Store(&done)
						restarted <- err
					}()
				})
			}
		},
	})
	select {
	case err := <-restarted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("the restart did not happen during the load")
	}
	select {
	case <-exited:
		t.Fatalf("the web process exited when PostgreSQL restarted: %v", w.Cmd.ProcessState)
	default:
	}
	began, back := *restartBegan.Load(), *restartDone.Load()
	tl := tallyOf(results)
	t.Logf("PostgreSQL restarted in %s: %s", back.Sub(began).Round(time.Millisecond), tl)

	var firstOKAfter time.Time
	var slowest time.Duration
	var failedAfterGrace int
	for _, r := range results {
		for _, tr := range r.tries {
			end := tr.began.Add(tr.duration)
			slowest = max(slowest, tr.duration)
			switch {
			case tr.status == http.StatusSeeOther:
				if tr.began.After(back) && (firstOKAfter.IsZero() || end.Before(firstOKAfter)) {
					firstOKAfter = end
				}
			case tr.status == http.StatusServiceUnavailable:
				var se *student.StatusError
				if !errors.As(tr.err, &se) || !strings.Contains(se.Body, "Busy for a moment") {
					t.Errorf("a 503 without the friendly page: %v", tr.err)
				}
			case tr.status == 0:
				t.Errorf("a submit got no answer: %v", tr.err)
			default:
				t.Errorf("a submit was answered %d, want 303, or 503 during the outage", tr.status)
			}
			if tr.status != http.StatusSeeOther && tr.began.After(back.Add(2*time.Second)) {
				failedAfterGrace++
			}
		}
	}
	t.Logf("503 answers: %d; slowest submit: %s; first success %s after the database was back",
		tl.statuses[http.StatusServiceUnavailable], slowest.Round(time.Millisecond), firstOKAfter.Sub(back).Round(time.Millisecond))
	if slowest > requestTimeout+time.Second {
		t.Errorf("a submit took %s, past REQUEST_TIMEOUT (%s)", slowest, requestTimeout)
	}
	if firstOKAfter.IsZero() || firstOKAfter.Sub(back) > 2*time.Second {
		t.Errorf("first success %v after the database was back, want within 2 s", firstOKAfter.Sub(back))
	}
	if failedAfterGrace != 0 {
		t.Errorf("%d submits begun more than 2 s after the database was back still failed", failedAfterGrace)
	}
	if tl.acked != tl.attempts {
		t.Errorf("%d of %d attempts acknowledged after retries", tl.acked, tl.attempts)
	}
	if stored := verify(t, dbURL, results); stored != tl.acked {
		t.Errorf("%d attempts stored, %d acknowledged", stored, tl.acked)
	}
	if !healthy(ctx, w.base) {
		t.Error("the web process does not answer /healthz after the restart")
	}
}
