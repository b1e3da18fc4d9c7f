package live

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// TestLessonReadingsAreAtMostASecondOld: a lesson panel reuses the
// database's answers for up to dbFactsTTL and says when they were read;
// after that it asks again and shows what changed.
func TestLessonReadingsAreAtMostASecondOld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &fakeStore{}
		st.beat(store.Process{ID: "web.1.aa", Kind: "web", Host: "web.1", PID: 1, StartedAt: time.Now()})
		p := newPanels(t, st, nil)
		const concurrency = 8
		facts, _ := lessonFacts(t, p, anonymous, concurrency)
		running, read1 := facts["formation"], facts["database-read"]
		if running != "web ×1" || !strings.HasPrefix(read1, "at ") {
			t.Fatalf("first request: formation %q read %q, want web ×1 and when it was read", running, read1)
		}
		if facts["worker"] != NoWorkerWarning {
			t.Errorf("with no worker process, background jobs = %q, want %q", facts["worker"], NoWorkerWarning)
		}
		st.beat(store.Process{ID: "web.2.bb", Kind: "web", Host: "web.2", PID: 2, StartedAt: time.Now()})

		// Within dbFactsTTL the reading is reused, and the panel says when it was taken.
		time.Sleep(dbFactsTTL - time.Millisecond)
		facts, rows := lessonFacts(t, p, anonymous, concurrency)
		if facts["database-read"] != read1 || facts["formation"] != "web ×1" || rows["web.2.bb"] {
			t.Errorf("within %s: formation %q (new process shown: %v), read %q; want the first reading (%q) reused",
				dbFactsTTL, facts["formation"], rows["web.2.bb"], facts["database-read"], read1)
		}

		time.Sleep(time.Millisecond)
		facts, rows = lessonFacts(t, p, anonymous, concurrency)
		if facts["formation"] != "web ×2" || !rows["web.2.bb"] || facts["database-read"] == read1 {
			t.Errorf("after %s: formation %q (new process shown: %v), read %q; want web ×2 from a new reading",
				dbFactsTTL, facts["formation"], rows["web.2.bb"], facts["database-read"])
		}
	})
}

// TestLessonFloodCostsTheDatabaseLittle: however many lesson pages a
// process serves, their panels ask the database at most once per
// dbFactsTTL for each kind of reading (ping, version, migration,
// formation): a few queries a second.
func TestLessonFloodCostsTheDatabaseLittle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &fakeStore{}
		p := newPanels(t, st, nil)
		const seconds, burstsPerSecond, perPanel = 5, 20, 5
		start := time.Now()
		for range seconds * burstsPerSecond {
			var wg sync.WaitGroup
			for n := 1; n <= 12; n++ {
				for range perPanel {
					wg.Go(func() {
						if _, _, err := p.Lesson(context.Background(), anonymous, n); err != nil {
							t.Error(err)
						}
					})
				}
			}
			wg.Wait()
			time.Sleep(time.Second / burstsPerSecond)
		}
		pages := seconds * burstsPerSecond * 12 * perPanel
		elapsed := time.Since(start)
		most := 4 * (int64(elapsed/dbFactsTTL) + 1)
		if q := st.queries(); q == 0 || q > most {
			t.Errorf("%d lesson panels over %s asked the database %d times, want 1 to %d", pages, elapsed, q, most)
		}
	})
}

// TestSharedReadingOutlivesItsVisitor: a reading lesson pages share runs on
// its own context, so a visitor who goes away cannot spoil it for
// everyone else.
func TestSharedReadingOutlivesItsVisitor(t *testing.T) {
	st := &fakeStore{}
	p := newPanels(t, st, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := p.Lesson(ctx, anonymous, 4); err != nil {
		t.Fatal(err)
	}
	facts, _ := lessonFacts(t, p, anonymous, 4)
	if !strings.HasPrefix(facts["database-version"], "version ") {
		t.Errorf("after a cancelled visitor, database version = %q", facts["database-version"])
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for i, err := range st.ctxErrs {
		if err != nil {
			t.Errorf("reading %d ran on a cancelled context: %v", i, err)
		}
	}
}

// TestLessonPanelsFollowTheRequest: requests within one second share a
// lesson panel only when it would say the same to each: the host a
// request named, its scheme and whether it is signed in are part of what
// is shared.
func TestLessonPanelsFollowTheRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPanels(t, &fakeStore{}, nil)
		a, b := anonymous, anonymous
		a.Host, b.Host, b.Scheme = "a.example", "b.example", "http"
		in := anonymous
		in.SignedIn, in.UserID = true, 5
		for range 3 { // within one second, then across one
			fa, _ := lessonFacts(t, p, a, 7)
			fb, _ := lessonFacts(t, p, b, 7)
			if fa["request-host"] != "a.example" || fb["request-host"] != "b.example" || fa["scheme"] != "https" || fb["scheme"] != "http" {
				t.Errorf("request host and scheme shown as %q %q then %q %q", fa["request-host"], fa["scheme"], fb["request-host"], fb["scheme"])
			}
			out, _ := lessonFacts(t, p, anonymous, 6)
			signedIn, _ := lessonFacts(t, p, in, 6)
			if !strings.HasPrefix(out["identity"], "signed out") || !strings.HasPrefix(signedIn["identity"], "read from the signed cookie") {
				t.Errorf("identity shown as %q signed out and %q signed in", out["identity"], signedIn["identity"])
			}
			time.Sleep(600 * time.Millisecond)
		}
	})
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
