// Package ratelimit keeps per-client request budgets for one process: a
// token bucket per client key (golang.org/x/time/rate), in a map whose
// size is bounded however many distinct clients arrive.
//
// The budgets are per process. With N web processes a client that is
// spread across them by the router gets up to N times the limit; that is
// enough to stop a flood from one address and needs no shared store.
package ratelimit

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit is a budget: Burst requests at once, then one every Every.
type Limit struct {
	Every time.Duration
	Burst int
}

// Limiter holds the budgets of the clients seen recently. Its zero value
// is not usable; make one with New.
type Limiter struct {
	limit Limit
	half  int // clients per generation

	mu sync.Mutex
	// Two generations bound memory: a client is looked up in cur, then in
	// old (and moved to cur); when cur is full, old is dropped and cur
	// becomes old. A client active since the last turn always survives it;
	// one dropped comes back with a full bucket, as it would have after
	// idling anyway. At most 2*half clients are kept, O(1) per request.
	cur, old map[string]*rate.Limiter
}

// New returns a limiter that applies l to each client and remembers at
// most maxClients of them.
func New(l Limit, maxClients int) *Limiter {
	half := max(maxClients/2, 1)
	return &Limiter{limit: l, half: half, cur: make(map[string]*rate.Limiter, half)}
}

// Limit is the budget each client has.
func (l *Limiter) Limit() Limit { return l.limit }

// Allow takes one request from key's budget at now. When the budget is
// spent it takes nothing and says how long until a request would be
// allowed.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key)
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Len is how many clients the limiter remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.cur) + len(l.old)
}

func (l *Limiter) bucket(key string) *rate.Limiter {
	if b, ok := l.cur[key]; ok {
		return b
	}
	b, ok := l.old[key]
	if ok {
		delete(l.old, key)
	} else {
		b = rate.NewLimiter(rate.Every(l.limit.Every), l.limit.Burst)
	}
	if len(l.cur) >= l.half {
		l.old, l.cur = l.cur, make(map[string]*rate.Limiter, l.half)
	}
	l.cur[key] = b
	return b
}

// ClientKey is the budget key for a client address: the address itself
// for IPv4, its /64 network for IPv6 (one subscriber usually holds a whole
// /64 and could otherwise take a fresh budget for every request). An
// address that does not parse is its own key.
func ClientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}
