package reliability

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twelve-course/twelve/internal/student"
	"github.com/twelve-course/twelve/store/storetest"
)

// twoProcesses starts web processes a and b on one fresh database, and
// students who send their submits to a and, once a refuses connections,
// to b.
func twoProcesses(t *testing.T, env map[string]string) (dbURL string, a, b *web, site *student.Site, students []student.Student) {
	t.Helper()
	dbURL = storetest.NewURL(t)
	vars := map[string]string{"DATABASE_URL": dbURL}
	for k, v := range env {
		vars[k] = v
	}
	a = startWeb(t, "web a", vars)
	b = startWeb(t, "web b", vars)
	site, err := student.NewSite(a.base, secret, student.NewClient(32, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return dbURL, a, b, site, newStudents(t, site, dbURL, 40)
}

// failover sends a worker to a until a refused it once, then to b.
type failover struct {
	a, b    string
	mu      sync.Mutex
	movedOn bool
}

func (f *failover) pick(n int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.movedOn || n > 0 {
		return f.b
	}
	return f.a
}

func (f *failover) refused() {
	f.mu.Lock()
	f.movedOn = true
	f.mu.Unlock()
}

// TestSIGTERMMidLoad: SIGTERM reaches a web process while students submit
// to it. Requests in flight complete, new connections are refused and the
// students retry them on a second process, the first process exits 0, and
// every acknowledged submission is stored exactly once.
func TestSIGTERMMidLoad(t *testing.T) {
	dbURL, a, b, site, students := twoProcesses(t, map[string]string{"DRAIN_TIMEOUT": "10s"})
	fo := &failover{a: a.base, b: b.base}
	var once sync.Once
	termAt := make(chan time.Time, 1)
	results := runLoad(context.Background(), t, loadConfig{
		site: site, students: students, workers: 16, attempts: 1200, deadline: 60 * time.Second,
		startAt: func(_, n int) string { return fo.pick(n) },
		submitAt: func(_, n int) string {
			return fo.pick(n)
		},
		retry: func(status int, err error) bool {
			if status == 0 && isDialError(err) {
				fo.refused()
			}
			return status == 0 // only refused or cut connections are retried
		},
		maxTries: 3, backoff: 20 * time.Millisecond,
		acked: func(n int64) {
			if n == 300 {
				once.Do(func() {
					termAt <- time.Now()
					a.Signal(t, syscall.SIGTERM)
				})
			}
		},
	})
	if len(termAt) == 0 {
		t.Fatal("the load ended before SIGTERM was sent")
	}
	if code := a.waitExit(t, 15*time.Second); code != 0 {
		t.Errorf("the stopped process exited %d, want 0 after draining", code)
	}
	tl := tallyOf(results)
	t.Logf("SIGTERM after 300 acknowledged submits: %s", tl)
	for status, n := range tl.statuses {
		if status != 303 {
			t.Errorf("%d submits were answered %d; a draining process must finish them (303)", n, status)
		}
	}
	if tl.otherErrs != 0 {
		t.Errorf("%d submits lost their connection mid-request: requests in flight must complete", tl.otherErrs)
	}
	// Every submit the stopping process handled reached its student: the
	// answer of each attempt it logged was received from it.
	answeredByA := map[string]bool{}
	for _, r := range results {
		for _, tr := range r.tries {
			if tr.base == a.base && tr.status == 303 {
				answeredByA[r.attempt.ID] = true
			}
		}
	}
	handled := submittedIDs(t, a.Out.String())
	cut := 0
	for _, id := range handled {
		if !answeredByA[id] {
			cut++
		}
	}
	t.Logf("the stopped process handled %d submits; %d of their answers did not reach the student", len(handled), cut)
	if cut != 0 {
		t.Errorf("%d submits handled by the stopping process never got their answer to the student: requests in flight must complete", cut)
	}
	if tl.acked != tl.attempts {
		t.Errorf("%d of %d attempts acknowledged, want all (refused ones retried on the second process)", tl.acked, tl.attempts)
	}
	if tl.dialErrs == 0 {
		t.Errorf("no submit was refused after SIGTERM: the load did not outlast the stop")
	}
	stored := verify(t, dbURL, results)
	t.Logf("stored %d attempts", stored)
	if stored != tl.acked {
		t.Errorf("%d attempts stored, %d acknowledged", stored, tl.acked)
	}
	for _, want := range []string{`"msg":"draining"`, `"msg":"stopped"`} {
		if !strings.Contains(a.Out.String(), want) {
			t.Errorf("the stopped process did not log %s", want)
		}
	}
	if b.Exited() {
		t.Error("the second process exited")
	}
}

// TestKill9MidLoad: SIGKILL ends a web process while students submit to
// it. Submits cut off without an answer are retried, with the same attempt,
// on a second process until acknowledged; afterwards every attempt is
// stored exactly once and none in part (an attempt without all its
// responses, or responses without their attempt).
func TestKill9MidLoad(t *testing.T) {
	dbURL, a, b, site, students := twoProcesses(t, nil)
	fo := &failover{a: a.base, b: b.base}
	var once sync.Once
	killed := make(chan struct{})
	results := runLoad(context.Background(), t, loadConfig{
		site: site, students: students, workers: 16, attempts: 1200, deadline: 60 * time.Second,
		startAt:  func(_, n int) string { return fo.pick(n) },
		submitAt: func(_, n int) string { return fo.pick(n) },
		retry: func(status int, err error) bool {
			if status == 0 {
				fo.refused()
			}
			return true
		},
		maxTries: 5, backoff: 20 * time.Millisecond,
		acked: func(n int64) {
			if n == 300 {
				once.Do(func() {
					a.Signal(t, syscall.SIGKILL)
					close(killed)
				})
			}
		},
	})
	select {
	case <-killed:
	default:
		t.Fatal("the load ended before SIGKILL was sent")
	}
	a.waitExit(t, 5*time.Second)
	tl := tallyOf(results)
	t.Logf("SIGKILL after 300 acknowledged submits: %s", tl)
	retried := 0
	for _, r := range results {
		if len(r.tries) > 1 {
			retried++
		}
		for _, tr := range r.tries {
			if tr.status >= 500 {
				t.Errorf("attempt %s: a submit was answered %d", r.attempt.ID, tr.status)
			}
		}
	}
	t.Logf("%d attempts needed a retry", retried)
	if tl.acked != tl.attempts {
		t.Errorf("%d of %d attempts acknowledged, want every one after retries", tl.acked, tl.attempts)
	}
	if stored := verify(t, dbURL, results); stored != tl.attempts {
		t.Errorf("%d attempts stored, want %d: each once", stored, tl.attempts)
	}
	if b.Exited() {
		t.Error("the second process exited")
	}
}

// submittedIDs are the attempt ids a process logged as submitted.
func submittedIDs(t *testing.T, logs string) []string {
	t.Helper()
	var ids []string
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `"msg":"attempt submitted"`) {
			continue
		}
		var ev struct {
			AttemptID string `json:"attempt_id"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.AttemptID == "" {
			t.Fatalf("unreadable log event %q: %v", line, err)
		}
		ids = append(ids, ev.AttemptID)
	}
	return ids
}
