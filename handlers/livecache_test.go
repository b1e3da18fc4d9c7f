package handlers

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/static"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// TestPrerenderedLessonsMatchTheirTemplate: a lesson page written from its
// shell is byte for byte the page the template renders, for every lesson,
// signed out and signed in, so nothing that differs per request was baked
// into the shell.
func TestPrerenderedLessonsMatchTheirTemplate(t *testing.T) {
	getenv := func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1/x", "SECRET_KEY": "shell-test-secret-0123456789abcdef-0123",
			"OIDC_ISSUER_URL": "https://idp.example.test", "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s"}[k]
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	assets, err := static.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := mustHandler(t, Deps{Config: cfg, Getenv: getenv, Assets: assets, Logger: slog.New(slog.DiscardHandler), Process: testProcess})
	viewers := []*views.Viewer{nil, {ID: 7, Name: "Ada <Lovelace> & co", Email: "ada@example.edu"}, {ID: 8, Name: "Ines", Instructor: true}}
	if len(h.views.shells) != 12 {
		t.Fatalf("%d lesson shells, want 12", len(h.views.shells))
	}
	for slug, v := range h.views.lessons {
		for _, viewer := range viewers {
			p := h.pageAt(h.views.titles[slug], "/lessons/"+slug+"?from=<home>&x=1")
			p.Description = v.Lesson.Summary
			v.Panel = views.FactorPanel{
				Number: v.Lesson.Number, Numeral: v.Lesson.Numeral, Slug: slug, Title: v.Lesson.Title,
				Shows: factors[v.Lesson.Number-1].shows, ComputedAt: "12:34:56.789 UTC", Note: "a <note>",
				Facts: []views.Fact{{Key: "k", Label: "L", Value: "v & w", Code: true, State: "ok"}},
				Table: &views.FactTable{Caption: "c", Columns: []string{"a", "b"}, Rows: []views.FactRow{{Key: "r", Cells: []string{"1", "2"}, Current: true}}},
			}
			ctx := views.WithRequest(context.Background(), viewer)
			var want, got bytes.Buffer
			if err := views.LessonPage(p, v).Render(ctx, &want); err != nil {
				t.Fatal(err)
			}
			facts, err := h.panels.facts(v.Panel)
			if err != nil {
				t.Fatal(err)
			}
			fills := views.Fills{Page: p, Panel: facts, PanelTime: v.Panel.ComputedAt}
			if err := h.views.shells[slug].Render(ctx, &got, fills); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%s (viewer %v): the prerendered page differs from the template's:\n got %s\nwant %s", slug, viewer, got.String(), want.String())
			}
		}
	}
}

// TestSamePanelSeesEveryField: the render cache reuses a panel's bytes only
// when every field that is rendered is equal.
func TestSamePanelSeesEveryField(t *testing.T) {
	for typ, n := range map[reflect.Type]int{
		reflect.TypeFor[views.FactorPanel](): 9,
		reflect.TypeFor[views.FactTable]():   4,
		reflect.TypeFor[views.FactRow]():     3,
		reflect.TypeFor[views.Fact]():        5,
	} {
		if typ.NumField() != n {
			t.Errorf("%s has %d fields, samePanel was written for %d: make samePanel compare the new ones, then update this test", typ, typ.NumField(), n)
		}
	}
	base := func() views.FactorPanel {
		return views.FactorPanel{
			Number: 4, Numeral: "IV", Slug: "s", Title: "t", Shows: "sh", Note: "n", ComputedAt: "c",
			Facts: []views.Fact{{Key: "k", Label: "l", Value: "v", Code: true, State: "ok"}},
			Table: &views.FactTable{Caption: "c", Columns: []string{"a"}, Empty: "e", Rows: []views.FactRow{{Key: "r", Cells: []string{"x"}, Current: true}}},
		}
	}
	changes := map[string]func(*views.FactorPanel){
		"Number":       func(p *views.FactorPanel) { p.Number = 5 },
		"Numeral":      func(p *views.FactorPanel) { p.Numeral = "V" },
		"Slug":         func(p *views.FactorPanel) { p.Slug = "s2" },
		"Title":        func(p *views.FactorPanel) { p.Title = "t2" },
		"Shows":        func(p *views.FactorPanel) { p.Shows = "sh2" },
		"Note":         func(p *views.FactorPanel) { p.Note = "n2" },
		"ComputedAt":   func(p *views.FactorPanel) { p.ComputedAt = "c2" },
		"Fact.Key":     func(p *views.FactorPanel) { p.Facts[0].Key = "k2" },
		"Fact.Label":   func(p *views.FactorPanel) { p.Facts[0].Label = "l2" },
		"Fact.Value":   func(p *views.FactorPanel) { p.Facts[0].Value = "v2" },
		"Fact.Code":    func(p *views.FactorPanel) { p.Facts[0].Code = false },
		"Fact.State":   func(p *views.FactorPanel) { p.Facts[0].State = "bad" },
		"Facts added":  func(p *views.FactorPanel) { p.Facts = append(p.Facts, views.Fact{}) },
		"Table nil":    func(p *views.FactorPanel) { p.Table = nil },
		"Caption":      func(p *views.FactorPanel) { p.Table.Caption = "c2" },
		"Columns":      func(p *views.FactorPanel) { p.Table.Columns = []string{"b"} },
		"Empty":        func(p *views.FactorPanel) { p.Table.Empty = "e2" },
		"Row.Key":      func(p *views.FactorPanel) { p.Table.Rows[0].Key = "r2" },
		"Row.Cells":    func(p *views.FactorPanel) { p.Table.Rows[0].Cells = []string{"y"} },
		"Row.Current":  func(p *views.FactorPanel) { p.Table.Rows[0].Current = false },
		"Rows removed": func(p *views.FactorPanel) { p.Table.Rows = nil },
	}
	if !samePanel(base(), base()) {
		t.Fatal("two equal panels are not the same")
	}
	for name, change := range changes {
		p := base()
		change(&p)
		if samePanel(base(), p) || samePanel(p, base()) {
			t.Errorf("changing %s leaves the panel the same: the cache would show stale facts", name)
		}
	}
}

