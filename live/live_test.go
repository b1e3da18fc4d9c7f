package live

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// fakeStore answers the panels' questions from memory and counts them.
type fakeStore struct {
	down error // returned by every call when set

	mu        sync.Mutex
	formation []store.Process
	ctxErrs   []error // ctx.Err() of each call, as it arrived

	pings, versions, migrations, formations atomic.Int64
}

func (s *fakeStore) seen(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctxErrs = append(s.ctxErrs, ctx.Err())
	return s.down
}

func (s *fakeStore) Ping(ctx context.Context) error {
	s.pings.Add(1)
	return s.seen(ctx)
}

func (s *fakeStore) ServerVersion(ctx context.Context) (string, error) {
	s.versions.Add(1)
	return "15.18", s.seen(ctx)
}

func (s *fakeStore) LastMigration(ctx context.Context) (store.Migration, error) {
	s.migrations.Add(1)
	latest, _ := store.LatestVersion()
	return store.Migration{Version: latest, AppliedAt: time.Now().Add(-time.Hour)}, s.seen(ctx)
}

func (s *fakeStore) Formation(ctx context.Context, window time.Duration) ([]store.Process, error) {
	s.formations.Add(1)
	err := s.seen(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]store.Process(nil), s.formation...), err
}

func (s *fakeStore) beat(p store.Process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.formation = append(s.formation, p)
}

// queries is how many questions the database was asked.
func (s *fakeStore) queries() int64 {
	return s.pings.Load() + s.versions.Load() + s.migrations.Load() + s.formations.Load()
}

var testProcess = Process{
	ID: "test-host.4242.18eb", Kind: "web", Host: "test-host", PID: 4242,
	StartedAt: time.Now().Add(-90 * time.Second),
	Revision:  "0123456789abcdef0123456789abcdef01234567",
	Addr:      "[::]:54321", StartupDuration: 12300 * time.Microsecond,
}

// testCourse is the embedded course, loaded before any test starts: its
// syntax highlighter starts a goroutine of its own, which must not be
// born inside a synctest bubble.
var testCourse = func() *content.Course {
	c, err := content.Load(content.Embedded())
	if err != nil {
		panic(err)
	}
	return c
}()

