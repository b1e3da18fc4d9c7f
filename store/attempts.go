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
}

// Fraction is the attempt's score as a fraction 0..1.
func (a Attempt) Fraction() float64 { return a.Score / a.MaxScore }

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
}

// token is what the attempt's token said.
func (a NewAttempt) token() quiz.Token {
	return quiz.Token{AttemptID: a.ID, UserID: a.UserID, Quiz: a.Quiz, Version: a.Version,
		Seed: uint64(a.Seed), Started: a.StartedAt, Deadline: a.Deadline, No: a.StartNo}
}

const attemptColumns = `id, user_id, quiz, version, attempt_no, seed, started_at, submitted_at, score, max_score`

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
// It takes three round trips to the database: begin, queue and look (the
// lock, the attempt id, the attempts before it), then write (the attempt,
// its responses, the grade, the report summaries), then commit. The quiz
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
	lockAttemptsSQL = `SELECT pg_advisory_xact_lock(hashtextextended($1::bigint::text || ':' || $2, 0))`
	// The attempts before this one, for the attempt limit, the attempt
	// number and the grade.
	priorFractionsSQL = `SELECT score / max_score FROM attempts WHERE user_id = $1 AND quiz = $2 ORDER BY attempt_no`
	saveVersionSQL    = `INSERT INTO quiz_versions (hash, quiz, body) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING`
	insertAttemptSQL  = `
INSERT INTO attempts (id, user_id, quiz, version, attempt_no, seed, started_at, score, max_score)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
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
)

func (s *Store) saveAttempt(ctx context.Context, a NewAttempt, settings quiz.Settings) (stored Attempt, created bool, err error) {
	var existing []Attempt
	var fractions []float64
	look := &pgx.Batch{}
	look.BeginTx(pgx.TxOptions{})
	look.Queue(lockAttemptsSQL, a.UserID, a.Quiz)
	look.Queue(`SELECT `+attemptColumns+` FROM attempts WHERE id = $1`, a.ID).Query(func(rows pgx.Rows) error {
		var err error
		existing, err = pgx.CollectRows(rows, pgx.RowToStructByName[Attempt])
		return err
	})
	look.Queue(priorFractionsSQL, a.UserID, a.Quiz).Query(func(rows pgx.Rows) error {
		var err error
		fractions, err = pgx.CollectRows(rows, pgx.RowTo[float64])
		return err
	})
	checkStart := settings.StartCounts() || a.StartNo > 0
	var recorded []start
	var numbersUsed int
	if checkStart {
		look.Queue(startByIDSQL, a.ID).Query(func(rows pgx.Rows) error {
			var err error
			recorded, err = pgx.CollectRows(rows, pgx.RowToStructByName[start])
			return err
		})
		look.Queue(numbersUsedSQL, a.UserID, a.Quiz).QueryRow(func(row pgx.Row) error { return row.Scan(&numbersUsed) })
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
		used, limit := len(fractions), settings.AttemptLimit
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
		grade := settings.GradeAcross(append(fractions, a.Score/a.MaxScore))

		write := &pgx.Batch{}
		if sendVersion {
			write.Queue(saveVersionSQL, a.Version, a.Quiz, a.VersionBody)
		}
		write.Queue(insertAttemptSQL, a.ID, a.UserID, a.Quiz, a.Version, a.AttemptNo, a.Seed, a.StartedAt, a.Score, a.MaxScore).
			QueryRow(func(row pgx.Row) error {
				return row.Scan(&stored.ID, &stored.UserID, &stored.Quiz, &stored.Version, &stored.AttemptNo, &stored.Seed,
					&stored.StartedAt, &stored.SubmittedAt, &stored.Score, &stored.MaxScore)
			})
		queueResponses(write, a.ID, a.Responses)
		write.Queue(upsertGradeSQL, a.UserID, a.Quiz, a.AttemptNo, grade, settings.Passed(grade))
		queueReports(write, a.UserID, a.ID)
		if err := tx.SendBatch(ctx, write).Close(); err != nil {
			return err
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

func attemptByID(ctx context.Context, q pgx.Tx, id string) (Attempt, error) {
	rows, err := q.Query(ctx, `SELECT `+attemptColumns+` FROM attempts WHERE id = $1`, id)
	if err != nil {
		return Attempt{}, err
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Attempt])
	if errors.Is(err, pgx.ErrNoRows) {
		return Attempt{}, ErrNotFound
	}
	return a, err
}

// Attempt returns a stored attempt and its responses in paper order.
func (s *Store) Attempt(ctx context.Context, id string) (Attempt, []Response, error) {
	var a Attempt
	var rs []Response
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if a, err = attemptByID(ctx, tx, id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT attempt_id, position, question, answer, score, max_score FROM responses WHERE attempt_id = $1 ORDER BY position`, id)
		if err != nil {
			return err
		}
		rs, err = pgx.CollectRows(rows, pgx.RowToStructByName[Response])
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return Attempt{}, nil, ErrNotFound
	}
	if err != nil {
		return Attempt{}, nil, opError("attempt", err)
	}
	return a, rs, nil
}

