package grades

import (
	"sync"
	"time"
)

// gate holds back the jobs of an LMS that is failing (5xx, 429, network
// errors): after a failure, the LMS is left alone for a backoff that grows
// with each failure in a row (at least its Retry-After), and the jobs that
// come meanwhile wait it out (river.JobSnooze, which spends none of their
// attempts) instead of adding to the load of an LMS that is down. The
// first success opens it again. One per worker process.
type gate struct {
	minWait, maxWait time.Duration
	mu               sync.Mutex
	down             map[int64]closed // by platform id
}

type closed struct {
	failures int
	until    time.Time
}

func newGate(minWait, maxWait time.Duration) *gate {
	return &gate{minWait: minWait, maxWait: maxWait, down: map[int64]closed{}}
}

// wait is how long jobs of platform should wait before calling it; 0: call.
func (g *gate) wait(platform int64, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.down[platform]
	if !ok || !now.Before(c.until) {
		return 0
	}
	return c.until.Sub(now)
}

// failed records a failure of platform that trying later may mend.
func (g *gate) failed(platform int64, retryAfter time.Duration, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.down[platform]
	c.failures++
	c.until = now.Add(max(Backoff(c.failures, g.minWait, g.maxWait), min(retryAfter, time.Hour)))
	g.down[platform] = c
}

// ok records a call that platform answered.
func (g *gate) ok(platform int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.down, platform)
}
