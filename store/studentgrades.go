package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// StudentClassGrade is a student's grade on one quiz in one class, by
// that class's rules, as its class_grades row holds it.
type StudentClassGrade struct {
	ClassID  int64   `db:"class_id"`
	Quiz     string  `db:"quiz"`
	Attempts int     `db:"attempts"`
	Grade    float64 `db:"grade"`
	Passed   bool    `db:"passed"`
	Late     bool    `db:"late"`
}

// One index scan of class_grades' primary key per class: the classes
// come from the caller's directory, so no membership is read here.
const studentClassGradesSQL = `
SELECT class_id, quiz, attempts, grade, passed, late
FROM class_grades
WHERE class_id = ANY($1) AND user_id = $2`

// StudentClassGrades returns a student's grades in the given classes, by
// class then quiz: one query however many classes, for the pages a
// student opens most (home).
func (s *Store) StudentClassGrades(ctx context.Context, userID int64, classIDs []int64) (map[int64]map[string]StudentClassGrade, error) {
	out := map[int64]map[string]StudentClassGrade{}
	if len(classIDs) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, studentClassGradesSQL, classIDs, userID)
	if err != nil {
		return nil, opError("class grades of student", err)
	}
	gs, err := pgx.CollectRows(rows, pgx.RowToStructByName[StudentClassGrade])
	if err != nil {
		return nil, opError("class grades of student", err)
	}
	for _, g := range gs {
		if out[g.ClassID] == nil {
			out[g.ClassID] = map[string]StudentClassGrade{}
		}
		out[g.ClassID][g.Quiz] = g
	}
	return out, nil
}
