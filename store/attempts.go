package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/twelve-course/twelve/quiz"
)

// Attempt errors.
var (
	ErrAttemptLimit = errors.New("store: attempt limit reached")
	ErrNotYours     = errors.New("store: attempt belongs to someone else")
)

// Response is the stored answer to one question of an attempt.
type Response struct {
	AttemptID string  `db:"attempt_id"`
	Position  int     `db:"position"`
	Question  string  `db:"question"`
	Answer    []byte  `db:"answer"` // JSON of quiz.Answer
	Score     float64 `db:"score"`
	MaxScore  float64 `db:"max_score"`
}

// Attempt is one submitted attempt.
type Attempt struct {
	ID          string    `db:"id"`
	UserID      int64     `db:"user_id"`
	Quiz        string    `db:"quiz"`
	Version     string    `db:"version"`
	AttemptNo   int       `db:"attempt_no"`
	Seed        int64     `db:"seed"`
	StartedAt   time.Time `db:"started_at"`
	SubmittedAt time.Time `db:"submitted_at"`
	Score       float64   `db:"score"`
	MaxScore    float64   `db:"max_score"`
	// ClassID is the class the attempt was taken in, 0 for the open
	// course; Late whether it was submitted after its due date, and
	// Penalty the fraction of its grade taken off for that (0..1).
	ClassID int64   `db:"class_id"`
	Late    bool    `db:"late"`
	Penalty float64 `db:"penalty"`
}

// Fraction is the attempt's score as a fraction 0..1.
func (a Attempt) Fraction() float64 { return a.Score / a.MaxScore }

// Credited is the fraction 0..1 the attempt counts for in grades: its
// score less its late penalty.
func (a Attempt) Credited() float64 { return credited(a.Score, a.MaxScore, a.Penalty) }

// credited is the one formula of a grade's fraction, as creditedSQL is in
// SQL.
func credited(score, maxScore, penalty float64) float64 { return score / maxScore * (1 - penalty) }

const creditedSQL = `score / max_score * (1 - penalty)`

// NewAttempt is a graded attempt to store.
type NewAttempt struct {
	Attempt
	Responses []Response
	// VersionBody is the quiz version's content, stored once per version.
	VersionBody []byte
	// StartNo and Deadline are what the attempt token says of its start
	// (quiz.Token's No and Deadline), checked against the recorded start.
	StartNo  int
	Deadline time.Time
	// Rules are the class rules the token carried (its Due, Late, Close
	// and Limit), checked against the recorded start of a class attempt.
	Rules ClassRules
	// CourseSettings are the quiz's own settings, by which the course-wide
	// grade ("all students", every attempt of the quiz in any class) is
	// computed; zero means the settings given to SaveAttempt.
	CourseSettings quiz.Settings
}

// token is what the attempt's token said.
func (a NewAttempt) token() quiz.Token {
	t := quiz.Token{AttemptID: a.ID, UserID: a.UserID, Quiz: a.Quiz, Version: a.Version,
		Seed: uint64(a.Seed), Started: a.StartedAt, Deadline: a.Deadline, No: a.StartNo, Class: a.ClassID}
	return a.Rules.apply(t)
}

const attemptColumns = `id, user_id, quiz, version, attempt_no, seed, started_at, submitted_at, score, max_score, class_id, late, penalty`

// SaveAttempt stores a graded attempt with its responses and refreshes the
// student's grade for the quiz, all in one transaction. It is idempotent on
// the attempt id: a second call with the same id stores nothing and returns
// the attempt stored first, with created false. It returns ErrAttemptLimit
// when the quiz's attempt limit is used up and ErrNotYours when the id
// belongs to another user's attempt.
//
// When the quiz's starts count (quiz.Settings.StartCounts), or the token
// names a recorded start, the token must agree with the start recorded
// under its attempt id (ErrStartMismatch otherwise), and that start's
// number must be within the attempt limit. A token whose start was never
// recorded (made before starts were, or while the quiz had no limits)
// takes the next attempt number, if one is left.
//
// An attempt belongs to a class (a.ClassID; 0 is the open course).
// settings are the rules it was taken under: for a class, the class's
// effective rules for the student (package classes), with AttemptLimit
// the token's Limit. Attempt numbers and the attempt limit count the
// student's attempts in that class only, and the class grade
// (class_grades, then the class gradebook row) is kept by settings over
// them. The course-wide grade (grades, gradebook: "all students") counts
// every attempt of the quiz in any class, by a.CourseSettings. Every grade
// credits an attempt with score/max × (1 − penalty).
//
// It takes three round trips to the database: begin, queue and look (the
// lock, the attempt id, the attempts before it), then write (the attempt,
// its responses, the grade, the report summaries), then commit. An
// attempt in an LTI class (an LMS course) also marks its class grade
// pending in lti_scores and queues the lti_score job that sends it, in
// the same transaction: one round trip more, for those only. The quiz
// version's content is sent only until this Store has seen it stored.
func (s *Store) SaveAttempt(ctx context.Context, a NewAttempt, settings quiz.Settings) (stored Attempt, created bool, err error) {
	stored, created, err = s.saveAttempt(ctx, a, settings)
	if isMissingVersion(err) {
		// The version was stored once but is gone (a restored database?):
		// send it again.
		s.versions.Delete(a.Version)
		stored, created, err = s.saveAttempt(ctx, a, settings)
	}
	if err != nil {
		if errors.Is(err, ErrAttemptLimit) || errors.Is(err, ErrNotYours) || errors.Is(err, ErrStartMismatch) {
			return Attempt{}, false, err
		}
		return Attempt{}, false, opError("save attempt", err)
	}
	return stored, created, nil
}

