package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/quiz"
)

// ErrStartMismatch is returned for a submitted attempt token that does not
// agree with the start recorded under its attempt id.
var ErrStartMismatch = errors.New("store: attempt token does not match its recorded start")

// NewStart asks StartAttempt for a student's attempt of a quiz whose
// starts count (quiz.Settings.StartCounts).
type NewStart struct {
	UserID   int64
	Quiz     string
	Settings quiz.Settings
	Now      time.Time
	// Make makes the token of a new attempt numbered no, when one is
	// started; its version is the one VersionBody holds.
	Make        func(no int) quiz.Token
	VersionBody []byte
}

// start is a recorded start, as read back.
type start struct {
	No        int        `db:"start_no"`
	ID        string     `db:"id"`
	UserID    int64      `db:"user_id"`
	Quiz      string     `db:"quiz"`
	Version   string     `db:"version"`
	Seed      int64      `db:"seed"`
	StartedAt time.Time  `db:"started_at"`
	Deadline  *time.Time `db:"deadline"`
	Submitted bool       `db:"submitted"`
}

func (s start) token() quiz.Token {
	t := quiz.Token{AttemptID: s.ID, UserID: s.UserID, Quiz: s.Quiz, Version: s.Version,
		Seed: uint64(s.Seed), Started: s.StartedAt.UTC(), No: s.No}
	if s.Deadline != nil {
		t.Deadline = s.Deadline.UTC()
	}
	return t
}

// agrees reports whether a token says what this start recorded.
func (s start) agrees(t quiz.Token) bool {
	r := s.token()
	return r.AttemptID == t.AttemptID && r.UserID == t.UserID && r.Quiz == t.Quiz && r.Version == t.Version &&
		r.Seed == t.Seed && r.No == t.No && r.Started.Equal(t.Started) && r.Deadline.Equal(t.Deadline)
}

const (
	startColumns = `s.start_no, s.id, s.user_id, s.quiz, s.version, s.seed, s.started_at, s.deadline`
	// The student's latest start of the quiz, and whether it was submitted:
	// only the latest can still be open, since a new start is made only
	// when the one before it is closed.
	latestStartSQL = `SELECT ` + startColumns + `, a.id IS NOT NULL AS submitted
FROM attempt_starts s LEFT JOIN attempts a ON a.id = s.id
WHERE s.user_id = $1 AND s.quiz = $2 ORDER BY s.start_no DESC LIMIT 1`
	// Attempt numbers used: every start, and every submitted attempt that
	// was never recorded as one.
	numbersUsedSQL = `SELECT
    (SELECT count(*) FROM attempt_starts WHERE user_id = $1 AND quiz = $2)
  + (SELECT count(*) FROM attempts a WHERE a.user_id = $1 AND a.quiz = $2
       AND NOT EXISTS (SELECT 1 FROM attempt_starts s WHERE s.id = a.id))`
	startByIDSQL   = `SELECT ` + startColumns + `, false AS submitted FROM attempt_starts s WHERE s.id = $1`
	insertStartSQL = `
INSERT INTO attempt_starts (user_id, quiz, start_no, id, version, seed, started_at, deadline)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
)

// StartAttempt returns the student's open attempt of the quiz — started,
// not submitted, not expired — or, when there is none, records a new one
// made by st.Make and returns it with created true. It returns
// ErrAttemptLimit when every attempt number the quiz allows is used.
//
// It takes the same per-student-and-quiz lock as SaveAttempt, so twenty
// starts at once record one attempt, and a start and a submit never both
// take the last attempt number. It takes two round trips to find the open
// attempt (begin, lock and look; commit) and three to start one (the
// insert before the commit). Nothing of it lives in the process: another
// process, or this one after a restart, returns the same attempt.
func (s *Store) StartAttempt(ctx context.Context, st NewStart) (tok quiz.Token, created bool, err error) {
	var latest []start
	var used int
	look := &pgx.Batch{}
	look.BeginTx(pgx.TxOptions{})
	look.Queue(lockAttemptsSQL, st.UserID, st.Quiz)
	look.Queue(latestStartSQL, st.UserID, st.Quiz).Query(func(rows pgx.Rows) error {
		var err error
		latest, err = pgx.CollectRows(rows, pgx.RowToStructByName[start])
		return err
	})
	look.Queue(numbersUsedSQL, st.UserID, st.Quiz).QueryRow(func(row pgx.Row) error { return row.Scan(&used) })
	limit := st.Settings.AttemptLimit
	err = s.inBatchTx(ctx, look, func(tx pgx.Tx) error {
		if len(latest) > 0 && !latest[0].Submitted && st.Settings.Open(latest[0].token(), st.Now) {
			if limit > 0 && latest[0].No > limit {
				return ErrAttemptLimit // the limit was lowered since
			}
			tok = latest[0].token()
			return nil
		}
		no := used + 1
		if limit > 0 && no > limit {
			return ErrAttemptLimit
		}
		tok = st.Make(no)
		var deadline *time.Time
		if !tok.Deadline.IsZero() {
			deadline = &tok.Deadline
		}
		b := &pgx.Batch{}
		if !s.versionStored(tok.Version) {
			b.Queue(saveVersionSQL, tok.Version, tok.Quiz, st.VersionBody)
		}
		b.Queue(insertStartSQL, tok.UserID, tok.Quiz, tok.No, tok.AttemptID, tok.Version, int64(tok.Seed), tok.Started, deadline)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		created = true
		return nil
	})
	if errors.Is(err, ErrAttemptLimit) {
		return quiz.Token{}, false, err
	}
	if err != nil {
		return quiz.Token{}, false, opError("start attempt", err)
	}
	s.versions.Store(tok.Version, true)
	return tok, created, nil
}
