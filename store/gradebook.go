package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// GradebookRow is one student's line of the gradebook.
type GradebookRow struct {
	UserID int64
	Name   string
	Email  string
	// Grades are the lesson grades (fractions 0..1) in course order; nil
	// where the student has no attempt.
	Grades []*float64
	Passed []*bool
	// Total is the mean of the lesson grades, a missing grade counting 0.
	Total float64
	// Key is the row's position in the order it was read, for a cursor.
	Key Cursor
}

// GradebookSort is the order of a gradebook page: by "name", "email",
// "total" or "lesson" (then Lesson is the lesson's 1-based position).
type GradebookSort struct {
	By     string
	Lesson int
	Desc   bool
}

// Cursor is a position in a sorted gradebook: a row's sort value (Text for
// name and email, Number otherwise) and its user id, which breaks ties.
type Cursor struct {
	Text   string
	Number float64
	UserID int64
}

// GradebookQuery asks for one page of the gradebook.
type GradebookQuery struct {
	// Class is the class whose gradebook to read (its student members, by
	// that class's grades); 0 is the course's: every student, every attempt.
	Class int64
	Sort  GradebookSort
	// Filter keeps students whose name or email contains it, ignoring case.
	Filter string
	// After asks for the rows after this cursor; Before for those before
	// it. With neither, the first page.
	After, Before *Cursor
	Limit         int
}

// GradebookPage is one page and whether more rows lie on either side.
type GradebookPage struct {
	Rows             []GradebookRow
	HasPrev, HasNext bool
}

// sortExpr is the SQL expression a sort orders by, and whether it is text.
// Each has an index on (expression, user id), so a page is one range scan.
func (s GradebookSort) sortExpr() (expr, id string, text bool, err error) {
	switch s.By {
	case "name":
		return "lower(u.name)", "u.id", true, nil
	case "email":
		return "lower(u.email)", "u.id", true, nil
	case "total":
		return "gb.total", "gb.user_id", false, nil
	case "lesson":
		if s.Lesson < 1 || s.Lesson > 99 {
			return "", "", false, fmt.Errorf("store: gradebook: no lesson %d", s.Lesson)
		}
		// The position is written into the SQL, not bound, so that the
		// expression matches the index gradebook_lN_idx (class_gradebook_lN_idx).
		return "coalesce(gb.grades[" + strconv.Itoa(s.Lesson) + "], -1)", "gb.user_id", false, nil
	}
	return "", "", false, fmt.Errorf("store: gradebook: unknown sort %q", s.By)
}

// Gradebook returns one page of the gradebook by keyset pagination: the
// rows after (or before) a cursor, so the thousandth page costs what the
// first does.
func (s *Store) Gradebook(ctx context.Context, q GradebookQuery) (GradebookPage, error) {
	return s.gradebook(ctx, q, nil)
}

// gradebook is Gradebook with a class's filter decided already, or nil.
func (s *Store) gradebook(ctx context.Context, q GradebookQuery, f *classFilter) (GradebookPage, error) {
	expr, id, text, err := q.Sort.sortExpr()
	if err != nil {
		return GradebookPage{}, err
	}
	limit := max(1, q.Limit)
	backward := q.Before != nil
	desc := q.Sort.Desc != backward // reading backwards reverses the order
	from, where, args := gradebookScope(q.Class)
	if cur := q.After; cur != nil || q.Before != nil {
		if cur == nil {
			cur = q.Before
		}
		op := ">"
		if desc {
			op = "<"
		}
		var v any = cur.Number
		if text {
			v = cur.Text
		}
		args = append(args, v, cur.UserID)
		where = append(where, fmt.Sprintf("(%s, %s) %s ($%d, $%d)", expr, id, op, len(args)-1, len(args)))
	}
	switch {
	case q.Filter != "" && q.Class != 0:
		if f == nil {
			if f, err = s.newClassFilter(ctx, q.Class, q.Filter); err != nil {
				return GradebookPage{}, opError("gradebook", err)
			}
		}
		var cond string
		from, cond = f.apply(false, &args)
		where = append(where, cond)
	case q.Filter != "":
		args = append(args, likePattern(q.Filter))
		where = append(where, fmt.Sprintf(searchSQL, len(args)))
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	var keyText, keyNumber = "''", expr
	if text {
		keyText, keyNumber = expr, "0::float8"
	}
	sql := `SELECT ` + gradebookColumns + `, ` + keyText + `, ` + keyNumber + "\n" + from
	sql += "\nWHERE " + strings.Join(where, " AND ")
	sql += fmt.Sprintf("\nORDER BY %s %s, %s %s\nLIMIT %d", expr, dir, id, dir, limit+1)
	// Planned for these very values: how many names match a filter decides
	// between walking an index in order and sorting the few matches.
	rows, err := s.pool.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
	if err != nil {
		return GradebookPage{}, opError("gradebook", err)
	}
	list, err := pgx.CollectRows(rows, scanGradebookRow)
	if err != nil {
		return GradebookPage{}, opError("gradebook", err)
	}
	page := GradebookPage{}
	more := len(list) > limit
	if more {
		list = list[:limit]
	}
	if backward {
		for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
			list[i], list[j] = list[j], list[i]
		}
		page.HasPrev, page.HasNext = more, true
	} else {
		page.HasPrev, page.HasNext = q.After != nil, more
	}
	page.Rows = list
	return page, nil
}

// A gradebook row is read as scanGradebookRow scans it: gradebookColumns,
// then the row's cursor key (a text and a number, see Cursor), from
// gradebookFrom or classGradebookFrom (see gradebookScope).
const (
	gradebookColumns   = `u.id, u.name, u.email, gb.grades, gb.passed, gb.total`
	gradebookFrom      = `FROM gradebook gb JOIN users u ON u.id = gb.user_id`
	classGradebookFrom = `FROM class_gradebook gb JOIN users u ON u.id = gb.user_id`
)

