package live

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// dbFactsTTL is how long the live panels reuse what the database told
// them: at most one ping, version, migration and formation query per
// second per process, however many lesson pages and /factors pages it
// serves (a flood of /factors once made every page 20 times slower). The
// panels say how old the reading is.
const dbFactsTTL = time.Second

// readings holds the live panels' latest database readings.
type readings struct {
	ping      cached[time.Duration]
	version   cached[string]
	migration cached[store.Migration]
	formation cached[[]store.Process]
}

// cached is one reading and when it was taken. One request at a time
// refreshes it; requests that arrive meanwhile wait for that reading
// rather than each asking the database.
type cached[T any] struct {
	mu  sync.Mutex
	at  time.Time
	val T
	err error
}

// get returns the reading and when it was taken, taking a new one with
// fetch when the last is older than ttl at now.
func (c *cached[T]) get(now time.Time, ttl time.Duration, fetch func() (T, error)) (T, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() || now.Sub(c.at) >= ttl {
		c.val, c.err = fetch()
		c.at = time.Now()
	}
	return c.val, c.at, c.err
}

// read takes a database reading for the panels of r through c, which
// lends a recent one. A shared reading runs on a context of its own, so a
// visitor who goes away cannot spoil it for everyone else.
func read[T any](r *request, c *cached[T], fetch func(context.Context) (T, error)) (T, error) {
	v, at, err := c.get(r.now, dbFactsTTL, func() (T, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), livePanelTimeout)
		defer cancel()
		return fetch(ctx)
	})
	if r.readAt.IsZero() || at.Before(r.readAt) {
		r.readAt = at
	}
	return v, err
}

// readAge says when the database facts shown were read (at), which, set
// beside the "as of" time of a panel or page, is how old they are.
func readAge(at time.Time) string {
	return fmt.Sprintf("at %s (every page of this process reuses what the database said for up to %s)",
		Time(at), dbFactsTTL+time.Second)
}

// memoKey is everything a lesson panel depends on besides the process and
// the database readings: the second it is for and the request facts that
// panels VI and VII show. Panels that show seconds since something, or the
// request itself (VIII, IX, XI), are computed for every request.
type memoKey struct {
	second       int64
	signedIn     bool
	host, scheme string
}

var perRequestPanel = [13]bool{8: true, 9: true, 11: true}

type memoPanel struct {
	key  memoKey
	html []byte
}

// Lesson returns the facts of lesson panel number (1..12) as HTML, as of
// now, and that time as a panel says it. Within one second the requests
// that see the same panel share one computation; its database facts are
// read at most once per dbFactsTTL (see read).
func (p *Panels) Lesson(ctx context.Context, r Request, number int) (facts []byte, at string, err error) {
	now := time.Now()
	key := memoKey{second: now.Unix(), signedIn: r.SignedIn, host: r.Host, scheme: r.Scheme}
	memo := &p.html.memo[number]
	if !perRequestPanel[number] {
		if m := memo.Load(); m != nil && m.key == key {
			return m.html, Time(now), nil
		}
	}
	panels, readAt := p.compute(ctx, r, now, number)
	if !readAt.IsZero() {
		panels[0].Facts = append(panels[0].Facts, factText("database-read", "Database facts read", readAge(readAt)))
	}
	html, err := p.html.facts(panels[0])
	if err != nil {
		return nil, "", fmt.Errorf("live: render panel %d: %w", number, err)
	}
	if !perRequestPanel[number] {
		memo.Store(&memoPanel{key: key, html: html})
	}
	return html, Time(now), nil
}

// panelHTML keeps each lesson panel's facts as last rendered. Most facts
// never change in a process or change at most once a second (uptime, the
// database readings above), so most requests compare their panel with the
// last one and reuse its bytes; only a changed panel is rendered again.
type panelHTML struct {
	last [13]atomic.Pointer[renderedPanel] // by factor number, 1..12
	memo [13]atomic.Pointer[memoPanel]     // see Panels.Lesson
}

type renderedPanel struct {
	panel views.FactorPanel // without ComputedAt
	html  []byte
}

// facts returns p's facts, table and note as HTML.
func (c *panelHTML) facts(p views.FactorPanel) ([]byte, error) {
	p.ComputedAt = ""
	slot := &c.last[p.Number]
	if last := slot.Load(); last != nil && samePanel(last.panel, p) {
		return last.html, nil
	}
	var buf bytes.Buffer
	if err := views.PanelFacts(p).Render(context.Background(), &buf); err != nil {
		return nil, err
	}
	slot.Store(&renderedPanel{panel: p, html: buf.Bytes()})
	return buf.Bytes(), nil
}

// samePanel reports whether a and b render alike. TestSamePanelSeesEveryField
// fails when views.FactorPanel gains a field this does not compare.
func samePanel(a, b views.FactorPanel) bool {
	if a.Number != b.Number || a.Numeral != b.Numeral || a.Slug != b.Slug || a.Title != b.Title ||
		a.Shows != b.Shows || a.Note != b.Note || a.ComputedAt != b.ComputedAt || !slices.Equal(a.Facts, b.Facts) {
		return false
	}
	ta, tb := a.Table, b.Table
	if ta == nil || tb == nil {
		return ta == tb
	}
	return ta.Caption == tb.Caption && ta.Empty == tb.Empty && slices.Equal(ta.Columns, tb.Columns) &&
		slices.EqualFunc(ta.Rows, tb.Rows, func(x, y views.FactRow) bool {
			return x.Key == y.Key && x.Current == y.Current && slices.Equal(x.Cells, y.Cells)
		})
}