// newPanels are the panels of testProcess over st (nil: no database),
// configured by env.
func newPanels(t testing.TB, st Store, env map[string]string) *Panels {
	t.Helper()
	full := map[string]string{"DATABASE_URL": "postgres://twelve@127.0.0.1:5432/twelve", "SECRET_KEY": "live-test-secret-0123456789abcdef-0123"}
	for k, v := range env {
		full[k] = v
	}
	cfg, err := config.Load(func(k string) string { return full[k] })
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Config: cfg, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Process: testProcess, Course: testCourse,
		AdminCommands: []string{"check", "config", "content-check"},
	}
	if st != nil {
		o.Store, o.Database = st, Database{Host: "127.0.0.1", Port: 5432}
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var anonymous = Request{ID: "req-1", Method: "GET", Path: "/lessons/x", Host: "twelve.example", Scheme: "https", RemoteIP: "192.0.2.1"}

// fact is the value of the fact key in panel p, failing the test without one.
func fact(t *testing.T, p views.FactorPanel, key string) string {
	t.Helper()
	for _, f := range p.Facts {
		if f.Key == key {
			return f.Value
		}
	}
	t.Fatalf("panel %s has no fact %q", p.Numeral, key)
	return ""
}

// lessonFacts are the facts and table rows of a lesson panel as written, by data-key.
func lessonFacts(t *testing.T, p *Panels, r Request, number int) (facts map[string]string, rows map[string]bool) {
	t.Helper()
	b, at, err := p.Lesson(context.Background(), r, number)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(at, " UTC") {
		t.Errorf("panel time %q, want a UTC time", at)
	}
	root, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	facts, rows = map[string]string{}, map[string]bool{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "div" && attr(n, "data-testid") == "fact":
				facts[attr(n, "data-key")] = text(find(n, "dd"))
			case n.Data == "tr" && attr(n, "data-key") != "":
				rows[attr(n, "data-key")] = true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return facts, rows
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func find(n *html.Node, tag string) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == tag {
			return c
		}
		if f := find(c, tag); f != nil {
			return f
		}
	}
	return nil
}

func text(n *html.Node) string {
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
	if n != nil {
		walk(n)
	}
	return strings.TrimSpace(b.String())
}

func TestNewRequiresCourseAndLogger(t *testing.T) {
	if _, err := New(Options{Logger: slog.New(slog.DiscardHandler)}); err == nil {
		t.Error("New without a course succeeded")
	}
	if _, err := New(Options{Course: testCourse}); err == nil {
		t.Error("New without a logger succeeded")
	}
}

// TestFactorsFloodCostsTheDatabaseLittle: /factors shares the process's
// recent database readings with the lesson pages, so however many pages a
// flood asks for, the database answers at most four questions per
// dbFactsTTL; each page says once when its readings were taken.
func TestFactorsFloodCostsTheDatabaseLittle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &fakeStore{}
		p := newPanels(t, st, nil)
		const seconds, burstsPerSecond, perBurst = 5, 20, 10
		start := time.Now()
		for range seconds * burstsPerSecond {
			var wg sync.WaitGroup
			for range perBurst {
				wg.Go(func() {
					v := p.Page(context.Background(), anonymous)
					if len(v.Panels) != 12 || !strings.HasSuffix(v.ComputedAt, " UTC") {
						t.Errorf("page has %d panels computed at %q, want 12 and a UTC time", len(v.Panels), v.ComputedAt)
					}
					if !strings.HasPrefix(v.DatabaseRead, "at ") {
						t.Errorf("page says its database facts were read %q", v.DatabaseRead)
					}
					for _, panel := range v.Panels {
						if panel.ComputedAt != "" {
							t.Errorf("panel %s says its own time %q; the page says it once", panel.Numeral, panel.ComputedAt)
						}
						for _, f := range panel.Facts {
							if f.Key == "database-read" {
								t.Errorf("panel %s says when its readings were taken (%q); the page says it once", panel.Numeral, f.Value)
							}
						}
					}
				})
			}
			wg.Wait()
			time.Sleep(time.Second / burstsPerSecond)
		}
		pages := seconds * burstsPerSecond * perBurst
		elapsed := time.Since(start)
		most := 4 * (int64(elapsed/dbFactsTTL) + 1)
		if q := st.queries(); q == 0 || q > most {
			t.Errorf("%d /factors pages over %s asked the database %d times, want 1 to %d", pages, elapsed, q, most)
		}
	})
}

func TestPanelsWithoutTheDatabase(t *testing.T) {
	keys := []struct{ numeral, key string }{
		{"IV", "database-ping"}, {"IV", "database-version"}, {"V", "schema"},
		{"VIII", "formation"}, {"X", "database-version"}, {"XII", "last-migration"},
	}
	for _, tt := range []struct {
		name string
		st   Store
		want string
	}{
		{"database down", &fakeStore{down: errors.New("connection refused")}, "database unreachable"},
		{"no database attached", nil, "no database attached"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := newPanels(t, tt.st, nil).Page(context.Background(), anonymous)
			byNumeral := map[string]views.FactorPanel{}
			for _, panel := range v.Panels {
				byNumeral[panel.Numeral] = panel
			}
			for _, k := range keys {
				if got := fact(t, byNumeral[k.numeral], k.key); got != tt.want {
					t.Errorf("factor %s %s = %q, want %q", k.numeral, k.key, got, tt.want)
				}
			}
			if got := fact(t, byNumeral["I"], "revision"); got != testProcess.Revision {
				t.Errorf("revision = %q: facts that need no database must still show", got)
			}
			facts, _ := lessonFacts(t, newPanels(t, tt.st, nil), anonymous, 4)
			if facts["database-ping"] != tt.want {
				t.Errorf("lesson panel IV ping = %q, want %q", facts["database-ping"], tt.want)
			}
		})
	}
}
