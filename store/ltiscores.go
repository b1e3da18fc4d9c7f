package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// LTI score statuses (lti_scores.status).
const (
	LTIScorePending = "pending"
	LTIScoreSent    = "sent"
	LTIScoreFailed  = "failed"
)

// LTIScoreKind is the River job kind that sends a class grade to the LMS.
const LTIScoreKind = "lti_score"

// LTIScoreArgs are the arguments of an lti_score job: whose grade of which
// quiz in which class. The job reads the grade when it runs, so one job
// sends whatever the grade is by then.
type LTIScoreArgs struct {
	ClassID int64  `json:"class_id"`
	UserID  int64  `json:"user_id"`
	Quiz    string `json:"quiz"`
}

// Kind is the job's kind, LTIScoreKind.
func (LTIScoreArgs) Kind() string { return LTIScoreKind }

// InsertOpts makes lti_score jobs unique by their arguments among the jobs
// still to finish (available, scheduled, retrying, pending, and running,
// which River requires): a burst of submits queues one job, and a submit
// while its job runs is picked up by that job (see FinishLTIScore).
func (LTIScoreArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled,
		},
	}}
}

// newJobs makes the insert-only River client of a store: it queues jobs
// inside the store's transactions and works none.
func newJobs(pool *pgxpool.Pool) (*river.Client[pgx.Tx], error) {
	return river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: slog.New(slog.DiscardHandler)})
}

const (
	// Whether a class is an LTI class (an LMS course), asked in the
	// look batch of a class attempt.
	isLTIClassSQL = `SELECT EXISTS (SELECT 1 FROM lti_contexts WHERE class_id = $1)`
	// The class grade just written is the one to send; a pending row
	// never goes back to an older grade.
	pendingLTIScoreSQL = `
INSERT INTO lti_scores (class_id, user_id, quiz, status, graded_at)
SELECT class_id, user_id, quiz, 'pending', updated_at
FROM class_grades WHERE class_id = $1 AND user_id = $2 AND quiz = $3
ON CONFLICT (class_id, user_id, quiz) DO UPDATE
SET status = 'pending', graded_at = EXCLUDED.graded_at, error = '', tries = 0, updated_at = now()
WHERE lti_scores.graded_at <= EXCLUDED.graded_at`
)

// enqueueLTIScore queues the job that sends a class grade, in the
// transaction that wrote it: rolled back, nothing is queued.
func (s *Store) enqueueLTIScore(ctx context.Context, tx pgx.Tx, args LTIScoreArgs) error {
	if s.jobsErr != nil {
		return fmt.Errorf("job queue: %w", s.jobsErr)
	}
	if _, err := s.jobs.InsertTx(ctx, tx, args, nil); err != nil {
		return fmt.Errorf("queue lti_score: %w", err)
	}
	return nil
}

// LTIScoreKey names one student's grade of one quiz in one class.
type LTIScoreKey = LTIScoreArgs

// LTIScoreTask is what delivering one grade needs, read when the job runs.
type LTIScoreTask struct {
	// The class grade to send now.
	Grade     float64
	Attempts  int
	GradedAt  time.Time
	Subject   string // the student's LTI user id at the platform; "" when they have none
	ClassName string
	// The LMS.
	PlatformID int64
	Issuer     string
	ClientID   string
	TokenURL   string
	// TokenAudience is the platform's own client assertion audience, "" for TokenURL.
	TokenAudience string
	LineItemsURL  string
	AGSScopes     []string
	// LineItemURL is the quiz's gradebook column, "" until known.
	LineItemURL string
	// SentGradedAt is the grade time already sent (zero: none), and
	// Status the row's status.
	SentGradedAt time.Time
	Status       string
}

const ltiScoreTaskSQL = `
SELECT g.grade, g.attempts, g.updated_at,
       COALESCE((SELECT u.subject FROM users u WHERE u.id = g.user_id AND u.issuer = p.issuer), '') AS subject,
       cl.name, p.id, p.issuer, p.client_id, p.token_url, p.token_audience, c.lineitems_url, c.ags_scopes,
       COALESCE(li.lineitem_url, '') AS lineitem_url,
       CASE WHEN s.status = 'sent' THEN s.graded_at END AS sent_graded_at,
       COALESCE(s.status, '') AS status
FROM class_grades g
JOIN classes cl ON cl.id = g.class_id
JOIN lti_contexts c ON c.class_id = g.class_id
JOIN lti_platforms p ON p.id = c.platform_id
LEFT JOIN lti_lineitems li ON li.class_id = g.class_id AND li.quiz = g.quiz
LEFT JOIN lti_scores s ON s.class_id = g.class_id AND s.user_id = g.user_id AND s.quiz = g.quiz
WHERE g.class_id = $1 AND g.user_id = $2 AND g.quiz = $3`

