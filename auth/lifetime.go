package auth

import (
	"errors"
	"time"
)

// ErrIdle means an identity cookie was refused because its owner did
// nothing on the site for longer than the idle timeout.
var ErrIdle = errors.New("auth: idle timeout")

// Lifetime is how long a sign-in lasts: SESSION_IDLE_TIMEOUT without a
// request, SESSION_MAX_LIFETIME at most from the sign-in, however active.
// A cookie in use is renewed (reissued with a new IssuedAt, the same
// SignedInAt and Expires) once it is older than a quarter of Idle, so an
// active person is never asked to sign in again before Max, and an idle
// one is signed out between three quarters of Idle and Idle after their
// last request.
type Lifetime struct {
	Idle time.Duration
	Max  time.Duration
}

// renewFraction: a cookie older than Idle/renewFraction is renewed.
const renewFraction = 4

// Start returns id as a fresh sign-in at now: issued now, expiring Max later.
func (l Lifetime) Start(id Identity, now time.Time) Identity {
	id.SignedInAt, id.IssuedAt, id.Expires = now, now, now.Add(l.Max)
	return id
}

// Check refuses an identity whose sign-in has passed its absolute
// lifetime (ErrExpired; also when SESSION_MAX_LIFETIME was shortened
// since, or the cookie predates SignedInAt) or whose cookie has been idle
// too long (ErrIdle).
func (l Lifetime) Check(id Identity, now time.Time) error {
	end := id.SignedInAt.Add(l.Max)
	if id.Expires.Before(end) {
		end = id.Expires
	}
	switch {
	case id.SignedInAt.IsZero() || !now.Before(end):
		return ErrExpired
	case id.IssuedAt.IsZero() || !now.Before(id.IssuedAt.Add(l.Idle)):
		return ErrIdle
	}
	return nil
}

// Renew returns id reissued at now and true when its cookie is due for
// renewal; the sign-in time and absolute expiry stay.
func (l Lifetime) Renew(id Identity, now time.Time) (Identity, bool) {
	if now.Sub(id.IssuedAt) < l.Idle/renewFraction {
		return id, false
	}
	id.IssuedAt = now
	return id, true
}
