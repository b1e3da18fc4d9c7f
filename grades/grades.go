// Package grades sends the class grades of LTI classes to the LMS
// gradebook (LTI Assignment and Grade Services): the River worker of the
// lti_score jobs that store.SaveAttempt queues, and the River client that
// `twelve worker` runs.
//
// A job names a student, a quiz and a class, not a grade: it sends the
// class grade as it is when the job runs, with the grade's own time
// (class_grades.updated_at) as the score's timestamp, so that the LMS,
// which keeps the score with the latest timestamp, never takes an earlier
// grade over a later one however the jobs are ordered, retried or
// repeated.
package grades

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/store"
)

// Reasons a grade is refused for good, shown on the instructor's LMS page.
const (
	ReasonNotLMSUser = "not an LMS user"
	ReasonNoService  = "the LMS gave no grade service for this course (its launches carry no AGS endpoint)"
	ReasonNoScope    = "the LMS does not let Twelve send scores in this course (no score scope)"
	// ReasonNotLMSCourse: the class's LMS was removed from Twelve.
	ReasonNotLMSCourse = "the class is no longer linked to an LMS"
)

// LineItemTag tags the gradebook columns Twelve creates.
const LineItemTag = "twelve-quiz"

// rounds bounds how many newer grades one run of a job sends before it
// lets others have the worker (a student submitting nonstop).
const rounds = 5

// Options tune a Worker; zero values take the defaults noted.
type Options struct {
	// Titles returns a lesson's title by its slug, for the label of the
	// gradebook columns Twelve creates ("<title> quiz"); nil or "" uses
	// the slug.
	Titles func(slug string) string
	// Logger receives a line per grade sent or refused (discarded when nil).
	Logger *slog.Logger
	// Timeout bounds one run of a job (1 minute).
	Timeout time.Duration
	// MinRetry and MaxRetry bound the waits between tries of a grade the
	// LMS could not take for now (2 s, doubling, up to 10 minutes).
	MinRetry, MaxRetry time.Duration
}

// Worker is the River worker of lti_score jobs.
type Worker struct {
	river.WorkerDefaults[store.LTIScoreArgs]
	store    *store.Store
	services *lti.Services
	opts     Options
	// retryAfter holds a platform's Retry-After by job id, from the Work
	// that met it to the NextRetry River calls right after.
	retryAfter sync.Map
	// gate holds back the jobs of a failing LMS.
	gate *gate
}

// NewWorker makes the worker, sending through services (whose access
// tokens are cached per platform and scopes).
func NewWorker(st *store.Store, services *lti.Services, o Options) *Worker {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.MinRetry <= 0 {
		o.MinRetry = 2 * time.Second
	}
	if o.MaxRetry < o.MinRetry {
		o.MaxRetry = max(10*time.Minute, o.MinRetry)
	}
	return &Worker{store: st, services: services, opts: o, gate: newGate(o.MinRetry, min(o.MaxRetry, time.Minute))}
}

// Timeout bounds one run of a job.
func (w *Worker) Timeout(*river.Job[store.LTIScoreArgs]) time.Duration { return w.opts.Timeout }

// NextRetry waits the capped exponential backoff with jitter of the job's
// attempt, or the platform's Retry-After when that is longer.
func (w *Worker) NextRetry(job *river.Job[store.LTIScoreArgs]) time.Time {
	wait := Backoff(job.Attempt, w.opts.MinRetry, w.opts.MaxRetry)
	if after, ok := w.retryAfter.LoadAndDelete(job.ID); ok {
		wait = max(wait, min(after.(time.Duration), time.Hour))
	}
	return time.Now().Add(wait)
}