// LTIScoreTask reads the current class grade of k with its LMS, or
// ErrNotFound when there is no grade or the class is no LMS course (any
// longer).
func (s *Store) LTIScoreTask(ctx context.Context, k LTIScoreKey) (LTIScoreTask, error) {
	var t LTIScoreTask
	var sent *time.Time
	err := s.pool.QueryRow(ctx, ltiScoreTaskSQL, k.ClassID, k.UserID, k.Quiz).Scan(&t.Grade, &t.Attempts, &t.GradedAt,
		&t.Subject, &t.ClassName, &t.PlatformID, &t.Issuer, &t.ClientID, &t.TokenURL, &t.TokenAudience, &t.LineItemsURL, &t.AGSScopes,
		&t.LineItemURL, &sent, &t.Status)
	if errors.Is(err, pgx.ErrNoRows) {
		return LTIScoreTask{}, ErrNotFound
	}
	if err != nil {
		return LTIScoreTask{}, opError("lti score task", err)
	}
	if sent != nil {
		t.SentGradedAt = *sent
	}
	return t, nil
}

// One quiz's line item is found or created by one process at a time, so
// that two workers never make two gradebook columns.
const lockLineItemSQL = `SELECT pg_advisory_xact_lock(hashtextextended('lti-lineitem:' || $1::bigint::text || ':' || $2, 0))`

// ResolveLTILineItem returns the quiz's stored line item URL, or, holding
// a lock on (class, quiz) across processes, calls find (which may ask the
// LMS and create one) and stores what it returns.
func (s *Store) ResolveLTILineItem(ctx context.Context, classID int64, quiz string, find func(context.Context) (string, error)) (string, error) {
	var url string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockLineItemSQL, classID, quiz); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT lineitem_url FROM lti_lineitems WHERE class_id = $1 AND quiz = $2`, classID, quiz).Scan(&url)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if url, err = find(ctx); err != nil {
			return errFound{err}
		}
		_, err = tx.Exec(ctx, `INSERT INTO lti_lineitems (class_id, quiz, lineitem_url) VALUES ($1, $2, $3)
ON CONFLICT (class_id, quiz) DO UPDATE SET lineitem_url = EXCLUDED.lineitem_url`, classID, quiz, url)
		return err
	})
	var found errFound
	if errors.As(err, &found) {
		return "", found.err
	}
	if err != nil {
		return "", opError("resolve lti line item", err)
	}
	return url, nil
}

// errFound carries the error of a caller's function through a transaction
// unwrapped.
type errFound struct{ err error }

func (e errFound) Error() string { return e.err.Error() }

// LTIScoreOutcome is what became of one try to send a grade.
type LTIScoreOutcome struct {
	GradedAt time.Time // the grade time tried
	Grade    float64   // the fraction sent
	Sent     bool      // the LMS took it (or had it already)
	Error    string    // why not, when it was refused for good
}

// ErrNewerGrade is returned by FinishLTIScore when a grade newer than the
// one tried is waiting: the job sends that one before finishing.
var ErrNewerGrade = errors.New("store: a newer grade is waiting to be sent")

const (
	lockLTIScoreSQL = `SELECT graded_at FROM lti_scores WHERE class_id = $1 AND user_id = $2 AND quiz = $3 FOR UPDATE`
	sentLTIScoreSQL = `
INSERT INTO lti_scores (class_id, user_id, quiz, status, graded_at, grade, sent_at, tries)
VALUES ($1, $2, $3, 'sent', $4, $5, now(), 1)
ON CONFLICT (class_id, user_id, quiz) DO UPDATE
SET status = 'sent', graded_at = EXCLUDED.graded_at, grade = EXCLUDED.grade, sent_at = now(), error = '',
    tries = lti_scores.tries + 1, updated_at = now()
WHERE lti_scores.graded_at <= EXCLUDED.graded_at`
	failedLTIScoreSQL = `
INSERT INTO lti_scores (class_id, user_id, quiz, status, graded_at, error, tries)
VALUES ($1, $2, $3, 'failed', $4, $5, 1)
ON CONFLICT (class_id, user_id, quiz) DO UPDATE
SET status = 'failed', graded_at = EXCLUDED.graded_at, error = EXCLUDED.error,
    tries = lti_scores.tries + 1, updated_at = now()
