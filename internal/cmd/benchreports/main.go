// Command benchreports measures the instructor reports of a running
// `twelve web`, for scripts/bench-reports.sh. It is a benchmark tool, not
// part of the app or its tests.
//
//	benchreports port                        print a free TCP port
//	benchreports createdb ADMIN_URL NAME     (re)create database NAME; print its URL
//	benchreports dropdb ADMIN_URL NAME       drop database NAME
//	benchreports wait URL                    wait until URL answers 200
//	benchreports run -base URL -cookie V -pid PID [-db URL] [-requests N]
//	benchreports classes -db URL [-requests N] [-base URL -cookie V -pid PID]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: benchreports port|createdb|dropdb|wait|run|classes"))
	}
	var err error
	switch args := os.Args[2:]; os.Args[1] {
	case "port":
		err = freePort()
	case "createdb":
		err = createDB(args)
	case "dropdb":
		err = dropDB(args)
	case "wait":
		err = waitFor(args)
	case "run":
		err = run(args)
	case "classes":
		err = classes(args)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchreports:", err)
	os.Exit(1)
}

func freePort() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Println(l.Addr().(*net.TCPAddr).Port)
	return nil
}

var dbName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func createDB(args []string) error {
	if len(args) != 2 || !dbName.MatchString(args[1]) {
		return fmt.Errorf("usage: createdb ADMIN_URL NAME")
	}
	if err := dropDB(args); err != nil {
		return err
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, args[0])
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+args[1]); err != nil {
		return err
	}
	u, err := url.Parse(args[0])
	if err != nil {
		return err
	}
	u.Path = "/" + args[1]
	fmt.Println(u.String())
	return nil
}

func dropDB(args []string) error {
	if len(args) != 2 || !dbName.MatchString(args[1]) {
		return fmt.Errorf("usage: dropdb ADMIN_URL NAME")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, args[0])
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+args[1]+" WITH (FORCE)")
	return err
}

func waitFor(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: wait URL")
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(args[0]); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer 200 within 30 s", args[0])
}

type bench struct {
	base   string
	cookie string
	pid    int
	client *http.Client
}

var slugs = []string{"codebase", "dependencies", "config", "backing-services", "build-release-run", "processes",
	"port-binding", "concurrency", "disposability", "dev-prod-parity", "logs", "admin-processes"}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	base := fs.String("base", "", "the web process's base URL")
	cookie := fs.String("cookie", "", "an instructor's identity cookie value")
	pid := fs.Int("pid", 0, "the web process's pid, to sample its memory")
	db := fs.String("db", "", "the database URL, to report its size")
	requests := fs.Int("requests", 200, "gradebook requests to time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b := &bench{base: strings.TrimRight(*base, "/"), cookie: *cookie, pid: *pid,
		client: &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if *db != "" {
		if err := dbFacts(*db); err != nil {
			return err
		}
	}
	fmt.Printf("\nweb process RSS at start: %s\n", b.memory())
	if err := b.warmUp(); err != nil {
		return err
	}
	if err := b.gradebook(*requests); err != nil {
		return err
	}
	if err := b.statistics(); err != nil {
		return err
	}
	if err := b.otherPages(); err != nil {
		return err
	}
	return b.export()
}

func dbFacts(dbURL string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	fmt.Println("database:")
	for _, q := range []struct{ label, sql string }{
		{"users", `SELECT count(*)::text FROM users`},
		{"attempts", `SELECT count(*)::text || ' (' || count(*) FILTER (WHERE attempt_no = 1) || ' first attempts)' FROM attempts`},
		{"responses", `SELECT count(*)::text FROM responses`},
		{"grades", `SELECT count(*)::text FROM grades`},
		{"size", `SELECT pg_size_pretty(pg_database_size(current_database()))`},
		{"attempt_items", `SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'attempt_items'::regclass`},
		{"gradebook", `SELECT pg_size_pretty(pg_total_relation_size('gradebook'))`},
		{"server", `SHOW server_version`},
		{"shared_buffers", `SHOW shared_buffers`},
	} {
		var v string
		if err := conn.QueryRow(ctx, q.sql).Scan(&v); err != nil {
			return fmt.Errorf("%s: %w", q.label, err)
		}
		fmt.Printf("  %-15s %s\n", q.label, v)
	}
	return nil
}