// Work sends the current class grade of the job's student, quiz and
// class, and finishes the job in the transaction that records the outcome
// (store.FinishLTIScore). A grade the LMS cannot take for now is retried;
// one it refuses is recorded failed with its reason, and the job ends.
func (w *Worker) Work(ctx context.Context, job *river.Job[store.LTIScoreArgs]) error {
	k := job.Args
	for range rounds {
		task, err := w.store.LTIScoreTask(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			// No grade, or the class is no LMS course any longer.
			w.opts.Logger.Info("lti score: nothing to send", "class_id", k.ClassID, "user_id", k.UserID, "quiz", k.Quiz)
			return w.store.FinishLTIScore(ctx, k, store.LTIScoreOutcome{Error: ReasonNotLMSCourse}, func(tx pgx.Tx) error {
				_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
				return err
			})
		}
		if err != nil {
			return err
		}
		if wait := w.gate.wait(task.PlatformID, time.Now()); wait > 0 && needsCall(task) {
			return river.JobSnooze(wait + Backoff(1, w.opts.MinRetry, w.opts.MinRetry)) // spread out
		}
		outcome, err := w.deliver(ctx, k, task)
		w.passed(task.PlatformID, err)
		if err != nil {
			return w.retry(ctx, job, err)
		}
		err = w.store.FinishLTIScore(ctx, k, outcome, func(tx pgx.Tx) error {
			_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
			return err
		})
		if errors.Is(err, store.ErrNewerGrade) {
			continue
		}
		if err != nil {
			return err
		}
		w.logOutcome(k, task, outcome)
		return nil
	}
	return river.JobSnooze(0)
}

// deliver sends task's grade unless it was sent already, and returns the
// outcome; an error means try again later.
func (w *Worker) deliver(ctx context.Context, k store.LTIScoreKey, t store.LTIScoreTask) (store.LTIScoreOutcome, error) {
	o := store.LTIScoreOutcome{GradedAt: t.GradedAt, Grade: t.Grade}
	switch {
	case !t.SentGradedAt.IsZero() && !t.SentGradedAt.Before(t.GradedAt):
		o.Sent = true // a repeated job: the LMS has this grade
		return o, nil
	case t.Subject == "":
		o.Error = ReasonNotLMSUser
		return o, nil
	case t.LineItemURL == "" && t.LineItemsURL == "":
		o.Error = ReasonNoService
		return o, nil
	case !slices.Contains(t.AGSScopes, lti.ScopeScore):
		o.Error = ReasonNoScope
		return o, nil
	}
	p := lti.Platform{ID: t.PlatformID, Issuer: t.Issuer, ClientID: t.ClientID, TokenURL: t.TokenURL, TokenAudience: t.TokenAudience}
	lineItem, err := w.lineItem(ctx, p, k, t)
	if err == nil {
		err = w.services.PostScore(ctx, p, lineItem, lti.Score{
			UserID: t.Subject, ScoreGiven: t.Grade * 100, ScoreMaximum: 100, Comment: attemptsComment(t.Attempts),
			Timestamp: t.GradedAt, ActivityProgress: "Completed", GradingProgress: "FullyGraded",
		})
	}
	if refused, ok := permanent(err); ok {
		o.Error = refused
		return o, nil
	}
	if err != nil {
		return o, err
	}
	o.Sent = true
	return o, nil
}

// needsCall reports whether delivering t calls the LMS (a grade sent
// already, or one refused before any call, needs none).
func needsCall(t store.LTIScoreTask) bool {
	sent := !t.SentGradedAt.IsZero() && !t.SentGradedAt.Before(t.GradedAt)
	return !sent && t.Subject != ""
}

// passed tells the gate how a delivery's calls went: an LMS that answered
// (even to refuse) is up; one that failed in a way a retry may mend is
// held back.
func (w *Worker) passed(platform int64, err error) {
	var se *lti.ServiceError
	switch {
	case err == nil:
		w.gate.ok(platform)
	case errors.As(err, &se) && se.Retry:
		w.gate.failed(platform, se.RetryAfter, time.Now())
	}
}

