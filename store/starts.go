package store

import (
	"context"
	"errors"
	"fmt"
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
	UserID int64
	Quiz   string
	// ClassID is the class the attempt is taken in, 0 for the open course:
	// starts are numbered, and limited, per class. For a class, Settings
	// are the class's rules for the student (classes.Rules), and Make's
	// token carries the class and its rules (quiz.Token's Class, Due,
	// Late, Close, Limit), which are recorded with the start.
	ClassID  int64
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
	ClassID   int64      `db:"class_id"`
	Rules     ClassRules `db:"rules"`
	Submitted bool       `db:"submitted"`
}

func (s start) token() quiz.Token {
	t := quiz.Token{AttemptID: s.ID, UserID: s.UserID, Quiz: s.Quiz, Version: s.Version,
		Seed: uint64(s.Seed), Started: s.StartedAt.UTC(), No: s.No, Class: s.ClassID}
	if s.Deadline != nil {
		t.Deadline = s.Deadline.UTC()
	}
	return s.Rules.apply(t)
}

// agrees reports whether a token says what this start recorded.
func (s start) agrees(t quiz.Token) bool {
	r := s.token()
	return r.AttemptID == t.AttemptID && r.UserID == t.UserID && r.Quiz == t.Quiz && r.Version == t.Version &&
		r.Seed == t.Seed && r.No == t.No && r.Started.Equal(t.Started) && r.Deadline.Equal(t.Deadline) &&
		r.Class == t.Class && RulesOf(r).equal(RulesOf(t))
}

// ClassRules are the class's rules a token carries (quiz.Token's Due,
// Late, Close and Limit), recorded with a start so that the open attempt
// a later start returns carries the rules it began with, and a submit's
// token must agree with them.
type ClassRules struct {
	Due   time.Time       `json:"du,omitzero"`
	Late  quiz.LatePolicy `json:"l,omitzero"`
	Close time.Time       `json:"cl,omitzero"`
	Limit int             `json:"lim,omitzero"`
}

// RulesOf returns the class rules t carries.
func RulesOf(t quiz.Token) ClassRules {
	return ClassRules{Due: t.Due, Late: t.Late, Close: t.Close, Limit: t.Limit}
}

func (r ClassRules) apply(t quiz.Token) quiz.Token {
	t.Due, t.Late, t.Close, t.Limit = r.Due, r.Late, r.Close, r.Limit
	return t
}

func (r ClassRules) equal(o ClassRules) bool {
	return r.Due.Equal(o.Due) && r.Late == o.Late && r.Close.Equal(o.Close) && r.Limit == o.Limit
}

// orNull is the rules for the rules column: NULL when there are none.
func (r ClassRules) orNull() *ClassRules {
	if r.equal(ClassRules{}) {
		return nil
	}
	return &r
}

const (
	startColumns = `s.start_no, s.id, s.user_id, s.quiz, s.version, s.seed, s.started_at, s.deadline,
    s.class_id, coalesce(s.rules, '{}') AS rules`
	// The student's latest start of the quiz, and whether it was submitted:
	// only the latest can still be open, since a new start is made only
	// when the one before it is closed.
	latestStartSQL = `SELECT ` + startColumns + `, a.id IS NOT NULL AS submitted
FROM attempt_starts s LEFT JOIN attempts a ON a.id = s.id
WHERE s.user_id = $1 AND s.quiz = $2 AND s.class_id = $3 ORDER BY s.start_no DESC LIMIT 1`
	// Attempt numbers used in the class: every start, and every submitted
	// attempt that was never recorded as one.
	numbersUsedSQL = `SELECT
    (SELECT count(*) FROM attempt_starts WHERE user_id = $1 AND quiz = $2 AND class_id = $3)
  + (SELECT count(*) FROM attempts a WHERE a.user_id = $1 AND a.quiz = $2 AND a.class_id = $3
       AND NOT EXISTS (SELECT 1 FROM attempt_starts s WHERE s.id = a.id))`
	startByIDSQL   = `SELECT ` + startColumns + `, false AS submitted FROM attempt_starts s WHERE s.id = $1`
	insertStartSQL = `
INSERT INTO attempt_starts (user_id, quiz, start_no, id, version, seed, started_at, deadline, class_id, rules)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
)

// StartAttempt returns the student's open attempt of the quiz in the
// class — started, not submitted, not expired — or, when there is none,
// records a new one made by st.Make and returns it with created true. It
// returns ErrAttemptLimit when every attempt number the quiz allows in
// the class is used. The open attempt returned carries the class rules it
// was started with, whatever the class's rules are now.
//
// It takes the same per-student-quiz-and-class lock as SaveAttempt, so twenty
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
	look.Queue(lockAttemptsSQL, st.UserID, st.Quiz, st.ClassID)
	look.Queue(latestStartSQL, st.UserID, st.Quiz, st.ClassID).Query(func(rows pgx.Rows) error {
		var err error
		latest, err = pgx.CollectRows(rows, pgx.RowToStructByName[start])
		return err
	})
	look.Queue(numbersUsedSQL, st.UserID, st.Quiz, st.ClassID).QueryRow(func(row pgx.Row) error { return row.Scan(&used) })
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
		if tok.Class != st.ClassID {
			return fmt.Errorf("token of class %d for a start in class %d", tok.Class, st.ClassID)
		}
		var deadline *time.Time
		if !tok.Deadline.IsZero() {
			deadline = &tok.Deadline
		}
		b := &pgx.Batch{}
		if !s.versionStored(tok.Version) {
			b.Queue(saveVersionSQL, tok.Version, tok.Quiz, st.VersionBody)
		}
		b.Queue(insertStartSQL, tok.UserID, tok.Quiz, tok.No, tok.AttemptID, tok.Version, int64(tok.Seed), tok.Started, deadline,
			tok.Class, RulesOf(tok).orNull())
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