const (
	// One student's submissions of one quiz queue here, so that double
	// clicks and retries see each other and attempt numbers never clash.
	// $3 is the class: 0 (the open course) takes the lock every submit
	// of the quiz by the student takes, and which a start in the open
	// course takes; a class takes a second one, which its starts take.
	lockAttemptsSQL = `SELECT pg_advisory_xact_lock(hashtextextended($1::bigint::text || ':' || $2 ||
    CASE WHEN $3::bigint = 0 THEN '' ELSE ':' || $3::bigint::text END, 0))`
	// The student's attempts of the quiz before this one, in every class,
	// for the attempt number and limit (the class's) and the grades: the
	// class's, and the course-wide one over them all.
	priorAttemptsSQL = `SELECT class_id, attempt_no, late, ` + creditedSQL + `
FROM attempts WHERE user_id = $1 AND quiz = $2 ORDER BY submitted_at, attempt_no`
	saveVersionSQL   = `INSERT INTO quiz_versions (hash, quiz, body) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING`
	insertAttemptSQL = `
INSERT INTO attempts (id, user_id, quiz, version, attempt_no, seed, started_at, score, max_score, class_id, late, penalty)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
RETURNING ` + attemptColumns
	insertResponsesSQL = `
INSERT INTO responses (attempt_id, position, question, answer, score, max_score)
SELECT $1, p, q, a::jsonb, s, m
FROM unnest($2::int[], $3::text[], $4::text[], $5::float8[], $6::float8[]) AS r(p, q, a, s, m)`
	// The student's grade for the quiz by its grading method, kept in the
	// attempt's transaction: the gradebook is never stale.
	upsertGradeSQL = `
INSERT INTO grades (user_id, quiz, attempts, grade, passed, updated_at)
VALUES ($1, $2, $3, $4, $5, now())
ON CONFLICT (user_id, quiz) DO UPDATE
SET attempts = EXCLUDED.attempts, grade = EXCLUDED.grade, passed = EXCLUDED.passed, updated_at = now()`
	// The same for the class the attempt was taken in, by its rules, and
	// the student's row of the class's gradebook (if they are a student
	// member still). Its updated_at only moves forward, even for two
	// submits whose transactions began in the other order: it is the
	// grade's time at the LMS, which keeps the latest (LTI AGS).
	upsertClassGradeSQL = `
INSERT INTO class_grades (class_id, user_id, quiz, attempts, grade, passed, late, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now())
ON CONFLICT (class_id, user_id, quiz) DO UPDATE
SET attempts = EXCLUDED.attempts, grade = EXCLUDED.grade, passed = EXCLUDED.passed, late = EXCLUDED.late,
    updated_at = GREATEST(now(), class_grades.updated_at + interval '1 microsecond')`
	refreshClassGradebookSQL = `SELECT refresh_class_gradebook($1, ARRAY[$2::bigint])`
)

// prior is an attempt before the one being saved.
type prior struct {
	Class    int64
	No       int
	Late     bool
	Credited float64
}