// get fetches path as the instructor and returns the status, body size and time.
func (b *bench) get(path string, body io.Writer) (int, int64, time.Duration, error) {
	req, err := http.NewRequest("GET", b.base+path, nil)
	if err != nil {
		return 0, 0, 0, err
	}
	req.AddCookie(&http.Cookie{Name: "twelve_id", Value: b.cookie})
	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	if body == nil {
		body = io.Discard
	}
	n, err := io.Copy(body, resp.Body)
	return resp.StatusCode, n, time.Since(start), err
}

func (b *bench) mustGet(path string) (string, time.Duration, error) {
	var sb strings.Builder
	status, _, d, err := b.get(path, &sb)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("GET %s = %d", path, status)
	}
	return sb.String(), d, err
}

func (b *bench) warmUp() error {
	for _, p := range []string{"/instructor/gradebook", "/instructor/gradebook?sort=total"} {
		if _, _, err := b.mustGet(p); err != nil {
			return err
		}
	}
	return nil
}

var nextLink = regexp.MustCompile(`href="(/instructor/gradebook\?[^"]*after=[^"]*)"[^>]*rel="next"`)

// gradebook times n requests across sorts, directions, filters and pages:
// first pages, deep pages reached by a cursor at a random place in the
// order (page 1,000 costs what page 1 does), and next links followed.
func (b *bench) gradebook(n int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	sorts := append([]string{"name", "email", "total"}, slugs...)
	filters := []string{"", "", "", "", "garc", "nguy", "ana.", "@demo", "zz-none", "Ø"}
	letters := "abcdefghijklmnopqrstuvwyz"
	var times []time.Duration
	kinds := map[string][]time.Duration{}
	var rows int64
	for len(times) < n {
		sort := sorts[rng.IntN(len(sorts))]
		v := url.Values{}
		if sort != "name" {
			v.Set("sort", sort)
		}
		if rng.IntN(2) == 0 {
			v.Set("dir", "desc")
		}
		kind := "first page"
		switch r := rng.IntN(10); {
		case r < 2:
			if f := filters[rng.IntN(len(filters))]; f != "" {
				v.Set("q", f)
				kind = "filtered"
			}
		case r < 7: // a deep page: a cursor anywhere in the order
			kind = "deep page (cursor)"
			switch sort {
			case "name", "email":
				v.Set("after", string(letters[rng.IntN(len(letters))])+string(letters[rng.IntN(len(letters))])+"~0")
			default:
				v.Set("after", strconv.FormatFloat(rng.Float64(), 'f', 4, 64)+"~"+strconv.Itoa(rng.IntN(100000)))
			}
		}
		path := "/instructor/gradebook"
		if len(v) > 0 {
			path += "?" + v.Encode()
		}
		for hops := 0; hops < 3 && len(times) < n; hops++ {
			body, d, err := b.mustGet(path)
			if err != nil {
				return err
			}
			times = append(times, d)
			kinds[kind] = append(kinds[kind], d)
			atomic.AddInt64(&rows, int64(strings.Count(body, `data-testid="gradebook-row"`)))
			m := nextLink.FindStringSubmatch(body)
			if m == nil || kind == "filtered" || rng.IntN(2) == 0 {
				break
			}
			path = strings.ReplaceAll(m[1], "&amp;", "&")
			kind = "next link"
		}
	}
	fmt.Printf("\ngradebook page (%d requests, %d rows shown, 50 a page):\n", len(times), rows)
	fmt.Printf("  all            %s\n", summary(times))
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		fmt.Printf("  %-18s %s\n", k, summary(kinds[k]))
	}
	return nil
}

