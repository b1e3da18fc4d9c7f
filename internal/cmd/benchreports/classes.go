package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/twelve-course/twelve/store"
)

// classes measures the class reports on demo data with classes (`twelve
// admin demo-data --classes … --big-class …`): the store calls a class's
// gradebook page makes, and its CSV export, in this process; then, with
// -base, the same pages through a running `twelve web`.
//
//	benchreports classes -db URL [-requests N] [-base URL -cookie V -pid PID]
func classes(args []string) error {
	fs := flag.NewFlagSet("classes", flag.ContinueOnError)
	db := fs.String("db", "", "the database URL")
	requests := fs.Int("requests", 200, "gradebook pages to time, per kind of class")
	base := fs.String("base", "", "the web process's base URL (optional)")
	cookie := fs.String("cookie", "", "an instructor's identity cookie value")
	pid := fs.Int("pid", 0, "the web process's pid, to sample its memory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, *db)
	if err != nil {
		return err
	}
	defer pool.Close()
	small, big, err := demoClasses(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Printf("demo classes: %d small (demo-001 …), big class demo-big %s\n", len(small), bigSize(ctx, pool, big))
	st := store.New(pool)
	c := &classBench{st: st, small: small, big: big}
	if err := c.storePages(ctx, *requests); err != nil {
		return err
	}
	if err := c.storeExport(ctx); err != nil {
		return err
	}
	if *base == "" {
		return nil
	}
	b := &bench{base: strings.TrimRight(*base, "/"), cookie: *cookie, pid: *pid,
		client: &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	fmt.Printf("\nweb process RSS at start: %s\n", b.memory())
	if err := c.httpPages(b, *requests); errors.Is(err, errSkipHTTP) {
		return nil
	} else if err != nil {
		return err
	}
	if err := c.httpOtherPages(b); err != nil {
		return err
	}
	return c.httpExport(b)
}

// errSkipHTTP says the web process cannot show the class pages.
var errSkipHTTP = errors.New("no class pages")

type demoClass struct {
	id   int64
	slug string
}

type classBench struct {
	st    *store.Store
	small []demoClass
	big   demoClass
}

func demoClasses(ctx context.Context, pool *pgxpool.Pool) (small []demoClass, big demoClass, err error) {
	rows, _ := pool.Query(ctx, `SELECT id, slug FROM classes WHERE slug ~ '^demo-([0-9]+|big)$' ORDER BY slug`)
	var c demoClass
	_, err = pgx.ForEachRow(rows, []any{&c.id, &c.slug}, func() error {
		if c.slug == "demo-big" {
			big = c
		} else {
			small = append(small, c)
		}
		return nil
	})
	if err == nil && (len(small) == 0 || big.id == 0) {
		err = fmt.Errorf("no demo classes: load demo-data with --classes and --big-class")
	}
	return small, big, err
}

func bigSize(ctx context.Context, pool *pgxpool.Pool, big demoClass) string {
	var n int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM class_gradebook WHERE class_id = $1`, big.id).Scan(&n)
	return "(" + strconv.Itoa(n) + " students)"
}

// pageKind is one kind of gradebook request: a sort, a direction, a filter
// or a cursor.
type pageKind struct {
	label  string
	sort   string // name, email, total or a lesson slug
	desc   bool
	filter string
	after  string // a cursor in the handler's form, "value~id"
}

var (
	classFilters = []string{"garc", "nguy", "ana.", "@demo", "zz-none", "kim"}
	classLetters = "abcdefghijklmnopqrstuvwyz"
)

// randomKind draws a request as a teacher browsing would make them: first
// pages in every sort, deep pages by a cursor, filters.
func randomKind(rng *rand.Rand) pageKind {
	sorts := append([]string{"name", "email", "total"}, slugs...)
	k := pageKind{sort: sorts[rng.IntN(len(sorts))], desc: rng.IntN(2) == 0}
	k.label = "first page"
	switch r := rng.IntN(10); {
	case r < 2:
		k.filter, k.label = classFilters[rng.IntN(len(classFilters))], "filtered"
	case r < 6:
		k.label = "deep page (cursor)"
		switch k.sort {
		case "name", "email":
			k.after = string(classLetters[rng.IntN(len(classLetters))]) + string(classLetters[rng.IntN(len(classLetters))]) + "~0"
		default:
			k.after = strconv.FormatFloat(rng.Float64(), 'f', 4, 64) + "~" + strconv.Itoa(rng.IntN(120000))
		}
	}
	return k
}

// bigKinds are the big class's requests, each timed on its own: the sorts
// a teacher clicks, a lesson, deep pages and filters.
func bigKinds() []pageKind {
	return []pageKind{
		{label: "by name", sort: "name"},
		{label: "by name, desc", sort: "name", desc: true},
		{label: "by email", sort: "email"},
		{label: "by total, desc", sort: "total", desc: true},
		{label: "by lesson config", sort: "config"},
		{label: "by lesson logs, desc", sort: "logs", desc: true},
		{label: "by name, deep (after \"m\")", sort: "name", after: "m~0"},
		{label: "by lesson, deep", sort: "processes", after: "0.5~60000"},
		{label: "filter \"garc\" by name", sort: "name", filter: "garc"},
		{label: "filter \"@demo\" (all)", sort: "name", filter: "@demo"},
		{label: "filter \"zz-none\" (none)", sort: "total", filter: "zz-none"},
	}
}

func (k pageKind) query() (store.GradebookQuery, error) {
	q := store.GradebookQuery{Filter: k.filter, Limit: 50}
	switch k.sort {
	case "name", "email", "total":
		q.Sort.By = k.sort
	default:
		q.Sort = store.GradebookSort{By: "lesson", Lesson: slices.Index(slugs, k.sort) + 1}
	}
	q.Sort.Desc = k.desc
	if k.after != "" {
		v, id, _ := strings.Cut(k.after, "~")
		cur := &store.Cursor{}
		cur.UserID, _ = strconv.ParseInt(id, 10, 64)
		if k.sort == "name" || k.sort == "email" {
			cur.Text = v
		} else {
			cur.Number, _ = strconv.ParseFloat(v, 64)
		}
		q.After = cur
	}
	return q, nil
}

func (k pageKind) path(slug string) string {
	v := url.Values{}
	if k.sort != "name" {
		v.Set("sort", k.sort)
	}
	if k.desc {
		v.Set("dir", "desc")
	}
	if k.filter != "" {
		v.Set("q", k.filter)
	}
	if k.after != "" {
		v.Set("after", k.after)
	}
	p := "/instructor/classes/" + slug + "/gradebook"
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	return p
}

// page makes the store calls the gradebook page makes: the page's rows and
// the count of students (matching the filter, up to 1,001).
func (c *classBench) page(ctx context.Context, class int64, k pageKind) (time.Duration, error) {
	q, err := k.query()
	if err != nil {
		return 0, err
	}
	q.Class = class
	upTo := 0
	if k.filter != "" {
		upTo = 1001
	}
	start := time.Now()
	if _, err := c.st.Gradebook(ctx, q); err != nil {
		return 0, err
	}
	if _, err := c.st.CountStudentsIn(ctx, class, k.filter, upTo); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func (c *classBench) storePages(ctx context.Context, n int) error {
	rng := rand.New(rand.NewPCG(3, 4))
	fmt.Printf("\nstore calls of a class gradebook page (Gradebook + CountStudentsIn), in this process:\n")
	var all []time.Duration
	kinds := map[string][]time.Duration{}
	for range n {
		cl := c.small[rng.IntN(len(c.small))]
		k := randomKind(rng)
		d, err := c.page(ctx, cl.id, k)
		if err != nil {
			return err
		}
		all = append(all, d)
		kinds[k.label] = append(kinds[k.label], d)
	}
	fmt.Printf("  classes of 100, %d random pages:\n    all                %s\n", n, summary(all))
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		fmt.Printf("    %-18s %s\n", k, summary(kinds[k]))
	}
	fmt.Printf("  demo-big, each kind %d times:\n", max(5, n/10))
	all = nil
	for _, k := range bigKinds() {
		var ds []time.Duration
		for range max(5, n/10) {
			d, err := c.page(ctx, c.big.id, k)
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		all = append(all, ds...)
		fmt.Printf("    %-28s %s\n", k.label, summary(ds))
	}
	fmt.Printf("    %-28s %s\n", "all", summary(all))
	return nil
}

// storeExport writes the big class's CSV as the handler does (to nowhere),
// sampling the Go heap every 5 ms.
func (c *classBench) storeExport(ctx context.Context) error {
	fmt.Printf("\nCSV of demo-big through EachGradebookRowIn, in this process:\n")
	for run := 1; run <= 3; run++ {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.HeapInuse
		var peak atomic.Uint64
		done := make(chan struct{})
		go func() {
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			var m runtime.MemStats
			for {
				select {
				case <-done:
					return
				case <-t.C:
					runtime.ReadMemStats(&m)
					if m.HeapInuse > peak.Load() {
						peak.Store(m.HeapInuse)
					}
				}
			}
		}()
		lc := &lineCounter{}
		w := csv.NewWriter(lc)
		record := make([]string, 2+len(slugs)+1)
		start := time.Now()
		err := c.st.EachGradebookRowIn(ctx, c.big.id, func(r store.GradebookRow) error {
			record[0], record[1] = r.Email, r.Name
			for i := range slugs {
				record[2+i] = ""
				if i < len(r.Grades) && r.Grades[i] != nil {
					record[2+i] = strconv.FormatFloat(*r.Grades[i]*100, 'f', -1, 64)
				}
			}
			record[len(record)-1] = strconv.FormatFloat(r.Total*100, 'f', -1, 64)
			return w.Write(record)
		})
		w.Flush()
		d := time.Since(start)
		close(done)
		if err != nil {
			return err
		}
		fmt.Printf("  run %d: %d rows in %.3f s; Go heap in use before %.1f MiB, peak during %.1f MiB\n",
			run, lc.lines, d.Seconds(), float64(before)/(1<<20), float64(max(peak.Load(), before))/(1<<20))
	}
	return nil
}

func (c *classBench) httpPages(b *bench, n int) error {
	for _, p := range []string{c.small[0].slug, c.big.slug} {
		if status, _, _, err := b.get("/instructor/classes/"+p+"/gradebook", nil); err != nil {
			return err
		} else if status == http.StatusNotFound {
			fmt.Printf("\nthe web process answers 404 for %s: it does not know the classes (is its class directory loaded?); no HTTP figures\n", p)
			return errSkipHTTP
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	fmt.Printf("\nclass gradebook page through HTTP:\n")
	var all []time.Duration
	kinds := map[string][]time.Duration{}
	var rows int
	for range n {
		cl := c.small[rng.IntN(len(c.small))]
		k := randomKind(rng)
		body, d, err := b.mustGet(k.path(cl.slug))
		if err != nil {
			return err
		}
		rows += strings.Count(body, `data-testid="gradebook-row"`)
		all = append(all, d)
		kinds[k.label] = append(kinds[k.label], d)
	}
	fmt.Printf("  classes of 100, %d random pages (%d rows shown):\n    all                %s\n", n, rows, summary(all))
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		fmt.Printf("    %-18s %s\n", k, summary(kinds[k]))
	}
	fmt.Printf("  demo-big, each kind %d times:\n", max(5, n/10))
	all = nil
	for _, k := range bigKinds() {
		var ds []time.Duration
		rows = 0
		for range max(5, n/10) {
			body, d, err := b.mustGet(k.path(c.big.slug))
			if err != nil {
				return err
			}
			rows = strings.Count(body, `data-testid="gradebook-row"`)
			ds = append(ds, d)
		}
		all = append(all, ds...)
		fmt.Printf("    %-28s %s  (%d rows)\n", k.label, summary(ds), rows)
	}
	fmt.Printf("    %-28s %s\n", "all", summary(all))
	return nil
}

func (c *classBench) httpExport(b *bench) error {
	return b.exportRuns("\nclass CSV export of demo-big through HTTP (six runs: RSS grows until the garbage collector's goal, then stays):",
		"/instructor/classes/"+c.big.slug+"/gradebook.csv", 6)
}

var classStudentLink = regexp.MustCompile(`href="(/instructor/classes/[a-z0-9-]+/students/[0-9]+)"`)

// httpOtherPages times a class's item statistics and a student's page, in
// a class of 100 and in demo-big.
func (c *classBench) httpOtherPages(b *bench) error {
	fmt.Println("\nclass item statistics and student pages through HTTP (3 runs each):")
	for _, cl := range []demoClass{c.small[len(c.small)/2], c.big} {
		base := "/instructor/classes/" + cl.slug
		var paths []string
		for _, slug := range []string{"codebase", "config", "admin-processes"} {
			paths = append(paths, base+"/quizzes/"+slug, base+"/quizzes/"+slug+"?attempts=all")
		}
		body, _, err := b.mustGet(base + "/gradebook?sort=total&dir=desc")
		if err != nil {
			return err
		}
		if m := classStudentLink.FindStringSubmatch(body); m != nil {
			paths = append(paths, m[1])
		}
		for _, p := range paths {
			var ds []string
			var attempts string
			for range 3 {
				body, d, err := b.mustGet(p)
				if err != nil {
					return err
				}
				ds = append(ds, fmt.Sprintf("%6.0f ms", ms(d)))
				if m := attemptsStat.FindStringSubmatch(body); m != nil {
					attempts = strings.Join(strings.Fields(strings.ReplaceAll(m[1], "\u202f", " ")), "") + " attempts"
				}
			}
			fmt.Printf("  %-62s %-16s %s\n", p, attempts, strings.Join(ds, " "))
		}
	}
	return nil
}
