package handlers

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/ratelimit"
	"github.com/twelve-course/twelve/views"
)

// Rate limits, per client address and per web process (docs/security.md,
// "Abuse"). A whole class often shares one school address, so each budget
// starts with a burst a large class can spend at once and refills quickly
// enough for a class to go on; what it stops is one address sending
// thousands of requests a second.
var (
	// Sign-in: /login, /auth/callback and /saml/acs share one budget. One
	// sign-in takes two of these requests; 300 at once is 150 students
	// signing in within the same second, then 5 a second.
	signInLimit = ratelimit.Limit{Every: time.Second / 5, Burst: 300}
	// Quiz submits: a class handing in a timed quiz at its deadline.
	submitLimit = ratelimit.Limit{Every: time.Second / 5, Burst: 200}
	// Registration and LTI launches, when those endpoints come: fewer than
	// sign-ins, as they are made by platforms and administrators, not
	// classes.
	registerLimit = ratelimit.Limit{Every: time.Second, Burst: 30}
)

// maxLimitedClients bounds the addresses each limiter remembers: a few
// hundred bytes each, so about a megabyte per limiter under a flood of
// distinct addresses.
const maxLimitedClients = 10_000

// limits are the request budgets of this process, one per kind of request.
type limits struct {
	signIn, submit *ratelimit.Limiter
	// register is for Dynamic Registration and LTI launch endpoints; no
	// route uses it yet.
	register *ratelimit.Limiter
	now      func() time.Time
}

// newLimits makes the budgets, counted in clock's time (time.Now if nil).
func newLimits(clock func() time.Time) limits {
	if clock == nil {
		clock = time.Now
	}
	return limits{
		now:      clock,
		signIn:   ratelimit.New(signInLimit, maxLimitedClients),
		submit:   ratelimit.New(submitLimit, maxLimitedClients),
		register: ratelimit.New(registerLimit, maxLimitedClients),
	}
}

// limited refuses requests beyond l's budget for the client address with
// 429, a Retry-After and a page saying what to do; doing names what is
// limited and advice what to do after waiting. The address is the one the
// router reports (echo's RealIP with the X-Forwarded-For extractor set in
// New: the last hop, appended by the router, believed only from a private
// or loopback peer), so a client cannot choose its own key.
func (h *Handler) limited(l *ratelimit.Limiter, doing, advice string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			ok, wait := l.Allow(ratelimit.ClientKey(c.RealIP()), h.limits.now())
			if ok {
				return next(c)
			}
			secs := int(math.Ceil(wait.Seconds()))
			c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
			return h.render(c, http.StatusTooManyRequests, views.TooManyRequestsPage(h.page(c, "Too many requests"), views.TooManyRequestsView{
				Doing: doing, RetryAfter: secs, Advice: advice, RequestID: requestIDOf(c),
			}))
		}
	}
}
