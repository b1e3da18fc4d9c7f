package grades

import (
	"testing"
	"time"
)

func TestGate(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	g := newGate(time.Second, time.Minute)
	if w := g.wait(1, now); w != 0 {
		t.Fatalf("a new gate waits %v, want 0", w)
	}
	g.failed(1, 0, now)
	first := g.wait(1, now)
	if first < 500*time.Millisecond || first > time.Second {
		t.Errorf("after one failure: wait %v, want within the first backoff (0.5 s…1 s)", first)
	}
	if w := g.wait(2, now); w != 0 {
		t.Errorf("another platform waits %v, want 0", w)
	}
	for range 10 {
		g.failed(1, 0, now)
	}
	if w := g.wait(1, now); w < 30*time.Second || w > time.Minute {
		t.Errorf("after eleven failures: wait %v, want within the cap's upper half (30 s…1 min)", w)
	}
	if w := g.wait(1, now.Add(2*time.Minute)); w != 0 {
		t.Errorf("after the wait: %v, want 0", w)
	}
	g.ok(1)
	g.failed(1, 5*time.Minute, now)
	if w := g.wait(1, now); w != 5*time.Minute {
		t.Errorf("with Retry-After 5 min: wait %v, want 5m", w)
	}
	g.ok(1)
	if w := g.wait(1, now); w != 0 {
		t.Errorf("after a success: wait %v, want 0", w)
	}
}

func TestBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 10: time.Minute, 100: time.Minute} {
		for range 20 {
			if got := Backoff(attempt, time.Second, time.Minute); got < want/2 || got > want {
				t.Errorf("Backoff(%d) = %v, want %v/2…%v", attempt, got, want, want)
			}
		}
	}
}
