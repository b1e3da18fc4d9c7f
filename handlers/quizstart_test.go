package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/signout"
	"github.com/twelve-course/twelve/store/storetest"
)

// limitedCourse is the embedded course with the logs quiz limited to two
// attempts and the codebase quiz timed (ten minutes); the rest have
// neither limit.
func limitedCourse(t testing.TB) *content.Course {
	course := embeddedCourse(t)
	qs := course.Quizzes()
	qs["logs"].Settings.AttemptLimit = 2
	qs["codebase"].Settings.TimeLimit = 10 * time.Minute
	return course
}

func (a *quizApp) token(raw string) quiz.Token {
	a.t.Helper()
	s, _ := quiz.NewSigner([][]byte{[]byte(quizTestKey)})
	tok, err := s.Decode(raw, time.Now())
	if err != nil {
		a.t.Fatal(err)
	}
	return tok
}

// TestLimitedStartIsRecordedOnce: for a quiz with an attempt limit or a time
// limit, twenty starts at once, a start on another process and a start
// after a restart all give the same attempt — id, paper, deadline — until
// it is submitted; then the next one, until none is left.
func TestLimitedStartIsRecordedOnce(t *testing.T) {
	dbURL := storetest.NewURL(t)
	course := limitedCourse(t)
	a := newQuizApp(t, dbURL, course, nil)
	ada := a.signIn("ada", "ada@example.edu")

	for _, slug := range []string{"logs", "codebase"} {
		t.Run(slug, func(t *testing.T) {
			const starts = 20
			tokens := make(chan string, starts)
			var wg sync.WaitGroup
			for range starts {
				wg.Go(func() {
					w := a.get(&ada, "/lessons/"+slug+"/quiz")
					if w.Code != http.StatusSeeOther {
						t.Errorf("start = %d", w.Code)
						return
					}
					u, _ := url.Parse(w.Header().Get("Location"))
					tokens <- u.Query().Get("attempt")
				})
			}
			wg.Wait()
			close(tokens)
			var first quiz.Token
			var form string
			for raw := range tokens {
				tok := a.token(raw)
				if first.AttemptID == "" {
					first, form = tok, quizPath(slug)+"?attempt="+url.QueryEscape(raw)
				}
				if tok.AttemptID != first.AttemptID || tok.Seed != first.Seed || !tok.Deadline.Equal(first.Deadline) || tok.No != 1 {
					t.Errorf("parallel starts gave different attempts:\n%+v\n%+v", tok, first)
				}
			}
			if n := a.count(`SELECT count(*) FROM attempt_starts WHERE quiz = $1`, slug); n != 1 {
				t.Fatalf("%d starts recorded for %d parallel starts, want 1", n, starts)
			}
			if slug == "codebase" && !first.Deadline.Equal(first.Started.Add(10*time.Minute)) {
				t.Errorf("deadline %v, want ten minutes after %v", first.Deadline, first.Started)
			}
			body := a.get(&ada, form).Body.String()
			paper := questionIDs(t, body)
			if slug == "codebase" && !strings.Contains(body, `<span data-testid="time-allowed">10 minutes</span> to answer`) {
				t.Errorf("the timed quiz's page does not say it allows 10 minutes:\n%s", body)
			}

			// Another process, or this one restarted, hands out the same
			// attempt: nothing of it was kept in memory.
			other := newQuizApp(t, dbURL, course, nil)
			_, raw := other.start(ada, slug)
			again := a.token(raw)
			if again.AttemptID != first.AttemptID || !again.Deadline.Equal(first.Deadline) {
				t.Errorf("start on another process = %+v, want the open attempt %+v", again, first)
			}
			if got := questionIDs(t, other.get(&ada, quizPath(slug)+"?attempt="+url.QueryEscape(raw)).Body.String()); strings.Join(got, ",") != strings.Join(paper, ",") {
				t.Errorf("another process shows questions %v, want the same paper %v", got, paper)
			}

			// Submitted, the attempt is done: the back button shows its
			// review, and starting again starts attempt 2.
			if w := other.post(&ada, quizPath(slug), url.Values{"attempt": {raw}}); w.Code != http.StatusSeeOther {
				t.Fatalf("submit = %d:\n%s", w.Code, w.Body)
			}
			if slug == "logs" {
				if w := a.get(&ada, form); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/attempts/"+first.AttemptID {
					t.Errorf("the submitted attempt's form = %d to %q, want its review", w.Code, w.Header().Get("Location"))
				}
			}
			_, raw2 := a.start(ada, slug)
			if second := a.token(raw2); second.No != 2 || second.AttemptID == first.AttemptID {
				t.Errorf("start after submitting = %+v, want a new attempt 2", second)
			}
		})
	}

	// The logs quiz allows two: attempt 2 is open, so a start gives it back;
	// once submitted, no start is left.
	_, raw := a.start(ada, "logs")
	if w := a.post(&ada, "/lessons/logs/quiz", url.Values{"attempt": {raw}}); w.Code != http.StatusSeeOther {
		t.Fatalf("submit attempt 2 = %d", w.Code)
	}
	w := a.get(&ada, "/lessons/logs/quiz")
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "No attempts left") {
		t.Errorf("start with no attempt left = %d, want 409 No attempts left:\n%s", w.Code, w.Body)
	}
	if n := a.count(`SELECT count(*) FROM attempt_starts WHERE quiz = 'logs'`); n != 2 {
		t.Errorf("%d logs starts recorded, want 2", n)
	}
}