// AttemptsOf lists a student's attempts, of one quiz or (quiz "") of all,
// oldest first.
func (s *Store) AttemptsOf(ctx context.Context, userID int64, quizSlug string) ([]Attempt, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+attemptColumns+` FROM attempts
WHERE user_id = $1 AND ($2 = '' OR quiz = $2) ORDER BY quiz, attempt_no`, userID, quizSlug)
	if err != nil {
		return nil, opError("attempts of user", err)
	}
	as, err := pgx.CollectRows(rows, pgx.RowToStructByName[Attempt])
	if err != nil {
		return nil, opError("attempts of user", err)
	}
	return as, nil
}

// Grade is a student's graded result for one quiz.
type Grade struct {
	Quiz     string  `db:"quiz"`
	Attempts int     `db:"attempts"`
	Grade    float64 `db:"grade"`
	Passed   bool    `db:"passed"`
}

// Grades are computed once, by the quiz's grading method, in the
// transaction that stores an attempt (SaveAttempt); every page that shows a
// grade reads the stored one, so they agree even after the quiz's grading
// settings change.
const (
	gradesOfSQL = `SELECT quiz, attempts, grade, passed FROM grades WHERE user_id = $1`
	gradeOfSQL  = gradesOfSQL + ` AND quiz = $2`
)

// GradeOf returns a student's grade for one quiz, or ErrNotFound before
// their first attempt.
func (s *Store) GradeOf(ctx context.Context, userID int64, quizSlug string) (Grade, error) {
	rows, _ := s.pool.Query(ctx, gradeOfSQL, userID, quizSlug)
	g, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Grade])
	if errors.Is(err, pgx.ErrNoRows) {
		return Grade{}, ErrNotFound
	}
	if err != nil {
		return Grade{}, opError("grade of user", err)
	}
	return g, nil
}

// GradesOf returns a student's grades by quiz slug.
func (s *Store) GradesOf(ctx context.Context, userID int64) (map[string]Grade, error) {
	rows, err := s.pool.Query(ctx, gradesOfSQL, userID)
	if err != nil {
		return nil, opError("grades of user", err)
	}
	gs, err := pgx.CollectRows(rows, pgx.RowToStructByName[Grade])
	if err != nil {
		return nil, opError("grades of user", err)
	}
	out := make(map[string]Grade, len(gs))
	for _, g := range gs {
		out[g.Quiz] = g
	}
	return out, nil
}

// QuizVersion is one stored version of a quiz.
type QuizVersion struct {
	Hash string
	Quiz string
	Body []byte
}

// SaveQuizVersions records the versions this release carries, so attempts
// started on it can be graded by any later release.
func (s *Store) SaveQuizVersions(ctx context.Context, vs []QuizVersion) error {
	batch := &pgx.Batch{}
	for _, v := range vs {
		batch.Queue(saveVersionSQL, v.Hash, v.Quiz, v.Body)
	}
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return opError("save quiz versions", err)
	}
	for _, v := range vs {
		s.versions.Store(v.Hash, true)
	}
	return nil
}

// QuizVersionBody returns the stored content of a quiz version.
func (s *Store) QuizVersionBody(ctx context.Context, hash string) ([]byte, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT body FROM quiz_versions WHERE hash = $1`, hash).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, opError("quiz version", err)
	}
	return body, nil
}