func (s *Store) saveAttempt(ctx context.Context, a NewAttempt, settings quiz.Settings) (stored Attempt, created bool, err error) {
	var existing []Attempt
	var priors []prior
	look := &pgx.Batch{}
	look.BeginTx(pgx.TxOptions{})
	look.Queue(lockAttemptsSQL, a.UserID, a.Quiz, 0)
	if a.ClassID != 0 {
		look.Queue(lockAttemptsSQL, a.UserID, a.Quiz, a.ClassID)
	}
	look.Queue(`SELECT `+attemptColumns+` FROM attempts WHERE id = $1`, a.ID).Query(func(rows pgx.Rows) error {
		var err error
		existing, err = pgx.CollectRows(rows, pgx.RowToStructByName[Attempt])
		return err
	})
	look.Queue(priorAttemptsSQL, a.UserID, a.Quiz).Query(func(rows pgx.Rows) error {
		var err error
		priors, err = pgx.CollectRows(rows, pgx.RowToStructByPos[prior])
		return err
	})
	var lmsClass bool
	if a.ClassID != 0 {
		look.Queue(isLTIClassSQL, a.ClassID).QueryRow(func(row pgx.Row) error { return row.Scan(&lmsClass) })
	}
	checkStart := settings.StartCounts() || a.StartNo > 0
	var recorded []start
	var numbersUsed int
	if checkStart {
		look.Queue(startByIDSQL, a.ID).Query(func(rows pgx.Rows) error {
			var err error
			recorded, err = pgx.CollectRows(rows, pgx.RowToStructByName[start])
			return err
		})
		look.Queue(numbersUsedSQL, a.UserID, a.Quiz, a.ClassID).QueryRow(func(row pgx.Row) error { return row.Scan(&numbersUsed) })
	}
	sendVersion := !s.versionStored(a.Version)
	err = s.inBatchTx(ctx, look, func(tx pgx.Tx) error {
		if len(existing) > 0 {
			if existing[0].UserID != a.UserID {
				return ErrNotYours
			}
			stored, created = existing[0], false
			return nil
		}
		inClass, course := classAttempts(priors, a.ClassID)
		used, limit := len(inClass), settings.AttemptLimit
		if limit > 0 && used >= limit {
			return ErrAttemptLimit
		}
		switch {
		case len(recorded) > 0 && !recorded[0].agrees(a.token()):
			return ErrStartMismatch
		case len(recorded) > 0 && limit > 0 && recorded[0].No > limit:
			return ErrAttemptLimit // the limit was lowered since it started
		case len(recorded) == 0 && checkStart && limit > 0 && numbersUsed >= limit:
			return ErrAttemptLimit
		}
		a.AttemptNo = used + 1
		this := prior{Class: a.ClassID, No: a.AttemptNo, Late: a.Late, Credited: credited(a.Score, a.MaxScore, a.Penalty)}
		inClass, course = append(inClass, this), append(course, this)
		courseSettings := a.CourseSettings
		if courseSettings == (quiz.Settings{}) {
			courseSettings = settings
		}
		grade, _ := gradeOf(courseSettings, course)

		write := &pgx.Batch{}
		if sendVersion {
			write.Queue(saveVersionSQL, a.Version, a.Quiz, a.VersionBody)
		}
		write.Queue(insertAttemptSQL, a.ID, a.UserID, a.Quiz, a.Version, a.AttemptNo, a.Seed, a.StartedAt, a.Score, a.MaxScore,
			a.ClassID, a.Late, a.Penalty).
			QueryRow(func(row pgx.Row) error {
				return row.Scan(&stored.ID, &stored.UserID, &stored.Quiz, &stored.Version, &stored.AttemptNo, &stored.Seed,
					&stored.StartedAt, &stored.SubmittedAt, &stored.Score, &stored.MaxScore, &stored.ClassID, &stored.Late, &stored.Penalty)
			})
		queueResponses(write, a.ID, a.Responses)
		write.Queue(upsertGradeSQL, a.UserID, a.Quiz, len(course), grade, courseSettings.Passed(grade))
		if a.ClassID != 0 {
			classGrade, late := gradeOf(settings, inClass)
			write.Queue(upsertClassGradeSQL, a.ClassID, a.UserID, a.Quiz, len(inClass), classGrade, settings.Passed(classGrade), late)
			write.Queue(refreshClassGradebookSQL, a.ClassID, a.UserID)
			if lmsClass {
				write.Queue(pendingLTIScoreSQL, a.ClassID, a.UserID, a.Quiz)
			}
		}
		queueReports(write, a.UserID, a.ID)
		if err := tx.SendBatch(ctx, write).Close(); err != nil {
			return err
		}
		if lmsClass {
			if err := s.enqueueLTIScore(ctx, tx, LTIScoreArgs{ClassID: a.ClassID, UserID: a.UserID, Quiz: a.Quiz}); err != nil {
				return err
			}
		}
		created = true
		return nil
	})
	if err != nil {
		return Attempt{}, false, err
	}
	s.versions.Store(a.Version, true)
	return stored, created, nil
}

// versionStored reports whether this Store has seen the quiz version hash
// stored. Versions are never deleted, so once seen it need not be sent again.
func (s *Store) versionStored(hash string) bool {
	_, ok := s.versions.Load(hash)
	return ok
}

// isMissingVersion reports whether err is an attempt refused for naming a
// quiz version that is not stored.
func isMissingVersion(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503" && pgErr.ConstraintName == "attempts_version_fkey"
}

func queueResponses(b *pgx.Batch, attemptID string, rs []Response) {
	n := len(rs)
	positions, questions, scores, maxes := make([]int32, n), make([]string, n), make([]float64, n), make([]float64, n)
	answers := make([]string, n)
	for i, r := range rs {
		positions[i], questions[i], scores[i], maxes[i], answers[i] = int32(r.Position), r.Question, r.Score, r.MaxScore, string(r.Answer)
	}
	b.Queue(insertResponsesSQL, attemptID, positions, questions, answers, scores, maxes)
}
