// Command ltiscorebench measures LTI grade delivery: it queues -scores
// lti_score jobs (students × quizzes of one LMS course) in a fresh
// database, starts -processes `twelve worker` processes and times them
// delivering every score to a test LMS (package ltiplatform, in this
// process, over HTTP). A second phase queues a new grade for each and
// keeps the LMS's score endpoint answering 500 for -outage, then lets the
// backlog drain, and checks that nothing was lost or sent twice: the LMS
// holds every latest grade, with exactly one post per grade.
//
// scripts/bench/lti-scores.sh builds and runs it. Not part of `make test`.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ltiscorebench:", err)
		stop()
		os.Exit(1)
	}
}

type options struct {
	admin, binary      string
	scores, processes  int
	workers            int
	outage, drainLimit time.Duration
	poolSize           int
	keep               bool
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("ltiscorebench", flag.ContinueOnError)
	fs.StringVar(&o.admin, "admin-url", os.Getenv("TEST_DATABASE_URL"), "PostgreSQL URL where a database may be created")
	fs.StringVar(&o.binary, "twelve", "bin/twelve", "the twelve binary")
	fs.IntVar(&o.scores, "scores", 10000, "scores queued per phase (a multiple of the 10 quizzes)")
	fs.IntVar(&o.processes, "processes", 2, "worker processes")
	fs.IntVar(&o.workers, "workers", 20, "jobs each worker process runs at once")
	fs.IntVar(&o.poolSize, "pool", 30, "DATABASE_POOL_SIZE of the workers")
	fs.DurationVar(&o.outage, "outage", time.Minute, "how long the LMS answers 500 in the second phase")
	fs.DurationVar(&o.drainLimit, "limit", 10*time.Minute, "give up when a phase takes longer")
	fs.BoolVar(&o.keep, "keep", false, "keep the database (its name is printed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.admin == "" {
		return errors.New("-admin-url (or TEST_DATABASE_URL) is required")
	}
	b, err := newBench(ctx, o, out)
	if err != nil {
		return err
	}
	defer b.close()
	return b.run(ctx)
}

// bench is one run: its database, LMS and worker processes.
type bench struct {
	o        options
	out      io.Writer
	dbName   string
	dbURL    string
	pool     *pgxpool.Pool
	platform *ltiplatform.Platform
	keyPEM   string
	class    int64
	users    []int64
	quizzes  []string
	closers  []func()
}

func newBench(ctx context.Context, o options, out io.Writer) (*bench, error) {
	b := &bench{o: o, out: out, dbName: fmt.Sprintf("twelve_bench_lti_%d", os.Getpid())}
	admin, err := pgx.Connect(ctx, o.admin)
	if err != nil {
		return nil, err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+b.dbName); err != nil {
		return nil, err
	}
	b.closers = append(b.closers, func() {
		if o.keep {
			fmt.Fprintln(out, "database kept:", b.dbName)
			return
		}
		c, err := pgx.Connect(context.Background(), o.admin)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+b.dbName+" WITH (FORCE)")
			_ = c.Close(context.Background())
		}
	})
	u, err := url.Parse(o.admin)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + b.dbName
	b.dbURL = u.String()
	if b.pool, err = store.Open(ctx, b.dbURL, 8); err != nil {
		return b, err
	}
	b.closers = append(b.closers, b.pool.Close)
	if _, err := store.Migrate(ctx, b.pool, slog.New(slog.DiscardHandler)); err != nil {
		return b, err
	}
	return b, b.startLMS(ctx)
}

func (b *bench) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

