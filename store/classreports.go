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

// smallClass is how many students a class may have and still be filtered
// by looking each up; fewMatches how many users a filter may match and
// still be looked up by them (see classFilter). Variables for tests.
var (
	smallClass = 2000
	fewMatches = 5000
)

// classFilterSQL decides how to filter a class ($1) by a pattern ($2):
// NULL for a class of fewer than $3 students, else the ids of the users
// that match, up to $4 of them.
const classFilterSQL = `
SELECT CASE WHEN (SELECT count(*) FROM (SELECT 1 FROM class_gradebook WHERE class_id = $1 LIMIT $3) AS c) < $3 THEN NULL
ELSE ARRAY(SELECT u.id FROM users u WHERE lower(u.name || E'\n' || u.email) LIKE lower($2) LIMIT $4) END`

// classLookupFrom reads a class's rows with each student's user looked up
// in turn (OFFSET 0 keeps the planner from making it a join): a scan costs
// at most the class's size, and stops at a LIMIT.
const classLookupFrom = `FROM class_gradebook gb CROSS JOIN LATERAL (SELECT u.id, u.name, u.email FROM users u WHERE u.id = gb.user_id OFFSET 0) u`

// classFilter is how a class's gradebook takes a name or email filter. A
// class's students are often neighbours among users (they joined
// together), which misleads the planner: joined with users, it walked
// users by name or id until it met the class, 0.3–0.5 s for the 20,000 who
// signed up last. So:
//   - a small class looks each student up (classLookupFrom) and filters;
//   - else, when the filter matches fewer than fewMatches users (found by
//     the trigram index), the condition names them (ids);
//   - else the filter is dense: a page walks its sort index as the course's
//     does, and a count looks each student up, stopping at its limit.
type classFilter struct {
	pattern string
	ids     []int64 // the users matching, when few
	small   bool    // a class of fewer than smallClass students
}

// newClassFilter decides how to apply filter to a class, in one round trip.
func (s *Store) newClassFilter(ctx context.Context, class int64, filter string) (*classFilter, error) {
	// Planned for this very pattern: how many users it matches decides
	// between the trigram index and reading users until enough match.
	var ids []int64
	f := &classFilter{pattern: likePattern(filter)}
	err := s.pool.QueryRow(ctx, classFilterSQL, pgx.QueryExecModeExec, class, f.pattern, smallClass, fewMatches).Scan(&ids)
	if err != nil {
		return nil, err
	}
	switch {
	case ids == nil:
		f.small = true
	case len(ids) < fewMatches:
		f.ids = ids
	}
	return f, nil
}

// apply is the FROM clause and the condition that filter a class's page
// (or count, when count), the condition's argument appended to args.
func (f *classFilter) apply(count bool, args *[]any) (from, cond string) {
	switch {
	case f.ids != nil:
		*args = append(*args, f.ids)
		from = classGradebookFrom
		if count {
			from = `FROM class_gradebook gb`
		}
		return from, fmt.Sprintf("gb.user_id = ANY($%d::bigint[])", len(*args))
	case !f.small && !count:
		from = classGradebookFrom
	default:
		from = classLookupFrom
	}
	*args = append(*args, f.pattern)
	return from, fmt.Sprintf(searchSQL, len(*args))
}

// GradebookAndCount is a gradebook page and the count of the students that
// match its filter, up to upTo (see CountStudentsIn): what a gradebook page
// shows. A class's filter is looked up once for both.
func (s *Store) GradebookAndCount(ctx context.Context, q GradebookQuery, upTo int) (GradebookPage, int, error) {
	var f *classFilter
	if q.Class != 0 && q.Filter != "" {
		var err error
		if f, err = s.newClassFilter(ctx, q.Class, q.Filter); err != nil {
			return GradebookPage{}, 0, opError("gradebook", err)
		}
	}
	page, err := s.gradebook(ctx, q, f)
	if err != nil {
		return GradebookPage{}, 0, err
	}
	n, err := s.countStudents(ctx, q.Class, q.Filter, upTo, f)
	if err != nil {
		return GradebookPage{}, 0, err
	}
	return page, n, nil
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
