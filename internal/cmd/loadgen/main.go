// Command loadgen drives a running Twelve site over HTTP with many
// simulated students (internal/student), for the scripts in scripts/bench/:
//
//	loadgen cookie -db URL -secret S             print a signed-in student's identity cookie
//	loadgen submit -base URL -db URL -secret S   time quiz submissions
//	loadgen starts -base URL -db URL -secret S   count database statements during quiz starts
//
// Only loopback addresses are accepted as -base: this is a benchmark tool
// for this machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/internal/student"
	"github.com/twelve-course/twelve/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: loadgen cookie|submit|starts [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	base := fs.String("base", "http://127.0.0.1:8080", "the site (loopback only)")
	dbURL := fs.String("db", "", "the site's DATABASE_URL (students are recorded there)")
	secret := fs.String("secret", "", "the site's SECRET_KEY")
	students := fs.Int("students", 1000, "simulated students")
	n := fs.Int("n", 20000, "submissions (submit) or starts (starts)")
	conc := fs.Int("c", 16, "concurrent clients")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if u, err := url.Parse(*base); err != nil || !loopback(u.Hostname()) {
		return fmt.Errorf("-base %q: only loopback addresses are load-tested", *base)
	}
	if *dbURL == "" || *secret == "" {
		return errors.New("-db and -secret are required")
	}
	site, err := student.NewSite(*base, *secret, student.NewClient(*conc, 30*time.Second))
	if err != nil {
		return err
	}
	pool, err := store.Open(ctx, *dbURL, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	prefix := fmt.Sprintf("%s-%d", args[0], time.Now().UnixNano())
	switch args[0] {
	case "cookie":
		ss, err := site.Create(ctx, st, prefix, 1)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, ss[0].IdentityCookie())
		return nil
	case "submit":
		ss, err := site.Create(ctx, st, prefix, *students)
		if err != nil {
			return err
		}
		return submit(ctx, site, ss, *n, *conc, out)
	case "starts":
		ss, err := site.Create(ctx, st, prefix, min(*students, *n))
		if err != nil {
			return err
		}
		return starts(ctx, site, ss, *n, *dbURL, out)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func loopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

// submit starts n attempts (untimed: starting is not part of a submit),
// then submits them from conc clients at once and reports the rate.
func submit(ctx context.Context, site *student.Site, ss []student.Student, n, conc int, out io.Writer) error {
	slugs := student.Slugs()
	attempts := make([]student.Attempt, n)
	prepStart := time.Now()
	if err := parallel(n, conc, func(i int) error {
		var err error
		attempts[i], err = site.Start(ctx, ss[i%len(ss)], slugs[(i/len(ss))%len(slugs)])
		return err
	}); err != nil {
		return fmt.Errorf("starting attempts: %w", err)
	}
	fmt.Fprintf(out, "prepared %d attempts for %d students in %.1fs\n", n, len(ss), time.Since(prepStart).Seconds())

	latencies := make([]time.Duration, n)
	var failed atomic.Int64
	var firstErr error
	var once sync.Once
	start := time.Now()
	_ = parallel(n, conc, func(i int) error {
		t0 := time.Now()
		_, err := site.Submit(ctx, "", attempts[i])
		latencies[i] = time.Since(t0)
		if err != nil {
			failed.Add(1)
			once.Do(func() { firstErr = err })
		}
		return nil
	})
	elapsed := time.Since(start)
	slices.Sort(latencies)
	fmt.Fprintf(out, "submits=%d clients=%d failed=%d elapsed_s=%.2f tps=%.0f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
		n, conc, failed.Load(), elapsed.Seconds(), float64(n)/elapsed.Seconds(),
		ms(latencies[n/2]), ms(latencies[n*95/100]), ms(latencies[n*99/100]))
	if firstErr != nil {
		return fmt.Errorf("%d submissions failed; first: %w", failed.Load(), firstErr)
	}
	return nil
}

// starts opens n quizzes (the redirect that mints the token, then the form
// page) and lists every statement the site's database ran meanwhile, from
// pg_stat_statements. Every quiz of the embedded course has neither an
// attempt limit nor a time limit, so the answer must be none; a timed or
// attempt-limited quiz records its start (docs/quizzes.md).
func starts(ctx context.Context, site *student.Site, ss []student.Student, n int, dbURL string, out io.Writer) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		return fmt.Errorf("pg_stat_statements (start the server with shared_preload_libraries=pg_stat_statements): %w", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)"); err != nil {
		return err
	}
	slugs := student.Slugs()
	t0 := time.Now()
	err = parallel(n, 8, func(i int) error {
		a, err := site.Start(ctx, ss[i%len(ss)], slugs[i%len(slugs)])
		if err != nil {
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, site.Base+"/lessons/"+a.Slug+"/quiz?attempt="+url.QueryEscape(a.Token), nil)
		a.Student.Header(req)
		resp, err := site.Client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("quiz form: status %d", resp.StatusCode)
		}
		return nil
	})
	elapsed := time.Since(t0)
	if err != nil {
		return err
	}
	rows, err := conn.Query(ctx, `SELECT calls, regexp_replace(query, '\s+', ' ', 'g') FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY calls DESC`)
	if err != nil {
		return err
	}
	type stmt struct {
		calls int64
		query string
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stmt, error) {
		var s stmt
		return s, r.Scan(&s.calls, &s.query)
	})
	if err != nil {
		return err
	}
	var app, mine, beats int64
	fmt.Fprintf(out, "%d quiz starts (redirect with a fresh token, then the form page) in %.2fs\n", n, elapsed.Seconds())
	fmt.Fprintln(out, "statements the database ran meanwhile (pg_stat_statements, this database):")
	for _, s := range list {
		who := "site"
		switch {
		case strings.Contains(s.query, "pg_stat_"):
			who, mine = "this measurement", mine+s.calls
		case strings.Contains(s.query, "INSERT INTO processes"):
			who, beats = "heartbeat (every 10 s)", beats+s.calls
		default:
			app += s.calls
		}
		fmt.Fprintf(out, "  %6d  %-24s %.90s\n", s.calls, who, s.query)
	}
	fmt.Fprintf(out, "of which heartbeats: %d; this measurement's own: %d\n", beats, mine)
	fmt.Fprintf(out, "statements per quiz start, heartbeats and this measurement excluded: %d / %d = %.3f\n", app, n, float64(app)/float64(n))
	if app != 0 {
		return fmt.Errorf("quiz starts ran %d statements", app)
	}
	return nil
}

// parallel runs fn(0..n-1) on conc goroutines and returns the first error.
func parallel(n, conc int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errs <- err
					next.Store(int64(n)) // stop the others
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
