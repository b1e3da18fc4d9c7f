package handlers

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v5"
	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/static"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// testProcess is the process the course apps in these tests claim to be.
var testProcess = Process{
	ID: "test-host.4242.18eb", Kind: "web", Host: "test-host", PID: 4242,
	StartedAt: time.Now().Add(-90 * time.Second),
	Revision:  "0123456789abcdef0123456789abcdef01234567",
	Addr:      "[::]:54321", StartupDuration: 12300 * time.Microsecond,
}

// courseApp is the real router over the embedded course, with its settings
// read from env and its store on pool (nil: a fresh test database).
type courseApp struct {
	e    *echo.Echo
	pool *pgxpool.Pool
	logs *bytes.Buffer
}

func newCourseApp(t testing.TB, env map[string]string, pool *pgxpool.Pool) courseApp {
	t.Helper()
	logs := &bytes.Buffer{}
	app := newCourseAppLogging(t, env, pool, logs)
	app.logs = logs
	return app
}

// newCourseAppLogging is newCourseApp with its request log going to w.
func newCourseAppLogging(t testing.TB, env map[string]string, pool *pgxpool.Pool, w io.Writer) courseApp {
	t.Helper()
	full := map[string]string{
		"DATABASE_URL": "postgres://twelve@db.example.test:5432/twelve",
		"SECRET_KEY":   "course-test-secret-0123456789abcdef-0123",
	}
	for k, v := range env {
		full[k] = v
	}
	getenv := func(k string) string { return full[k] }
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if pool == nil {
		pool = storetest.NewPool(t)
	}
	assets, err := static.Load()
	if err != nil {
		t.Fatal(err)
	}
	course, err := content.Load(content.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	e := mustNew(t, Deps{
		Config: cfg, Getenv: getenv, Store: store.New(pool), Assets: assets,
		Logger: slog.New(slog.NewJSONHandler(w, nil)), Process: testProcess,
		Course: course, AdminCommands: []string{"check", "config", "content-check"},
	})
	return courseApp{e: e, pool: pool}
}

// get serves one GET and parses the page.
func (a courseApp) get(t testing.TB, path string, header ...string) (*httptest.ResponseRecorder, testDoc) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	a.e.ServeHTTP(w, r)
	root, err := html.Parse(strings.NewReader(w.Body.String()))
	if err != nil {
		t.Fatalf("GET %s: parse HTML: %v", path, err)
	}
	return w, testDoc{root}
}

// testDoc is a parsed page, searched by data-testid.
type testDoc struct{ root *html.Node }