WHERE lti_scores.graded_at <= EXCLUDED.graded_at`
)

// orphanedLTIScoreSQL refuses a waiting grade that has nothing to go to.
const orphanedLTIScoreSQL = `
UPDATE lti_scores SET status = 'failed', error = $4, tries = tries + 1, updated_at = now()
WHERE class_id = $1 AND user_id = $2 AND quiz = $3 AND status = 'pending'`

// FinishLTIScore records the outcome of sending k's grade and, in the same
// transaction, calls done (which completes the job: river.JobCompleteTx).
// It holds k's lti_scores row locked, as a submit's transaction does from
// its upsert to its commit, so a submit is either seen here (then it
// returns ErrNewerGrade, recording nothing, and the job goes on with the
// newer grade) or comes after the job finished and queues a job of its
// own. Records only move forward: an outcome for a grade older than the
// row's changes nothing. An outcome with no GradedAt refuses whatever
// grade waits (there is no class grade or LMS course to send it to).
func (s *Store) FinishLTIScore(ctx context.Context, k LTIScoreKey, o LTIScoreOutcome, done func(pgx.Tx) error) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var waiting time.Time
		err := tx.QueryRow(ctx, lockLTIScoreSQL, k.ClassID, k.UserID, k.Quiz).Scan(&waiting)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		switch {
		case o.GradedAt.IsZero():
			// Nothing to send any longer (the class is no LMS course now):
			// whatever waits is refused.
			_, err = tx.Exec(ctx, orphanedLTIScoreSQL, k.ClassID, k.UserID, k.Quiz, o.Error)
			if err != nil {
				return err
			}
			return done(tx)
		case waiting.After(o.GradedAt):
			return ErrNewerGrade
		}
		if o.Sent {
			_, err = tx.Exec(ctx, sentLTIScoreSQL, k.ClassID, k.UserID, k.Quiz, o.GradedAt, o.Grade)
		} else {
			_, err = tx.Exec(ctx, failedLTIScoreSQL, k.ClassID, k.UserID, k.Quiz, o.GradedAt, o.Error)
		}
		if err != nil {
			return err
		}
		return done(tx)
	})
	if errors.Is(err, ErrNewerGrade) {
		return err
	}
	if err != nil {
		return opError("finish lti score", err)
	}
	return nil
}

const retryingLTIScoreSQL = `
UPDATE lti_scores SET error = $4, tries = tries + 1, updated_at = now()
WHERE class_id = $1 AND user_id = $2 AND quiz = $3 AND status = 'pending'`

// LTIScoreRetrying records the error of a try that will be retried, on a
// pending row (a sent or failed one keeps what it says).
func (s *Store) LTIScoreRetrying(ctx context.Context, k LTIScoreKey, errText string) error {
	if _, err := s.pool.Exec(ctx, retryingLTIScoreSQL, k.ClassID, k.UserID, k.Quiz, errText); err != nil {
		return opError("lti score retrying", err)
	}
	return nil
}

// LTIScore is one row of a class's LMS sync status.
type LTIScore struct {
	UserID   int64      `db:"user_id"`
	Name     string     `db:"name"`
	Email    string     `db:"email"`
	Quiz     string     `db:"quiz"`
	Status   string     `db:"status"`
	GradedAt time.Time  `db:"graded_at"`
	Grade    *float64   `db:"grade"`
	SentAt   *time.Time `db:"sent_at"`
	Error    string     `db:"error"`
	Tries    int        `db:"tries"`
}

const ltiScoresSQL = `
SELECT s.user_id, u.name, u.email, s.quiz, s.status, s.graded_at, s.grade, s.sent_at, s.error, s.tries
FROM lti_scores s JOIN users u ON u.id = s.user_id
WHERE s.class_id = $1
ORDER BY lower(u.name), u.id, s.quiz`

// LTIScores lists a class's LMS sync status per student and quiz.
func (s *Store) LTIScores(ctx context.Context, classID int64) ([]LTIScore, error) {
	rows, err := s.pool.Query(ctx, ltiScoresSQL, classID)
	if err != nil {
		return nil, opError("lti scores", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[LTIScore])
	if err != nil {
		return nil, opError("lti scores", err)
	}
	return out, nil
}

const retryLTIScoresSQL = `
UPDATE lti_scores SET status = 'pending', error = '', tries = 0, updated_at = now()
WHERE class_id = $1 AND status = 'failed'
RETURNING class_id, user_id, quiz`

// RetryLTIScores sets a class's failed rows pending again and queues their
// jobs, in one transaction, and returns how many.
func (s *Store) RetryLTIScores(ctx context.Context, classID int64) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, retryLTIScoresSQL, classID)
		if err != nil {
			return err
		}
		keys, err := pgx.CollectRows(rows, pgx.RowToStructByPos[LTIScoreArgs])
		if err != nil {
			return err
		}
		n = len(keys)
		if n == 0 {
			return nil
		}
		if s.jobsErr != nil {
			return s.jobsErr
		}
		params := make([]river.InsertManyParams, n)
		for i, k := range keys {
			params[i] = river.InsertManyParams{Args: k}
		}
		_, err = s.jobs.InsertManyTx(ctx, tx, params)
		return err
	})
	if err != nil {
		return 0, opError("retry lti scores", err)
	}
	return n, nil
}

// LTIClass reports whether a class is an LTI class (an LMS course).
func (s *Store) LTIClass(ctx context.Context, classID int64) (bool, error) {
	var ok bool
	if err := s.pool.QueryRow(ctx, isLTIClassSQL, classID).Scan(&ok); err != nil {
		return false, opError("lti class", err)
	}
	return ok, nil
}

const workerRunningSQL = `SELECT EXISTS (SELECT 1 FROM processes WHERE kind = 'worker' AND last_seen > now() - make_interval(secs => $1))`

// WorkerRunning reports whether a worker process (kind "worker") beat
// within window: without one, queued jobs wait.
func (s *Store) WorkerRunning(ctx context.Context, window time.Duration) (bool, error) {
	var ok bool
	if err := s.pool.QueryRow(ctx, workerRunningSQL, window.Seconds()).Scan(&ok); err != nil {
		return false, opError("worker running", err)
	}
	return ok, nil
}