// TestLessonPanelReadingsAreAtMostASecondOld: a lesson page reuses the
// database's answers for up to dbFactsTTL and says when they were read;
// after that it asks again and shows what changed.
func TestLessonPanelReadingsAreAtMostASecondOld(t *testing.T) {
	app := newCourseAppLogging(t, nil, nil, io.Discard)
	st := store.New(app.pool)
	ctx := context.Background()
	if err := st.Beat(ctx, store.Process{ID: "web.1.aa", Kind: "web", Host: "web.1", PID: 1, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	formation := func() (string, string, bool) {
		t.Helper()
		_, doc := app.get(t, "/lessons/concurrency")
		panel := doc.one(t, "factor-panel")
		_, hasNew := tableRow(panel, "web.2.bb")
		return factValue(t, panel, "formation"), factValue(t, panel, "database-read"), hasNew
	}
	first := time.Now()
	running, read1, _ := formation()
	if running != "web ×1" || !strings.HasPrefix(read1, "at ") {
		t.Fatalf("first request: formation %q read %q, want web ×1 and when it was read", running, read1)
	}
	if err := st.Beat(ctx, store.Process{ID: "web.2.bb", Kind: "web", Host: "web.2", PID: 2, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// Within dbFactsTTL the reading is reused, and the page says when it was taken.
	running, read2, hasNew := formation()
	switch reused := read2 == read1; {
	case reused && (hasNew || running != "web ×1"):
		t.Errorf("a reused reading shows the process that beat after it: %q", running)
	case !reused && time.Since(first) < dbFactsTTL:
		t.Errorf("second request within %s read %q, want the first reading (%q) reused", dbFactsTTL, read2, read1)
	}
	time.Sleep(time.Until(first.Add(dbFactsTTL + 50*time.Millisecond)))
	running, read3, hasNew := formation()
	if running != "web ×2" || !hasNew || read3 == read1 {
		t.Errorf("after %s: formation %q (new process shown: %v), read %q; want web ×2 from a new reading", dbFactsTTL, running, hasNew, read3)
	}
}

// TestSharedLessonPanelsFollowTheRequest: requests within one second
// share a lesson panel only when it would say the same to each: the host
// a request named and whether it is signed in are part of what is shared.
func TestSharedLessonPanelsFollowTheRequest(t *testing.T) {
	app := newCourseAppLogging(t, nil, nil, io.Discard)
	c := mustCookies(t, []byte("course-test-secret-0123456789abcdef-0123"))
	cookie, err := c.EncodeIdentity(auth.Identity{UserID: 5, Subject: "s", Name: "Ada", Email: "a@example.edu", Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	fact := func(path, host, cookie, key string) string {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Host = host
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: auth.IdentityCookie, Value: cookie})
		}
		w := httptest.NewRecorder()
		app.e.ServeHTTP(w, r)
		root, err := html.Parse(strings.NewReader(w.Body.String()))
		if err != nil {
			t.Fatal(err)
		}
		return factValue(t, testDoc{root}.one(t, "factor-panel"), key)
	}
	for range 3 { // back to back, within a second or across one
		if a, b := fact("/lessons/port-binding", "a.example", "", "request-host"), fact("/lessons/port-binding", "b.example", "", "request-host"); a != "a.example" || b != "b.example" {
			t.Errorf("request host shown as %q then %q, want a.example then b.example", a, b)
		}
		out, in := fact("/lessons/processes", "x", "", "identity"), fact("/lessons/processes", "x", cookie, "identity")
		if !strings.HasPrefix(out, "signed out") || !strings.HasPrefix(in, "read from the signed cookie") {
			t.Errorf("identity shown as %q signed out and %q signed in", out, in)
		}
	}
}
