package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// A class's reports read what the course's read, narrowed to the class:
// its gradebook (class_gradebook, through GradebookQuery.Class and the
// …In functions of gradebook.go), its grades (class_grades) and the
// attempts taken in it (attempts.class_id). Below: one student's record in
// a class, for the class's drill-down page.

// ClassAttempt is an attempt taken in a class, with what its due date made
// of it.
type ClassAttempt struct {
	Attempt
	Late bool `db:"late"`
	// Penalty is the fraction of the attempt's grade taken off for lateness.
	Penalty float64 `db:"penalty"`
}

const classAttemptsOfSQL = `SELECT ` + attemptColumns + `, late, penalty FROM attempts
WHERE user_id = $1 AND class_id = $2 ORDER BY quiz, attempt_no`

// ClassAttemptsOf lists a student's attempts taken in a class, oldest first
// within each quiz.
func (s *Store) ClassAttemptsOf(ctx context.Context, class, userID int64) ([]ClassAttempt, error) {
	rows, err := s.pool.Query(ctx, classAttemptsOfSQL, userID, class)
	if err != nil {
		return nil, opError("class attempts of user", err)
	}
	as, err := pgx.CollectRows(rows, pgx.RowToStructByName[ClassAttempt])
	if err != nil {
		return nil, opError("class attempts of user", err)
	}
	return as, nil
}

// ClassGrade is a student's grade for one quiz in a class, by the class's
// rules.
type ClassGrade struct {
	Grade
	Late bool `db:"late"`
}

const classGradesOfSQL = `SELECT quiz, attempts, grade, passed, late FROM class_grades WHERE class_id = $1 AND user_id = $2`

// ClassGradesOf returns a student's grades in a class by quiz slug.
func (s *Store) ClassGradesOf(ctx context.Context, class, userID int64) (map[string]ClassGrade, error) {
	rows, err := s.pool.Query(ctx, classGradesOfSQL, class, userID)
	if err != nil {
		return nil, opError("class grades of user", err)
	}
	gs, err := pgx.CollectRows(rows, pgx.RowToStructByName[ClassGrade])
	if err != nil {
		return nil, opError("class grades of user", err)
	}
	out := make(map[string]ClassGrade, len(gs))
	for _, g := range gs {
		out[g.Quiz] = g
	}
	return out, nil
}
