package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/grades"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/ltikeys"
	"github.com/twelve-course/twelve/store"
)

// runWorker works the background jobs (LTI grade delivery) until ctx ends,
// then stops gracefully: it fetches no more jobs, lets those running
// finish within -stop-timeout (then cancels them: River runs them again),
// leaves the formation and returns nil.
func runWorker(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	started := time.Now()
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stdout)
	workers := fs.Int("workers", 10, "jobs worked at once")
	stopTimeout := fs.Duration("stop-timeout", 20*time.Second, "how long running jobs may finish after SIGTERM (Heroku kills 30 s after it)")
	jobTimeout := fs.Duration("job-timeout", time.Minute, "longest run of one job")
	rescueAfter := fs.Duration("rescue-after", 2*time.Minute, "how long a job may stay running before another worker takes it as stuck (its process died); at least -job-timeout")
	minRetry := fs.Duration("min-retry", 2*time.Second, "wait after a job's first failure, doubled after each")
	maxRetry := fs.Duration("max-retry", 10*time.Minute, "longest wait between tries of a job")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stdout)
	course, err := loadCourse(content.Embedded(), embeddedLessons)
	if err != nil {
		return fmt.Errorf("worker: the embedded lessons are invalid: %w", err)
	}
	// River listens for new jobs on a connection of its own.
	pool, err := store.Open(ctx, cfg.DatabaseURL, cfg.DatabasePoolSize+1)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.CheckSchema(ctx, pool); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	st := store.New(pool)
	keys, err := ltikeys.New(st, cfg.SecretKeys, cfg.LTIKeys)
	if err != nil {
		return err
	}
	services := lti.NewServices(func() *lti.KeySet {
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		ks, err := keys.KeySet(kctx)
		if err != nil {
			logger.Error("lti keys unavailable", "error", err.Error())
		}
		return ks
	}, platformClient(*workers))
	w := grades.NewWorker(st, services, grades.Options{
		Titles: lessonTitles(course), Logger: logger, Timeout: *jobTimeout, MinRetry: *minRetry, MaxRetry: *maxRetry,
	})
	proc := newProcess("worker", cfg.Platform, started)
	client, err := grades.NewClient(pool, w, grades.ClientOptions{ID: proc.ID, Workers: *workers, RescueAfter: *rescueAfter, Logger: logger})
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	// Started on a context that outlives ctx: SIGTERM stops it gracefully
	// below rather than cancelling the jobs at once.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("worker: start: %w", err)
	}
	logger.Info("worker started", "process", proc.ID, "workers", *workers, "revision", proc.Revision,
		"startup_ms", float64(time.Since(started).Microseconds())/1000)
	leave := joinFormation(ctx, st, proc, logger)

	<-ctx.Done()
	logger.Info("worker stopping", "timeout", stopTimeout.String())
	stopErr := stopClient(ctx, client, *stopTimeout)
	leave()
	if stopErr != nil {
		logger.Error("jobs still running at the stop timeout were cancelled", "error", stopErr.Error())
		return fmt.Errorf("worker: stop: %w", stopErr)
	}
	logger.Info("stopped", "uptime_s", int(time.Since(started).Seconds()))
	return nil
}

// stopper is the part of River's client a graceful stop uses.
type stopper interface {
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// stopClient stops fetching and waits for the running jobs up to timeout,
// then cancels them and waits a little more for them to return.
func stopClient(ctx context.Context, c stopper, timeout time.Duration) error {
	soft, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	err := c.Stop(soft)
	if err == nil {
		return nil
	}
	hard, cancelHard := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancelHard()
	if herr := c.StopAndCancel(hard); herr != nil {
		return herr
	}
	return err
}

// lessonTitles returns a lesson's title by its slug, "" for none.
func lessonTitles(course *content.Course) func(string) string {
	return func(slug string) string {
		if l, ok := course.Lesson(slug); ok {
			return l.Title
		}
		return ""
	}
}

// platformClient is the HTTP client of calls to LMSs: a 10 s timeout, and
// an idle connection kept per job running at once, so that a busy worker
// reuses its connections to an LMS instead of opening one per score.
func platformClient(workers int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(workers, 2)
	return &http.Client{Timeout: 10 * time.Second, Transport: t}
}
