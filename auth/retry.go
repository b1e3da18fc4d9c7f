package auth

import (
	"context"
	mrand "math/rand/v2"
	"time"
)

// retrier paces the background fetches of a provider's published
// configuration (OIDC discovery, SAML metadata): exponential waits with
// jitter between failures, cut short when someone tries to sign in, but
// never closer than min to the previous try, however often people try.
type retrier struct {
	min, max time.Duration
	nudges   chan struct{}
}

// newRetrier fills in the defaults: 1 s, doubling up to 30 s.
func newRetrier(lo, hi time.Duration) retrier {
	if lo <= 0 {
		lo = time.Second
	}
	if hi < lo {
		hi = max(30*time.Second, lo)
	}
	return retrier{min: lo, max: hi, nudges: make(chan struct{}, 1)}
}

// nudge asks a waiting fetch to try now; it never blocks.
func (r retrier) nudge() {
	select {
	case r.nudges <- struct{}{}:
	default:
	}
}

// jitter is a wait between wait/2 and wait, so that many processes
// restarted together do not ask the provider in step.
func jitter(wait time.Duration) time.Duration { return wait/2 + mrand.N(wait/2+1) }

// next doubles a failure wait, up to max.
func (r retrier) next(wait time.Duration) time.Duration { return min(wait*2, r.max) }

// sleep waits d, or less when nudged while wanted reports the fetch is
// still needed (then no sooner than min after last). It reports false when
// ctx ends.
func (r retrier) sleep(ctx context.Context, d time.Duration, last time.Time, wanted func() bool) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-r.nudges:
			if !wanted() {
				continue // a stale nudge; the next fetch is merely scheduled
			}
			if d := r.min - time.Since(last); d > 0 {
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