// lineItem returns the quiz's gradebook column: the one stored, else the
// LMS's line item whose resourceId is the quiz's slug, else a new one.
func (w *Worker) lineItem(ctx context.Context, p lti.Platform, k store.LTIScoreKey, t store.LTIScoreTask) (string, error) {
	if t.LineItemURL != "" {
		return t.LineItemURL, nil
	}
	return w.store.ResolveLTILineItem(ctx, k.ClassID, k.Quiz, func(ctx context.Context) (string, error) {
		items, err := w.services.LineItems(ctx, p, t.LineItemsURL, k.Quiz)
		if err != nil {
			return "", err
		}
		if len(items) > 0 {
			return items[0].ID, nil
		}
		li, err := w.services.CreateLineItem(ctx, p, t.LineItemsURL, lti.LineItem{
			Label: w.title(k.Quiz) + " quiz", ScoreMaximum: 100, ResourceID: k.Quiz, Tag: LineItemTag,
		})
		if err != nil {
			return "", err
		}
		return li.ID, nil
	})
}

func (w *Worker) title(slug string) string {
	if w.opts.Titles != nil {
		if t := w.opts.Titles(slug); t != "" {
			return t
		}
	}
	return slug
}

// retry records the error of a try on the pending row and returns it for
// River to try again, or, on the job's last attempt, records the grade
// failed and ends the job.
func (w *Worker) retry(ctx context.Context, job *river.Job[store.LTIScoreArgs], cause error) error {
	k := job.Args
	text := message(cause)
	var se *lti.ServiceError
	if errors.As(cause, &se) && se.RetryAfter > 0 {
		w.retryAfter.Store(job.ID, se.RetryAfter)
	}
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	w.opts.Logger.Warn("lti score: will retry", "class_id", k.ClassID, "user_id", k.UserID, "quiz", k.Quiz,
		"attempt", job.Attempt, "error", text)
	if job.Attempt < job.MaxAttempts {
		if err := w.store.LTIScoreRetrying(record, k, text); err != nil {
			w.opts.Logger.Error("lti score: record retry", "error", err)
		}
		return cause
	}
	w.retryAfter.Delete(job.ID)
	task, err := w.store.LTIScoreTask(record, k)
	if err != nil {
		return errors.Join(cause, err)
	}
	outcome := store.LTIScoreOutcome{GradedAt: task.GradedAt, Error: fmt.Sprintf("gave up after %d tries: %s", job.Attempt, text)}
	err = w.store.FinishLTIScore(record, k, outcome, func(tx pgx.Tx) error {
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](record, tx, job)
		return err
	})
	if err != nil {
		return errors.Join(cause, err)
	}
	return nil
}

func (w *Worker) logOutcome(k store.LTIScoreKey, t store.LTIScoreTask, o store.LTIScoreOutcome) {
	attrs := []any{"class_id", k.ClassID, "user_id", k.UserID, "quiz", k.Quiz, "graded_at", t.GradedAt}
	if o.Sent {
		w.opts.Logger.Info("lti score sent", append(attrs, "grade", o.Grade)...)
		return
	}
	w.opts.Logger.Warn("lti score refused", append(attrs, "reason", o.Error)...)
}

// permanent reports whether err is a platform's refusal that trying again
// will not change, and the reason to show.
func permanent(err error) (string, bool) {
	var se *lti.ServiceError
	if !errors.As(err, &se) || se.Retry {
		return "", false
	}
	if se.Status == 0 {
		return se.Message, true
	}
	return fmt.Sprintf("the LMS answered %d: %s", se.Status, se.Message), true
}

// message is the text recorded for an error that will be retried.
func message(err error) string {
	var se *lti.ServiceError
	if errors.As(err, &se) {
		if se.Status == 0 {
			return se.Message
		}
		return fmt.Sprintf("the LMS answered %d: %s", se.Status, se.Message)
	}
	return err.Error()
}

// attemptsComment is the score's comment: "1 attempt", "3 attempts".
func attemptsComment(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}