// startLMS serves the test LMS and the tool's JWKS, and records the LMS
// course with its students (users keyed by the LMS's issuer).
func (b *bench) startLMS(ctx context.Context) error {
	key, err := lti.GenerateKey()
	if err != nil {
		return err
	}
	keys, err := lti.NewKeySet(key)
	if err != nil {
		return err
	}
	if b.keyPEM, err = lti.EncodeKey(key); err != nil {
		return err
	}
	tool := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(keys.JWKS())
	}))
	b.closers = append(b.closers, tool.Close)
	platform, ln, err := ltiplatform.Listen("127.0.0.1:0", ltiplatform.Options{ToolURL: tool.URL})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: platform.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck
	b.closers = append(b.closers, func() { _ = srv.Close() })
	b.platform = platform

	st := store.New(b.pool)
	lms, err := st.AddLTIPlatform(ctx, store.LTIPlatform{
		Issuer: platform.Issuer(), ClientID: platform.ClientID(), Name: "Bench LMS",
		AuthURL: platform.AuthURL(), TokenURL: platform.TokenURL(), JWKSURL: platform.JWKSURL(),
		Deployments: []string{platform.DeploymentID()},
	})
	if err != nil {
		return err
	}
	res, err := st.RecordLTILaunch(ctx, store.LTILaunch{
		PlatformID: lms.ID, DeploymentID: platform.DeploymentID(), Issuer: platform.Issuer(), Subject: "teacher",
		ContextID: ltiplatform.ContextID, ContextTitle: ltiplatform.ContextTitle, Role: store.RoleInstructor,
		LineItemsURL: platform.Issuer() + "/lineitems", AGSScopes: []string{lti.ScopeLineItem, lti.ScopeScore},
	})
	if err != nil {
		return err
	}
	b.class = res.Class.ID
	b.quizzes = content.Slugs()[:10]
	students := (b.o.scores + len(b.quizzes) - 1) / len(b.quizzes)
	rows, err := b.pool.Query(ctx, `INSERT INTO users (issuer, subject, name)
SELECT $1, 'bench-' || n, 'Bench ' || n FROM generate_series(1, $2) AS n RETURNING id`, platform.Issuer(), students)
	if err != nil {
		return err
	}
	b.users, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	return err
}