func summary(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return fmt.Sprintf("n=%-4d p50 %6.1f ms   p95 %6.1f ms   max %6.1f ms", len(s), ms(q(0.5)), ms(q(0.95)), ms(s[len(s)-1]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

var attemptsStat = regexp.MustCompile(`data-testid="stat-attempts">\s*([0-9\x{202f} ]+)`)

func (b *bench) statistics() error {
	fmt.Println("\nitem statistics page (3 runs each; first run after the others' data was read):")
	for _, slug := range []string{"codebase", "config", "disposability", "admin-processes"} {
		for _, scope := range []string{"", "?attempts=all"} {
			var ds []string
			var attempts string
			for range 3 {
				body, d, err := b.mustGet("/instructor/quizzes/" + slug + scope)
				if err != nil {
					return err
				}
				ds = append(ds, fmt.Sprintf("%6.0f ms", ms(d)))
				if m := attemptsStat.FindStringSubmatch(body); m != nil {
					attempts = strings.Join(strings.Fields(strings.ReplaceAll(m[1], "\u202f", " ")), "")
				}
			}
			label := "first attempts"
			if scope != "" {
				label = "all attempts"
			}
			fmt.Printf("  %-16s %-15s %7s attempts: %s\n", slug, label, attempts, strings.Join(ds, " "))
		}
	}
	return nil
}

var studentLink = regexp.MustCompile(`href="(/instructor/students/[0-9]+)"`)

func (b *bench) otherPages() error {
	fmt.Println("\nother pages (3 runs each):")
	body, _, err := b.mustGet("/instructor/gradebook?sort=total&dir=desc")
	if err != nil {
		return err
	}
	student := "/instructor/students/1"
	if m := studentLink.FindStringSubmatch(body); m != nil {
		student = m[1]
	}
	for _, p := range []string{"/instructor", student} {
		var ds []string
		for range 3 {
			_, d, err := b.mustGet(p)
			if err != nil {
				return err
			}
			ds = append(ds, fmt.Sprintf("%6.0f ms", ms(d)))
		}
		fmt.Printf("  %-28s %s\n", p, strings.Join(ds, " "))
	}
	return nil
}

// export downloads the CSV while sampling the web process's resident
// memory every 5 ms.
func (b *bench) export() error {
	return b.exportRuns("\ngradebook CSV export:", "/instructor/gradebook.csv", 2)
}

// exportRuns downloads the CSV at path runs times, sampling the web
// process's resident memory every 5 ms.
func (b *bench) exportRuns(title, path string, runs int) error {
	fmt.Println(title)
	for run := 1; run <= runs; run++ {
		before, peak, stop := b.samplePeakRSS()
		cw := &lineCounter{}
		status, n, d, err := b.get(path, cw)
		stop()
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("%s = %d", path, status)
		}
		fmt.Printf("  run %d: %d rows (+ header), %.1f MB in %.3f s; web RSS before %s, peak during %s (+%s)\n",
			run, cw.lines-1, float64(n)/1e6, d.Seconds(), mib(before), mib(peak.Load()), mib(peak.Load()-before))
	}
	fmt.Printf("  web process memory after: %s\n", b.memory())
	return nil
}

type lineCounter struct{ lines int }

func (l *lineCounter) Write(p []byte) (int, error) {
	for _, c := range p {
		if c == '\n' {
			l.lines++
		}
	}
	return len(p), nil
}

// rss is the web process's resident set in KiB, from /proc.
func (b *bench) rss() int64 {
	v, _ := b.status()["VmRSS"]
	return v
}

func (b *bench) status() map[string]int64 {
	out := map[string]int64{}
	f, err := os.Open("/proc/" + strconv.Itoa(b.pid) + "/status")
	if err != nil {
		return out
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if f := strings.Fields(v); ok && len(f) == 2 && f[1] == "kB" {
			out[k], _ = strconv.ParseInt(f[0], 10, 64)
		}
	}
	return out
}

func (b *bench) memory() string {
	st := b.status()
	return fmt.Sprintf("VmRSS %s, VmHWM (peak so far) %s", mib(st["VmRSS"]), mib(st["VmHWM"]))
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// samplePeakRSS samples the web process's resident memory every 5 ms
// until stop is called: its value now, and the peak seen so far.
func (b *bench) samplePeakRSS() (before int64, peak *atomic.Int64, stop func()) {
	before = b.rss()
	peak = &atomic.Int64{}
	peak.Store(before)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if r := b.rss(); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	return before, peak, func() { close(done) }
}
