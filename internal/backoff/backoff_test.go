package backoff

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

var errDown = errors.New("down")

// TestRetryBacksOff: waits double from min up to max, each jittered to
// between half and all of it, and Retry returns with the try that worked.
func TestRetryBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(time.Second, 4*time.Second, nil)
		var tries []time.Time
		var waits []time.Duration
		n, err := b.Retry(t.Context(), func(context.Context) error {
			tries = append(tries, time.Now())
			if len(tries) < 6 {
				return errDown
			}
			return nil
		}, func(attempt int, wait time.Duration, err error) {
			if attempt != len(tries) || !errors.Is(err, errDown) {
				t.Errorf("failed(%d, %v, %v) after %d tries", attempt, wait, err, len(tries))
			}
			waits = append(waits, wait)
		})
		if n != 6 || err != nil {
			t.Fatalf("Retry = %d, %v; want 6, nil", n, err)
		}
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
		for i, w := range want {
			if waits[i] != w {
				t.Errorf("wait %d announced %v, want %v", i+1, waits[i], w)
			}
			if gap := tries[i+1].Sub(tries[i]); gap < w/2 || gap > w {
				t.Errorf("gap %d = %v, want between %v and %v", i+1, gap, w/2, w)
			}
		}
	})
}

func TestRetryStopsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		n, err := New(time.Second, time.Second, nil).Retry(ctx, func(context.Context) error { return errDown }, nil)
		if !errors.Is(err, context.DeadlineExceeded) || n < 10 {
			t.Errorf("Retry = %d, %v; want 10 or more tries, then the context's error", n, err)
		}
	})
}

// TestNudge: a nudge cuts a long wait short while it is wanted, but not
// to less than min after the previous try; an unwanted nudge is ignored.
func TestNudge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var wanted atomic.Bool
		wanted.Store(true)
		b := New(time.Second, time.Hour, wanted.Load)
		var mu sync.Mutex
		var record []time.Time
		tries := func() []time.Time {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(record)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			b.Retry(ctx, func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				record = append(record, time.Now())
				if len(record) == 8 {
					b.Nudge() // someone tries to sign in as try 8 fails
				}
				return errDown
			}, nil)
		}()
		for synctest.Wait(); len(tries()) < 9; synctest.Wait() {
			time.Sleep(time.Second)
		}
		tried := tries()
		if gap := tried[8].Sub(tried[7]); gap != time.Second {
			t.Errorf("a nudge during a try brought the next %v later, want min (1s); scheduled were at least 64s", gap)
		}

		// Long after the last try (the next is at least 128 s away), a
		// nudge brings one at once.
		time.Sleep(5 * time.Second)
		synctest.Wait()
		now := time.Now()
		b.Nudge()
		synctest.Wait()
		if tried = tries(); len(tried) != 10 || !tried[9].Equal(now) {
			t.Fatalf("a wanted nudge 5s after a try did not bring one at once: %v", tried)
		}

		wanted.Store(false)
		b.Nudge()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if n := len(tries()); n != 10 {
			t.Errorf("an unwanted nudge brought a try: %d tries", n)
		}
		cancel()
		<-done
	})
}

func TestNewDefaults(t *testing.T) {
	b := New(0, 0, nil)
	if b.min != time.Second || b.max != 30*time.Second {
		t.Errorf("New(0, 0) = %v..%v, want 1s..30s", b.min, b.max)
	}
	if b := New(time.Minute, time.Second, nil); b.max != time.Minute {
		t.Errorf("New(1m, 1s) max = %v, want 1m", b.max)
	}
}