// all returns the elements under n with data-testid=id, in document order.
func byTestID(n *html.Node, id string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && nodeAttr(n, "data-testid") == id {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func (d testDoc) all(id string) []*html.Node { return byTestID(d.root, id) }

// one returns the only element with data-testid=id, failing the test when
// there is not exactly one.
func (d testDoc) one(t testing.TB, id string) *html.Node {
	t.Helper()
	ns := d.all(id)
	if len(ns) != 1 {
		t.Fatalf("found %d elements with data-testid=%q, want 1", len(ns), id)
	}
	return ns[0]
}

func nodeAttr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// nodeText is n's text content with runs of white space collapsed.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// elements returns the elements under n with the given tag.
func elements(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func TestHomeListsLessons(t *testing.T) {
	app := newCourseApp(t, nil, nil)
	w, doc := app.get(t, "/")
	if w.Code != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", w.Code)
	}
	course, _ := content.Load(content.Embedded())
	items := byTestID(doc.one(t, "lesson-list"), "lesson-item")
	lessons := course.Lessons()
	if len(items) != len(lessons) {
		t.Fatalf("lesson list has %d items, want %d", len(items), len(lessons))
	}
	for i, l := range lessons {
		t.Run(l.Slug, func(t *testing.T) {
			item := items[i]
			if got := nodeAttr(item, "data-slug"); got != l.Slug {
				t.Errorf("item %d is %q, want %q", i+1, got, l.Slug)
			}
			links := elements(item, "a")
			if len(links) == 0 || nodeAttr(links[0], "href") != "/lessons/"+l.Slug {
				t.Errorf("item %d does not link to /lessons/%s", i+1, l.Slug)
			}
			want := l.Numeral + " " + l.Title
			if got := nodeText(elements(item, "h2")[0]); got != want {
				t.Errorf("heading = %q, want %q", got, want)
			}
			if got := nodeText(item); !strings.Contains(got, l.Summary) || !strings.Contains(got, "3 min read") {
				t.Errorf("item text %q lacks the summary or the reading time", got)
			}
		})
	}
}

func TestLessonPages(t *testing.T) {
	app := newCourseApp(t, nil, nil)
	course, _ := content.Load(content.Embedded())
	for _, l := range course.Lessons() {
		t.Run(l.Slug, func(t *testing.T) {
			w, doc := app.get(t, "/lessons/"+l.Slug)
			if w.Code != http.StatusOK {
				t.Fatalf("GET /lessons/%s = %d, want 200", l.Slug, w.Code)
			}
			if got := nodeText(doc.one(t, "lesson-title")); got != l.Title {
				t.Errorf("title = %q, want %q", got, l.Title)
			}
			if got := nodeText(elements(doc.root, "title")[0]); got != l.Numeral+". "+l.Title+" · Twelve" {
				t.Errorf("<title> = %q", got)
			}
			body := doc.one(t, "lesson-body")
			if hs := elements(body, "h2"); len(hs) < 2 || nodeAttr(hs[0], "id") == "" {
				t.Errorf("lesson body has %d h2 headings (first with id %q); want the rendered lesson", len(hs), nodeAttr(hs[0], "id"))
			}
			if h1s := elements(doc.root, "h1"); len(h1s) != 1 {
				t.Errorf("page has %d h1 elements, want 1", len(h1s))
			}
			if got := nodeText(doc.one(t, "reading-time")); got != "3 min read" {
				t.Errorf("reading time = %q", got)
			}
			if toc := doc.all("toc"); len(toc) != 1 || len(elements(toc[0], "a")) != len(l.TOC) {
				t.Errorf("table of contents missing or not %d links", len(l.TOC))
			}
			panel := doc.one(t, "factor-panel")
			if got := nodeAttr(panel, "data-factor"); got != l.Numeral {
				t.Errorf("panel is for factor %q, want %q", got, l.Numeral)
			}
			if len(byTestID(panel, "panel-"+l.Slug)) != 1 {
				t.Errorf("panel lacks data-testid=panel-%s", l.Slug)
			}
			if got := nodeText(elements(doc.one(t, "live-panel"), "h2")[0]); got != "This app, right now" {
				t.Errorf("panel heading = %q", got)
			}
			if got := nodeAttr(doc.one(t, "quiz-link"), "href"); got != "/lessons/"+l.Slug+"/quiz" {
				t.Errorf("quiz link = %q", got)
			}
			checkNeighbour(t, doc, "prev", course, l.Number-1)
			checkNeighbour(t, doc, "next", course, l.Number+1)
		})
	}
}

// checkNeighbour checks the prev or next link goes to lesson n, or is
// absent when there is no lesson n.
func checkNeighbour(t *testing.T, doc testDoc, testID string, course *content.Course, n int) {
	t.Helper()
	links := doc.all(testID)
	want, ok := course.ByNumber(n)
	switch {
	case !ok && len(links) != 0:
		t.Errorf("%s link present on the first or last lesson", testID)
	case ok && len(links) != 1:
		t.Errorf("%d %s links, want 1", len(links), testID)
	case ok && nodeAttr(links[0], "href") != "/lessons/"+want.Slug:
		t.Errorf("%s link = %q, want /lessons/%s", testID, nodeAttr(links[0], "href"), want.Slug)
	}
}

func TestUnknownLessonIsNotFound(t *testing.T) {
	app := newCourseApp(t, nil, nil)
	for _, path := range []string{"/lessons/nope", "/lessons/", "/lessons/codebase/extra"} {
		w, doc := app.get(t, path)
		if w.Code != http.StatusNotFound || len(doc.all("error")) != 1 {
			t.Errorf("GET %s = %d (error page: %v), want the 404 page", path, w.Code, len(doc.all("error")) == 1)
		}
	}
}

// BenchmarkLessonPage measures a lesson page through the real router and
// middleware: "codebase" has a panel computed in memory; "backing-services"
// pings the database and asks its version on every request;
// "build-release-run" pings it and reads the last migration.
//
//	go test ./handlers -run '^$' -bench LessonPage -benchmem
func BenchmarkLessonPage(b *testing.B) {
	app := newCourseAppLogging(b, nil, nil, io.Discard)
	for _, slug := range []string{"codebase", "backing-services", "build-release-run"} {
		b.Run(slug, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/lessons/"+slug, nil).WithContext(context.Background())
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				app.e.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("GET /lessons/%s = %d", slug, w.Code)
				}
			}
		})
	}
}
