// Package signout makes signing out sign out: it keeps, in each web
// process, the time of every recent sign-out ("not before": a sign-in made
// at or before it is over), so that the identity cookie, which the
// browser keeps, can be refused without a database round trip per
// request.
//
// A sign-out is written to users.signed_out_at and announced with
// PostgreSQL NOTIFY in the same transaction (store.SignOut). Each web
// process listens on a connection of its own; after every (re)connect it
// listens first and then loads every sign-out recent enough to matter, so
// a notification missed while disconnected cannot leave a revoked cookie
// valid. While the listener is not connected and loaded, the list does not
// trust itself: each signed-in request reads its user's sign-out time
// from the database (one primary-key read), and only if that fails too
// does it fall back on what it last knew.
package signout

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twelve-course/twelve/internal/backoff"
	"github.com/twelve-course/twelve/store"
)

// List is one process's view of recent sign-outs.
type List struct {
	st     *store.Store
	logger *slog.Logger
	// horizon is how far back a sign-out can matter: SESSION_MAX_LIFETIME,
	// past which every sign-in has ended anyway.
	horizon time.Duration
	retry   *backoff.Backoff

	mu sync.RWMutex
	at map[int64]time.Time

	live atomic.Bool // listening and loaded: the map is complete
}

// Options configures a List. Zero retry bounds take 1 s and 10 s.
type Options struct {
	Store    *store.Store
	Logger   *slog.Logger
	Horizon  time.Duration
	RetryMin time.Duration
	RetryMax time.Duration
}

// New returns a List that knows of no sign-out yet and is not live: until
// Run has connected, Revoked asks the database.
func New(o Options) *List {
	if o.RetryMin <= 0 {
		o.RetryMin = time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &List{
		st: o.Store, logger: o.Logger, horizon: o.Horizon,
		retry: backoff.New(o.RetryMin, o.RetryMax, nil),
		at:    map[int64]time.Time{},
	}
}

// Live reports whether the listener is connected and the list loaded.
func (l *List) Live() bool { return l.live.Load() }

// Run listens for sign-outs until ctx ends, reconnecting with backoff
// whenever the connection is lost. Run it in its own goroutine.
func (l *List) Run(ctx context.Context) {
	for {
		var lis *store.SignOutListener
		_, err := l.retry.Retry(ctx, func(ctx context.Context) error {
			var err error
			if lis, err = l.connect(ctx); err != nil {
				return err
			}
			return nil
		}, func(attempt int, wait time.Duration, err error) {
			l.logger.Warn("sign-out listener down; each signed-in request asks the database", "attempt", attempt, "retry_in_ms", wait.Milliseconds(), "error", err.Error())
		})
		if err != nil {
			return // ctx ended
		}
		l.live.Store(true)
		l.logger.Info("sign-out listener connected", "sign_outs", l.size())
		err = l.follow(ctx, lis)
		l.live.Store(false)
		_ = lis.Close(context.WithoutCancel(ctx))
		if ctx.Err() != nil {
			return
		}
		l.logger.Warn("sign-out listener lost; each signed-in request asks the database until it is back", "error", err.Error())
	}
}

// connect listens, then loads: in that order, so that a sign-out made in
// between is heard if it is not loaded.
func (l *List) connect(ctx context.Context) (*store.SignOutListener, error) {
	lis, err := l.st.ListenSignOuts(ctx)
	if err != nil {
		return nil, err
	}
	recent, err := l.st.SignOutsSince(ctx, time.Now().Add(-l.horizon))
	if err != nil {
		_ = lis.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	l.load(recent)
	return lis, nil
}

// follow records every sign-out heard until the connection fails.
func (l *List) follow(ctx context.Context, lis *store.SignOutListener) error {
	for {
		so, err := lis.Next(ctx)
		if err != nil {
			return err
		}
		l.record(so)
		l.logger.Info("sign-out heard", "user_id", so.UserID)
	}
}

// load merges recent sign-outs into the list and forgets those past the
// horizon. Merging (rather than replacing) never loses one recorded by
// this process meanwhile: a sign-out time only moves forward.
func (l *List) load(recent []store.SignOut) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cutoff := time.Now().Add(-l.horizon)
	for id, at := range l.at {
		if at.Before(cutoff) {
			delete(l.at, id)
		}
	}
	for _, so := range recent {
		l.recordLocked(so)
	}
}

func (l *List) record(so store.SignOut) {
	l.mu.Lock()
	l.recordLocked(so)
	l.mu.Unlock()
}

func (l *List) recordLocked(so store.SignOut) {
	if so.At.After(l.at[so.UserID]) {
		l.at[so.UserID] = so.At
	}
}

func (l *List) size() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.at)
}

// SignOut ends every sign-in of user made until now, here at once and in
// every other web process as soon as it hears the notification.
func (l *List) SignOut(ctx context.Context, user int64) error {
	so, err := l.st.SignOut(ctx, user)
	if err != nil {
		return err
	}
	l.record(so)
	return nil
}

// Revoked reports whether a sign-in of user made at signedIn has been
// signed out. While the listener is live it only reads memory. Otherwise it
// asks the database; if that fails, it answers from memory and returns
// the error for the caller to log.
func (l *List) Revoked(ctx context.Context, user int64, signedIn time.Time) (bool, error) {
	var err error
	if !l.live.Load() {
		var at time.Time
		if at, err = l.st.SignedOutAt(ctx, user); err == nil {
			l.record(store.SignOut{UserID: user, At: at})
		}
	}
	l.mu.RLock()
	at, ok := l.at[user]
	l.mu.RUnlock()
	return ok && !signedIn.After(at), err
}