// gradebookScope is the FROM clause, conditions and their arguments ($1 on)
// that pick a gradebook's rows: the course's (class 0), every student but
// instructors; or one class's, its student members (class_gradebook holds
// no one else), whom each of its keyset indexes leads with.
func gradebookScope(class int64) (from string, where []string, args []any) {
	if class == 0 {
		return gradebookFrom, []string{studentsOnly}, nil
	}
	return classGradebookFrom, []string{"gb.class_id = $1"}, []any{class}
}

func scanGradebookRow(row pgx.CollectableRow) (GradebookRow, error) {
	var r GradebookRow
	err := row.Scan(&r.UserID, &r.Name, &r.Email, &r.Grades, &r.Passed, &r.Total, &r.Key.Text, &r.Key.Number)
	r.Key.UserID = r.UserID
	return r, err
}

// searchSQL filters users by a LIKE pattern (parameter %d) over their name
// and email, matching the trigram index users_search_idx; a newline keeps
// a match from spanning the two.
const searchSQL = `lower(u.name || E'\n' || u.email) LIKE lower($%d)`

// likePattern finds s anywhere, its own % and _ matching literally.
func likePattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// CountStudents counts the course gradebook's rows that match filter: see
// CountStudentsIn.
func (s *Store) CountStudents(ctx context.Context, filter string, upTo int) (int, error) {
	return s.CountStudentsIn(ctx, 0, filter, upTo)
}

// CountStudentsIn counts the rows of a class's gradebook (class 0: the
// course's, every student who has signed in) that match filter (see
// GradebookQuery.Filter), stopping at upTo when it is above 0: a count of a
// vague filter need not read everyone.
func (s *Store) CountStudentsIn(ctx context.Context, class int64, filter string, upTo int) (int, error) {
	return s.countStudents(ctx, class, filter, upTo, nil)
}

// countStudents is CountStudentsIn with a class's filter decided already,
// or nil.
func (s *Store) countStudents(ctx context.Context, class int64, filter string, upTo int, f *classFilter) (int, error) {
	from, where, args := gradebookScope(class)
	switch {
	case class == 0:
		from = `FROM users u` // every user has a gradebook row
	case filter == "":
		// The class's rows alone: an index-only scan of its part of the
		// primary key, where a join with users would hash them all.
		from = `FROM class_gradebook gb`
	}
	switch {
	case filter != "" && class != 0:
		if f == nil {
			var err error
			if f, err = s.newClassFilter(ctx, class, filter); err != nil {
				return 0, opError("count students", err)
			}
		}
		var cond string
		from, cond = f.apply(true, &args)
		where = append(where, cond)
	case filter != "":
		args = append(args, likePattern(filter))
		where = append(where, fmt.Sprintf(searchSQL, len(args)))
	}
	sql := `SELECT 1 ` + from + ` WHERE ` + strings.Join(where, " AND ")
	if upTo > 0 {
		sql += ` LIMIT ` + strconv.Itoa(upTo)
	}
	var n int
	args = append([]any{pgx.QueryExecModeExec}, args...)
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (`+sql+`) AS matches`, args...).Scan(&n); err != nil {
		return 0, opError("count students", err)
	}
	return n, nil
}

// studentsOnly leaves instructors (by their role at their last sign-in)
// out of the gradebook, its export and the cohort figures.
const studentsOnly = `NOT u.instructor`

// EachGradebookRow calls fn with every row of the course's gradebook: see
// EachGradebookRowIn.
func (s *Store) EachGradebookRow(ctx context.Context, fn func(GradebookRow) error) error {
	return s.EachGradebookRowIn(ctx, 0, fn)
}

// EachGradebookRowIn calls fn with every row of a class's gradebook (class
// 0: the course's), by name. It streams rows from the database as fn
// consumes them, so memory does not grow with the number of students.
func (s *Store) EachGradebookRowIn(ctx context.Context, class int64, fn func(GradebookRow) error) error {
	from, where, args := gradebookScope(class)
	sql := `SELECT ` + gradebookColumns + `, lower(u.name), 0::float8 ` + from + `
WHERE ` + strings.Join(where, " AND ") + `
ORDER BY lower(u.name), u.id`
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return opError("gradebook export", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanGradebookRow(rows)
		if err != nil {
			return opError("gradebook export", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return opError("gradebook export", err)
	}
	return nil
}

// GradebookRowOf returns one student's row of the course's gradebook.
func (s *Store) GradebookRowOf(ctx context.Context, userID int64) (GradebookRow, error) {
	return s.GradebookRowIn(ctx, 0, userID)
}

// GradebookRowIn returns one student's row of a class's gradebook (class
// 0: the course's); ErrNotFound when they have none, as for someone who is
// not a student of the class.
func (s *Store) GradebookRowIn(ctx context.Context, class int64, userID int64) (GradebookRow, error) {
	from, where, args := gradebookScope(class)
	if class == 0 {
		where = nil // an instructor's own row, too
	}
	args = append(args, userID)
	where = append(where, fmt.Sprintf("u.id = $%d", len(args)))
	sql := `SELECT ` + gradebookColumns + `, lower(u.name), 0::float8 ` + from + `
WHERE ` + strings.Join(where, " AND ")
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return GradebookRow{}, opError("gradebook row", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanGradebookRow)
	if errors.Is(err, pgx.ErrNoRows) {
		return GradebookRow{}, ErrNotFound
	}
	if err != nil {
		return GradebookRow{}, opError("gradebook row", err)
	}
	return r, nil
}
