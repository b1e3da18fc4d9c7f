package follow

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/twelve-course/twelve/internal/backoff"
)

// feed is a subscription fed by the test: each value sent on ch is a
// change; closing lost makes Next fail as a dropped connection does.
type feed struct {
	ch   chan int
	lost chan struct{}
}

func (f *feed) Next(ctx context.Context) (int, error) {
	select {
	case v := <-f.ch:
		return v, nil
	case <-f.lost:
		return 0, errors.New("connection lost")
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (f *feed) Close(context.Context) error { return nil }

// recorder counts what Run did.
type recorder struct {
	mu      sync.Mutex
	loads   int
	changes []int
	listens int
	feeds   chan *feed
	failing int // listens that fail before one works
	events  chan string
}

func (r *recorder) follower(quiet time.Duration) Follower[int] {
	return Follower[int]{
		What: "test", Stale: "test data may be stale",
		Listen: func(ctx context.Context) (Changes[int], error) {
			r.mu.Lock()
			r.listens++
			fail := r.listens <= r.failing
			r.mu.Unlock()
			if fail {
				return nil, errors.New("database down")
			}
			f := &feed{ch: make(chan int), lost: make(chan struct{})}
			select {
			case r.feeds <- f:
			case <-ctx.Done():
			}
			return f, nil
		},
		Load: func(ctx context.Context) error {
			r.mu.Lock()
			r.loads++
			r.mu.Unlock()
			r.say(ctx, "load")
			return nil
		},
		Changed: func(ctx context.Context, v int) error {
			r.mu.Lock()
			r.changes = append(r.changes, v)
			r.mu.Unlock()
			r.say(ctx, "change")
			return nil
		},
		Quiet:  quiet,
		Retry:  backoff.New(time.Millisecond, 5*time.Millisecond, nil),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// say reports an event to the test, unless Run is being stopped.
func (r *recorder) say(ctx context.Context, event string) {
	select {
	case r.events <- event:
	case <-ctx.Done():
	}
}

func (r *recorder) want(t *testing.T, event string) {
	t.Helper()
	select {
	case got := <-r.events:
		if got != event {
			t.Fatalf("got %s, want %s", got, event)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", event)
	}
}

// TestRun: it retries listening until it can, loads once it listens,
// applies each change, and after a lost connection listens and loads
// again; it returns when its context ends.
func TestRun(t *testing.T) {
	r := &recorder{feeds: make(chan *feed, 4), events: make(chan string, 16), failing: 2}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); Run(ctx, r.follower(time.Hour)) }()

	f := <-r.feeds
	r.want(t, "load")
	f.ch <- 7
	r.want(t, "change")
	f.ch <- 8
	r.want(t, "change")
	close(f.lost)
	f = <-r.feeds
	r.want(t, "load")
	f.ch <- 9
	r.want(t, "change")

	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return when its context ended")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.listens != 4 || r.loads != 2 || len(r.changes) != 3 || r.changes[2] != 9 {
		t.Errorf("listens %d (want 4: two failed), loads %d (want 2), changes %v (want [7 8 9])", r.listens, r.loads, r.changes)
	}
}

// TestRunQuiet: a subscription that hears nothing for Quiet is dropped and
// everything loaded again, a backstop for a change whose notice was lost.
func TestRunQuiet(t *testing.T) {
	r := &recorder{feeds: make(chan *feed, 4), events: make(chan string, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Run(ctx, r.follower(20*time.Millisecond))
	<-r.feeds
	r.want(t, "load")
	<-r.feeds // listened again after the quiet spell
	r.want(t, "load")
}
