package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

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
// in every class, by quiz and attempt number (numbers count per class:
// attempts with the same number, in different classes, oldest first).
func (s *Store) AttemptsOf(ctx context.Context, userID int64, quizSlug string) ([]Attempt, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+attemptColumns+` FROM attempts
WHERE user_id = $1 AND ($2 = '' OR quiz = $2) ORDER BY quiz, attempt_no, submitted_at, id`, userID, quizSlug)
	if err != nil {
		return nil, opError("attempts of user", err)
	}
	as, err := pgx.CollectRows(rows, pgx.RowToStructByName[Attempt])
	if err != nil {
		return nil, opError("attempts of user", err)
	}
	return as, nil
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