func (b *bench) run(ctx context.Context) error {
	fmt.Fprintf(b.out, "LTI score delivery: %d scores per phase (%d students × %d quizzes), %d worker processes × %d jobs at once\n",
		len(b.users)*len(b.quizzes), len(b.users), len(b.quizzes), b.o.processes, b.o.workers)
	if err := b.queue(ctx, 0.5); err != nil {
		return err
	}
	stopWorkers, err := b.startWorkers(ctx)
	if err != nil {
		return err
	}
	defer stopWorkers()
	took, err := b.drain(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "phase 1: %d queued scores delivered in %.2f s (%.0f scores/s; goal < 30 s)\n",
		len(b.users)*len(b.quizzes), took.Seconds(), float64(len(b.users)*len(b.quizzes))/took.Seconds())
	if err := b.verify(1); err != nil {
		return err
	}

	if err := b.platform.Misbehave(ltiplatform.ScoreStatus(http.StatusInternalServerError, 0)); err != nil {
		return err
	}
	if err := b.queue(ctx, 0.75); err != nil {
		return err
	}
	began := time.Now()
	select {
	case <-time.After(b.o.outage):
	case <-ctx.Done():
		return ctx.Err()
	}
	var pending, tries int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'pending'), COALESCE(sum(tries), 0) FROM lti_scores`).Scan(&pending, &tries); err != nil {
		return err
	}
	b.platform.Clear()
	fmt.Fprintf(b.out, "phase 2: LMS answered 500 for %s: %d scores waiting, %d tries refused meanwhile\n", b.o.outage, pending, tries)
	took, err = b.drain(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "phase 2: backlog drained %.2f s after the LMS came back (%.2f s after queueing)\n", took.Seconds(), time.Since(began).Seconds())
	return b.verify(2)
}

// queue gives every student a new grade of every quiz (fraction base and
// a little per student) and queues their jobs, as a submit would.
func (b *bench) queue(ctx context.Context, base float64) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
INSERT INTO class_grades (class_id, user_id, quiz, attempts, grade, passed, updated_at)
SELECT $1, u, q, 1, $4 + (u % 10) / 100.0, true, clock_timestamp()
FROM unnest($2::bigint[]) AS u, unnest($3::text[]) AS q
ON CONFLICT (class_id, user_id, quiz) DO UPDATE
SET attempts = class_grades.attempts + 1, grade = EXCLUDED.grade, updated_at = clock_timestamp()`, b.class, b.users, b.quizzes, base)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
INSERT INTO lti_scores (class_id, user_id, quiz, status, graded_at)
SELECT class_id, user_id, quiz, 'pending', updated_at FROM class_grades WHERE class_id = $1
ON CONFLICT (class_id, user_id, quiz) DO UPDATE SET status = 'pending', graded_at = EXCLUDED.graded_at, error = '', tries = 0`, b.class)
		if err != nil {
			return err
		}
		jobs, err := river.NewClient(riverpgxv5.New(b.pool), &river.Config{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return err
		}
		params := make([]river.InsertManyParams, 0, len(b.users)*len(b.quizzes))
		for _, u := range b.users {
			for _, q := range b.quizzes {
				params = append(params, river.InsertManyParams{Args: store.LTIScoreArgs{ClassID: b.class, UserID: u, Quiz: q}})
			}
		}
		_, err = jobs.InsertManyFastTx(ctx, tx, params)
		return err
	})
}

// startWorkers runs the worker processes; the function returned stops
// them with SIGTERM.
func (b *bench) startWorkers(ctx context.Context) (func(), error) {
	var cmds []*exec.Cmd
	stopAll := func() {
		for _, c := range cmds {
			_ = c.Process.Signal(syscall.SIGTERM)
		}
		for _, c := range cmds {
			_ = c.Wait()
		}
	}
	for i := range b.o.processes {
		cmd := exec.CommandContext(ctx, b.o.binary, "worker", fmt.Sprintf("-workers=%d", b.o.workers), "-min-retry=1s", "-max-retry=15s")
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "DATABASE_URL=" + b.dbURL, "SECRET_KEY=bench-secret-0123456789abcdef-0123456789",
			"LTI_PRIVATE_KEY=" + b.keyPEM, fmt.Sprintf("DATABASE_POOL_SIZE=%d", b.o.poolSize), "LOG_LEVEL=error",
			fmt.Sprintf("DYNO=worker.%d", i+1),
		}
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			stopAll()
			return nil, err
		}
		cmds = append(cmds, cmd)
	}
	return stopAll, nil
}

// drain waits until no score is pending and returns how long it took.
func (b *bench) drain(ctx context.Context) (time.Duration, error) {
	began := time.Now()
	for {
		var pending, failed int
		err := b.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'failed') FROM lti_scores`).Scan(&pending, &failed)
		if err != nil {
			return 0, err
		}
		if failed > 0 {
			return 0, fmt.Errorf("%d scores failed", failed)
		}
		if pending == 0 {
			return time.Since(began), nil
		}
		if time.Since(began) > b.o.drainLimit {
			return 0, fmt.Errorf("%d scores still pending after %s", pending, b.o.drainLimit)
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// verify checks the LMS holds every class grade at its time, posted
// exactly posts times per student and line item (once per grade).
func (b *bench) verify(posts int) error {
	type key struct{ lineItem, user string }
	recorded := map[key]ltiplatform.RecordedScore{}
	for _, s := range b.platform.Scores() {
		recorded[key{s.LineItem, s.UserID}] = s
	}
	rows, err := b.pool.Query(context.Background(), `SELECT u.subject, li.lineitem_url, g.grade, g.updated_at
FROM class_grades g JOIN users u ON u.id = g.user_id JOIN lti_lineitems li USING (class_id, quiz)
WHERE g.class_id = $1`, b.class)
	if err != nil {
		return err
	}
	defer rows.Close()
	var n, lost, wrong, dup int
	for rows.Next() {
		var subject, lineItem string
		var grade float64
		var at time.Time
		if err := rows.Scan(&subject, &lineItem, &grade, &at); err != nil {
			return err
		}
		n++
		s, ok := recorded[key{lineItem, subject}]
		switch {
		case !ok:
			lost++
		case s.ScoreGiven == nil || math.Abs(*s.ScoreGiven/100-grade) > 1e-9 || !s.Timestamp.Equal(at):
			wrong++
		case s.Posts != posts:
			dup++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	items := len(b.platform.LineItems())
	fmt.Fprintf(b.out, "  check: %d grades, %d scores at the LMS on %d line items; lost %d, wrong or stale %d, posted other than %d time(s) %d\n",
		n, len(recorded), items, lost, wrong, posts, dup)
	if n != len(b.users)*len(b.quizzes) || lost+wrong+dup > 0 || len(recorded) != n || items != len(b.quizzes) {
		return errors.New("the LMS does not hold exactly the latest grades: " + strings.TrimSpace(fmt.Sprint(lost, wrong, dup)))
	}
	return nil
}
