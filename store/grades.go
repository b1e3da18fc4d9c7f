package store

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/quiz"
)

// Grade is a student's graded result for one quiz.
type Grade struct {
	Quiz     string  `db:"quiz"`
	Attempts int     `db:"attempts"`
	Grade    float64 `db:"grade"`
	Passed   bool    `db:"passed"`
	// Late is whether a class grade comes from a late attempt (the one it
	// takes, or any for an average); always false course-wide.
	Late bool `db:"late"`
}

// Grades are computed once, by the quiz's grading method, in the
// transaction that stores an attempt (SaveAttempt); every page that shows a
// grade reads the stored one, so they agree even after the quiz's grading
// settings change.
const (
	gradesOfSQL = `SELECT quiz, attempts, grade, passed, false AS late FROM grades WHERE user_id = $1`
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

const classGradesOfSQL = `SELECT quiz, attempts, grade, passed, late FROM class_grades WHERE class_id = $1 AND user_id = $2`

// ClassGradesOf returns a student's grades in a class, by the class's
// rules, by quiz slug: of the attempts they made in the class only.
func (s *Store) ClassGradesOf(ctx context.Context, classID, userID int64) (map[string]Grade, error) {
	rows, _ := s.pool.Query(ctx, classGradesOfSQL, classID, userID)
	gs, err := pgx.CollectRows(rows, pgx.RowToStructByName[Grade])
	if err != nil {
		return nil, opError("class grades of user", err)
	}
	out := make(map[string]Grade, len(gs))
	for _, g := range gs {
		out[g.Quiz] = g
	}
	return out, nil
}

// classAttempts splits a student's attempts of a quiz (in the order they
// were submitted) into those of class, by attempt number, and those the
// course-wide grade counts: all of them, in the order they were submitted
// — or by attempt number when they are all in class, as they were before
// classes, when the two orders can differ only by a race of two submits.
func classAttempts(all []prior, class int64) (inClass, course []prior) {
	for _, p := range all {
		if p.Class == class {
			inClass = append(inClass, p)
		}
	}
	slices.SortStableFunc(inClass, func(a, b prior) int { return cmp.Compare(a.No, b.No) })
	if len(inClass) == len(all) {
		return inClass, slices.Clone(inClass)
	}
	return inClass, slices.Clone(all)
}

// gradeOf is the grade of attempts by settings' grading method, and
// whether it comes from a late attempt: the one it takes (highest, first,
// latest), or any of them for an average.
func gradeOf(settings quiz.Settings, attempts []prior) (grade float64, late bool) {
	fractions := make([]float64, len(attempts))
	for i, p := range attempts {
		fractions[i] = p.Credited
		if settings.Grading == quiz.Average {
			late = late || p.Late
		}
	}
	grade = settings.GradeAcross(fractions)
	if settings.Grading != quiz.Average {
		// The attempt the grade is: the first with it, except for "latest".
		for i := range attempts {
			j := i
			if settings.Grading == quiz.Latest {
				j = len(attempts) - 1 - i
			}
			if attempts[j].Credited == grade {
				return grade, attempts[j].Late
			}
		}
	}
	return grade, late
}
