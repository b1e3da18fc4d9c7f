package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// A class's reports read what the course's read, narrowed to the class:
// its gradebook (class_gradebook, through GradebookQuery.Class and the
// …In functions of gradebook.go), its grades (class_grades) and the
// attempts taken in it (attempts.class_id). Below: how a class's gradebook
// filters, and one student's record in a class, for its drill-down page.

// fewMatches is how many users a filter may match and still be looked up
// by them (see classFilter); a variable for tests.
var fewMatches = 5000

const filterMatchesSQL = `SELECT u.id FROM users u WHERE lower(u.name || E'\n' || u.email) LIKE lower($1) LIMIT $2`

// classLookupFrom reads a class's rows with each student's user looked up
// in turn (OFFSET 0 keeps the planner from making it a join): a scan costs
// at most the class's size, and stops at a LIMIT.
const classLookupFrom = `FROM class_gradebook gb CROSS JOIN LATERAL (SELECT u.id, u.name, u.email FROM users u WHERE u.id = gb.user_id OFFSET 0) u`

// classFilter is the condition that applies a name or email filter to a
// class's gradebook rows, its arguments appended to args. A class's
// students are often neighbours among users (they joined together), which
// misleads the planner: it walked users by name or id until it met the
// class, 0.3–0.5 s for the 20,000 who signed up last. So when the filter
// matches fewer than fewMatches users (a trigram index scan finds them),
// the condition names them, and few is true; else it is the filter itself,
// which a page applies in the order of its sort index and a count to each
// student by classLookupFrom.
func (s *Store) classFilter(ctx context.Context, filter string, args *[]any) (cond string, few bool, err error) {
	// Planned for this very pattern: how many users it matches decides
	// between the trigram index and reading users until enough match.
	rows, _ := s.pool.Query(ctx, filterMatchesSQL, pgx.QueryExecModeExec, likePattern(filter), fewMatches)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return "", false, err
	}
	if len(ids) < fewMatches {
		*args = append(*args, ids)
		return fmt.Sprintf("gb.user_id = ANY($%d::bigint[])", len(*args)), true, nil
	}
	*args = append(*args, likePattern(filter))
	return fmt.Sprintf(searchSQL, len(*args)), false, nil
}

const classAttemptsOfSQL = `SELECT ` + attemptColumns + ` FROM attempts
WHERE user_id = $1 AND class_id = $2 ORDER BY quiz, attempt_no`

// ClassAttemptsOf lists a student's attempts taken in a class (class 0: in
// the open course), by quiz and attempt number. Their grades in it are
// ClassGradesOf's.
func (s *Store) ClassAttemptsOf(ctx context.Context, class, userID int64) ([]Attempt, error) {
	rows, err := s.pool.Query(ctx, classAttemptsOfSQL, userID, class)
	if err != nil {
		return nil, opError("class attempts of user", err)
	}
	as, err := pgx.CollectRows(rows, pgx.RowToStructByName[Attempt])
	if err != nil {
		return nil, opError("class attempts of user", err)
	}
	return as, nil
}
