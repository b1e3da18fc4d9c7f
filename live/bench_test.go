package live

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
	"github.com/twelve-course/twelve/views"
)

// BenchmarkLessonPanel measures one lesson's live panel, the twelve in
// turn as scripts/bench/lesson.sh asks for them, against a real
// PostgreSQL, with and without each of the panel's caches
// (docs/PERFORMANCE.md, "Caches in the live panels"):
//
//	scripts/test.sh ./live -run '^$' -bench LessonPanel -benchmem -count 6
func BenchmarkLessonPanel(b *testing.B) {
	pool := storetest.NewPool(b)
	st := store.New(pool)
	ctx := context.Background()
	if err := st.Beat(ctx, store.Process{ID: testProcess.ID, Kind: "web", Host: "test-host", PID: 4242, StartedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	render := func(p views.FactorPanel) []byte {
		var buf bytes.Buffer
		p.ComputedAt = ""
		if err := views.PanelFacts(p).Render(ctx, &buf); err != nil {
			b.Fatal(err)
		}
		return buf.Bytes()
	}
	variants := []struct {
		name  string
		panel func(p *Panels, n int) []byte
	}{
		// What lesson pages do.
		{"cached", func(p *Panels, n int) []byte {
			html, _, err := p.Lesson(ctx, anonymous, n)
			if err != nil {
				b.Fatal(err)
			}
			return html
		}},
		// Shared within a second, but rendered afresh for every
		// computation: VIII, IX and XI (per request) are rendered every time.
		{"memo, no render cache", func(p *Panels, n int) []byte {
			now := time.Now()
			key := memoKey{second: now.Unix(), host: anonymous.Host, scheme: anonymous.Scheme}
			memo := &p.html.memo[n]
			if !perRequestPanel[n] {
				if m := memo.Load(); m != nil && m.key == key {
					return m.html
				}
			}
			html := render(compute1(ctx, p, now, n))
			if !perRequestPanel[n] {
				memo.Store(&memoPanel{key: key, html: html})
			}
			return html
		}},
		// Computed for every request; rendered only when it changed.
		{"no per-second memo", func(p *Panels, n int) []byte {
			html, err := p.html.facts(compute1(ctx, p, time.Now(), n))
			if err != nil {
				b.Fatal(err)
			}
			return html
		}},
		// Computed and rendered for every request.
		{"no memo, no render cache", func(p *Panels, n int) []byte {
			return render(compute1(ctx, p, time.Now(), n))
		}},
		// As /factors once did: the database asked for every request.
		{"no caches at all", func(p *Panels, n int) []byte {
			p.readings = readings{}
			return render(compute1(ctx, p, time.Now(), n))
		}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			p := newPanels(b, st, nil)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if len(v.panel(p, n%12+1)) == 0 {
					b.Fatal("empty panel")
				}
				n++
			}
		})
	}
}

// compute1 is panel n computed for an anonymous request at now.
func compute1(ctx context.Context, p *Panels, now time.Time, n int) views.FactorPanel {
	panels, _ := p.compute(ctx, anonymous, now, n)
	return panels[0]
}
