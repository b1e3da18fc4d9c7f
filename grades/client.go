package grades

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// Backoff is the wait before the try after attempt (1 for the first
// failure): min doubled per attempt up to max, with jitter that keeps the
// wait within its upper half, so that jobs that failed together (the LMS
// down for everyone) do not come back together.
func Backoff(attempt int, minWait, maxWait time.Duration) time.Duration {
	wait := maxWait
	if attempt < 1 {
		attempt = 1
	}
	if shift := attempt - 1; shift < 32 && minWait<<shift > 0 && minWait<<shift < maxWait {
		wait = minWait << shift
	}
	return wait/2 + rand.N(wait/2+1)
}

// ClientOptions tune the River client of a worker process.
type ClientOptions struct {
	// ID names the client in River's tables (a host and pid, say).
	ID string
	// Workers is how many jobs run at once (10).
	Workers int
	// RescueAfter is how long a job may stay running before another
	// process takes it as stuck (its process died): 2 minutes, and at
	// least the job timeout.
	RescueAfter time.Duration
	// FetchPoll is how often the client looks for jobs without being told
	// of new ones (1 s).
	FetchPoll time.Duration
	// Logger receives River's own logs (warnings and up).
	Logger *slog.Logger
}

// NewClient makes the River client that works lti_score jobs with w. It
// does nothing until Start; Stop lets the jobs running finish.
func NewClient(pool *pgxpool.Pool, w *Worker, o ClientOptions) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, w); err != nil {
		return nil, err
	}
	if o.Workers <= 0 {
		o.Workers = 10
	}
	if o.RescueAfter <= 0 {
		o.RescueAfter = 2 * time.Minute
	}
	if o.FetchPoll <= 0 {
		o.FetchPoll = time.Second
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return river.NewClient(riverpgxv5.New(pool), &river.Config{
		ID:                   o.ID,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.Workers}},
		Workers:              workers,
		JobTimeout:           w.opts.Timeout,
		RescueStuckJobsAfter: max(o.RescueAfter, w.opts.Timeout),
		FetchPollInterval:    o.FetchPoll,
		FetchCooldown:        min(20*time.Millisecond, o.FetchPoll),
		Logger:               logger,
	})
}
