// Package backoff retries the fetches and writes a process makes in the
// background while what it needs is down (the identity provider's published
// configuration, the database at start-up): exponential waits with jitter
// between failures, cut short when someone is waiting for the result, but
// never closer than the shortest wait to the previous try.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff paces one background job's tries. Its zero value is not usable;
// call New.
type Backoff struct {
	min, max time.Duration
	nudges   chan struct{}
	// wanted reports whether a nudge should cut a wait short; nil: never.
	wanted func() bool
}

// New waits min after a first failure, doubling up to max; zero or
// inconsistent bounds take 1 s and 30 s. A Nudge cuts a wait short while
// wanted reports true (nil: nudges are ignored).
func New(minWait, maxWait time.Duration, wanted func() bool) *Backoff {
	if minWait <= 0 {
		minWait = time.Second
	}
	if maxWait < minWait {
		maxWait = max(30*time.Second, minWait)
	}
	return &Backoff{min: minWait, max: maxWait, nudges: make(chan struct{}, 1), wanted: wanted}
}

// Nudge asks a waiting Retry to try now; it never blocks.
func (b *Backoff) Nudge() {
	select {
	case b.nudges <- struct{}{}:
	default:
	}
}

// Retry calls try until it succeeds or ctx ends, and reports how many tries
// it took, or ctx's error. After each failure it calls failed with the try's
// number, the error and the wait before the next try.
func (b *Backoff) Retry(ctx context.Context, try func(context.Context) error, failed func(attempt int, wait time.Duration, err error)) (int, error) {
	wait := b.min
	for attempt := 1; ; attempt++ {
		last := time.Now()
		err := try(ctx)
		if err == nil {
			return attempt, nil
		}
		if ctx.Err() != nil {
			return attempt, ctx.Err()
		}
		if failed != nil {
			failed(attempt, wait, err)
		}
		if !b.sleep(ctx, jitter(wait), last) {
			return attempt, ctx.Err()
		}
		wait = min(wait*2, b.max)
	}
}

// Sleep waits d, or less when nudged (see Retry). It reports false when
// ctx ends first.
func (b *Backoff) Sleep(ctx context.Context, d time.Duration) bool {
	return b.sleep(ctx, d, time.Now())
}

// sleep waits d, or until nudged while wanted, but then no sooner than min
// after last.
func (b *Backoff) sleep(ctx context.Context, d time.Duration, last time.Time) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-b.nudges:
			if b.wanted == nil || !b.wanted() {
				continue // a stale nudge; the next try is merely scheduled
			}
			if d := b.min - time.Since(last); d > 0 {
				select {
				case <-ctx.Done():
					return false
				case <-time.After(d):
				}
			}
			return true
		}
	}
}

// jitter is a wait between wait/2 and wait, so that many processes
// restarted together do not ask in step.
func jitter(wait time.Duration) time.Duration { return wait/2 + rand.N(wait/2+1) }