// TestTimedAttemptExpiresAndCounts: a timed attempt left to run out is not
// given back; it used its number (two of two here), so no start is left.
func TestTimedAttemptExpiresAndCounts(t *testing.T) {
	course := limitedCourse(t)
	logs, _ := course.Quiz("logs")
	logs.Settings.TimeLimit = time.Minute
	a := newQuizApp(t, "", course, nil)
	ada := a.signIn("ada", "ada@example.edu")
	_, raw := a.start(ada, "logs")
	first := a.token(raw)
	// Time passes: move the recorded start back past its deadline plus grace.
	if _, err := a.store.Pool().Exec(context.Background(),
		`UPDATE attempt_starts SET started_at = started_at - interval '1 hour', deadline = deadline - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	_, raw2 := a.start(ada, "logs")
	if second := a.token(raw2); second.No != 2 || second.AttemptID == first.AttemptID {
		t.Fatalf("start after the attempt expired = %+v, want attempt 2", second)
	}
	// The old token no longer agrees with its (moved) start: refused.
	if w := a.post(&ada, "/lessons/logs/quiz", url.Values{"attempt": {raw}}); w.Code != http.StatusBadRequest {
		t.Errorf("submit of a token that disagrees with its start = %d, want 400", w.Code)
	}
	if w := a.post(&ada, "/lessons/logs/quiz", url.Values{"attempt": {raw2}}); w.Code != http.StatusSeeOther {
		t.Fatalf("submit attempt 2 = %d", w.Code)
	}
	if w := a.get(&ada, "/lessons/logs/quiz"); w.Code != http.StatusConflict {
		t.Errorf("start after an expired and a submitted attempt = %d, want 409", w.Code)
	}
	if n := a.count(`SELECT count(*) FROM attempts`); n != 1 {
		t.Errorf("%d attempts stored, want 1 (the expired one has no grade)", n)
	}
}

// statementCounter counts the statements a pool sends, batched or not.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (c *statementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.n.Add(1)
}
func (c *statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TestUnlimitedStartSendsNoStatement: starting a quiz with neither limit,
// and showing its form, sends the database nothing; starting a limited one
// does.
// countingApp is the app over a pool that counts every statement it
// sends, with the sign-out list following the sign-outs (so signed-in
// requests do not ask the database, as on a running process) and a class
// directory the test loads; course nil is the embedded one.
func countingApp(t *testing.T, course *content.Course) (*quizApp, *statementCounter, *classes.Directory) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(storetest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	counter := &statementCounter{}
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	var list *signout.List
	var dir *classes.Directory
	app := newTestApp(t, appOptions{pool: pool, course: course, env: map[string]string{"SECRET_KEY": quizTestKey},
		wire: func(d *Deps) {
			list = signout.New(signout.Options{Store: d.Store, Logger: d.Logger, Horizon: d.Config.SessionMaxLifetime})
			d.SignOuts = list
			dir = classes.New(classes.FromStore(d.Store), d.Logger)
			d.Classes = dir
		}})
	go list.Run(t.Context())
	if ev := app.logs.WaitEvent(10*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "sign-out listener connected" }); ev == nil {
		t.Fatalf("the sign-out list did not connect; logs:\n%s", app.logs)
	}
	if err := dir.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &quizApp{t: t, e: app.e, store: app.store, cookie: mustCookies(t, app.cfg.SecretKeys...), logs: app.logs}, counter, dir
}

func TestUnlimitedStartSendsNoStatement(t *testing.T) {
	a, counter, _ := countingApp(t, limitedCourse(t))
	ada := a.signIn("ada", "ada@example.edu")
	a.get(&ada, "/lessons/config") // the first signed-in request may look the user up

	for _, tt := range []struct {
		slug string
		some bool
	}{{"config", false}, {"logs", true}, {"codebase", true}} {
		before := counter.n.Load()
		form, _ := a.start(ada, tt.slug)
		if w := a.get(&ada, form); w.Code != http.StatusOK {
			t.Fatalf("%s form = %d", tt.slug, w.Code)
		}
		if n := counter.n.Load() - before; (n > 0) != tt.some {
			t.Errorf("starting %s sent %d statements; want some: %v", tt.slug, n, tt.some)
		}
	}
	if n := a.count(`SELECT count(*) FROM attempt_starts WHERE quiz = 'config'`); n != 0 {
		t.Errorf("starting the unlimited quiz recorded %d starts", n)
	}
}
