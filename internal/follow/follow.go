// Package follow keeps a process's in-memory copy of some data current
// with the database: it listens for changes (PostgreSQL LISTEN/NOTIFY),
// loads everything once it listens, so that no change made in between is
// missed, applies each change it hears of, and listens afresh, loading
// everything again, after a lost connection or a quiet spell.
package follow

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/twelve-course/twelve/internal/backoff"
)

// Changes is a live subscription: Next waits for the next change heard.
type Changes[T any] interface {
	Next(ctx context.Context) (T, error)
	Close(ctx context.Context) error
}

// Follower says what to follow and how.
type Follower[T any] struct {
	// What names the copy in log events ("class directory").
	What string
	// Stale says, in the event logged while it cannot listen, what may
	// be out of date meanwhile.
	Stale string
	// Listen subscribes to the changes.
	Listen func(context.Context) (Changes[T], error)
	// Load loads everything; Changed applies one change.
	Load    func(context.Context) error
	Changed func(context.Context, T) error
	// Quiet is how long a subscription may hear nothing before it is
	// dropped and everything loaded again: a backstop, since a change is
	// announced as it commits.
	Quiet  time.Duration
	Retry  *backoff.Backoff
	Logger *slog.Logger
}

// errQuiet ends a subscription that heard nothing for Quiet.
var errQuiet = errors.New("follow: no change heard for a while")

// Run follows until ctx ends.
func Run[T any](ctx context.Context, f Follower[T]) {
	for {
		var ch Changes[T]
		_, err := f.Retry.Retry(ctx, func(ctx context.Context) error {
			var err error
			ch, err = f.connect(ctx)
			return err
		}, func(attempt int, wait time.Duration, err error) {
			f.Logger.Warn(f.What+": not listening; "+f.Stale, "attempt", attempt, "retry_in_ms", wait.Milliseconds(), "error", err.Error())
		})
		if err != nil {
			return // ctx ended
		}
		err = f.follow(ctx, ch)
		_ = ch.Close(context.WithoutCancel(ctx))
		if ctx.Err() != nil {
			return
		}
		if !errors.Is(err, errQuiet) {
			f.Logger.Warn(f.What+": listener lost; listening again", "error", err.Error())
		}
	}
}

// connect listens, then loads everything.
func (f Follower[T]) connect(ctx context.Context) (Changes[T], error) {
	ch, err := f.Listen(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.Load(ctx); err != nil {
		_ = ch.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return ch, nil
}

// follow applies every change ch hears of, until ch or a change fails,
// Quiet passes in silence (a wait cut short closes the connection: the
// caller listens afresh, which loads everything) or ctx ends.
func (f Follower[T]) follow(ctx context.Context, ch Changes[T]) error {
	for {
		wait, cancel := context.WithTimeout(ctx, f.Quiet)
		change, err := ch.Next(wait)
		quiet := wait.Err() != nil
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && quiet:
			return errQuiet
		case err != nil:
			return err
		}
		if err := f.Changed(ctx, change); err != nil {
			return err
		}
	}
}
