package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/quiz"
)

// BulkStudent is a user with graded attempts, for loading many at once
// (the synthetic data of `twelve admin demo-data`).
type BulkStudent struct {
	Issuer, Subject, Email, Name string
	SignedUp                     time.Time
	// Class is the class the student is a member of and takes every
	// attempt in (a class id from BulkCreateClasses), or 0: none.
	Class int64
	// Attempts are graded attempts in the order they were made. Their
	// UserID and AttemptNo are set by BulkSaveAttempts.
	Attempts []NewAttempt
}

// BulkSaveAttempts stores students and their attempts in one transaction,
// as SaveAttempt would one by one but with COPY: users, attempts and
// responses, then each student's grade per quiz by the quiz's grading
// method (settings by quiz slug, as refreshGrade grades), then the report
// summaries by the same statements as refreshReports. The quiz versions the
// attempts name must already be stored (SaveQuizVersions).
//
// A student with a Class becomes a student member of it, and their
// attempts and grades are that class's too: their class grades are graded
// as the course's are (a demo class has no settings of its own, and no
// attempt is late), and stored before the memberships, so that the trigger
// that gives each new member a class gradebook row fills it from them by
// refresh_class_gradebook, as a join does. Each class given members is
// announced on ClassChannel.
func (s *Store) BulkSaveAttempts(ctx context.Context, students []BulkStudent, settings map[string]quiz.Settings) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		ids, err := bulkUsers(ctx, tx, students)
		if err != nil {
			return fmt.Errorf("users: %w", err)
		}
		var grades, classGrades, members [][]any
		classes := map[int64]bool{}
		var attemptIDs []string
		for i := range students {
			byQuiz := map[string][]float64{}
			var order []string
			for j := range students[i].Attempts {
				a := &students[i].Attempts[j]
				a.UserID = ids[i]
				if _, ok := byQuiz[a.Quiz]; !ok {
					order = append(order, a.Quiz)
				}
				byQuiz[a.Quiz] = append(byQuiz[a.Quiz], a.Fraction())
				a.AttemptNo = len(byQuiz[a.Quiz])
				attemptIDs = append(attemptIDs, a.ID)
			}
			for _, slug := range order {
				st, ok := settings[slug]
				if !ok {
					return fmt.Errorf("no settings for quiz %q", slug)
				}
				fractions := byQuiz[slug]
				g := st.GradeAcross(fractions)
				grades = append(grades, []any{ids[i], slug, len(fractions), g, st.Passed(g)})
				if c := students[i].Class; c != 0 {
					classGrades = append(classGrades, []any{c, ids[i], slug, len(fractions), g, st.Passed(g)})
				}
			}
			if c := students[i].Class; c != 0 {
				members = append(members, []any{c, ids[i], RoleStudent, ViaAdmin})
				classes[c] = true
			}
		}
		if err := copyAttempts(ctx, tx, students); err != nil {
			return fmt.Errorf("attempts: %w", err)
		}
		if err := copyResponses(ctx, tx, students); err != nil {
			return fmt.Errorf("responses: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"grades"}, []string{"user_id", "quiz", "attempts", "grade", "passed"}, pgx.CopyFromRows(grades)); err != nil {
			return fmt.Errorf("grades: %w", err)
		}
		if _, err := tx.Exec(ctx, recordItemQuestionsSQL, attemptIDs); err != nil {
			return fmt.Errorf("item questions: %w", err)
		}
		if _, err := tx.Exec(ctx, recordAttemptItemsSQL, attemptIDs); err != nil {
			return fmt.Errorf("attempt items: %w", err)
		}
		// Only students with attempts, as SaveAttempt refreshes them.
		var graded []int64
		for i, st := range students {
			if len(st.Attempts) > 0 {
				graded = append(graded, ids[i])
			}
		}
		if _, err := tx.Exec(ctx, refreshGradebookSQL, graded); err != nil {
			return fmt.Errorf("gradebook: %w", err)
		}
		if len(members) == 0 {
			return nil
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"class_grades"}, []string{"class_id", "user_id", "quiz", "attempts", "grade", "passed"}, pgx.CopyFromRows(classGrades)); err != nil {
			return fmt.Errorf("class grades: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"class_members"}, []string{"class_id", "user_id", "role", "via"}, pgx.CopyFromRows(members)); err != nil {
			return fmt.Errorf("class members: %w", err)
		}
		if _, err := tx.Exec(ctx, notifyClassesSQL, ClassChannel, slices.Collect(maps.Keys(classes))); err != nil {
			return fmt.Errorf("notify classes: %w", err)
		}
		return nil
	})
	if err != nil {
		return opError("bulk save attempts", err)
	}
	return nil
}

const bulkUsersSQL = `
INSERT INTO users (issuer, subject, email, name, created_at, last_login_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $5::timestamptz[])
ON CONFLICT (issuer, subject) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name
RETURNING id, issuer, subject`

// bulkUsers upserts the students and returns their ids in order.
func bulkUsers(ctx context.Context, tx pgx.Tx, students []BulkStudent) ([]int64, error) {
	n := len(students)
	issuers, subjects, emails, names, times := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	for i, st := range students {
		issuers[i], subjects[i], emails[i], names[i], times[i] = st.Issuer, st.Subject, st.Email, st.Name, st.SignedUp
	}
	rows, err := tx.Query(ctx, bulkUsersSQL, issuers, subjects, emails, names, times)
	if err != nil {
		return nil, err
	}
	type key struct{ issuer, subject string }
	byKey := make(map[key]int64, n)
	var id int64
	var issuer, subject string
	if _, err := pgx.ForEachRow(rows, []any{&id, &issuer, &subject}, func() error {
		byKey[key{issuer, subject}] = id
		return nil
	}); err != nil {
		return nil, err
	}
	ids := make([]int64, n)
	for i, st := range students {
		if ids[i] = byKey[key{st.Issuer, st.Subject}]; ids[i] == 0 {
			return nil, fmt.Errorf("user %s %s was not stored", st.Issuer, st.Subject)
		}
	}
	return ids, nil
}

// notifyClassesSQL announces the classes $2 on the channel $1.
const notifyClassesSQL = `SELECT pg_notify($1, c::text) FROM unnest($2::bigint[]) AS c`

func copyAttempts(ctx context.Context, tx pgx.Tx, students []BulkStudent) error {
	i, j := 0, 0
	row := make([]any, 11)
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"attempts"},
		[]string{"id", "user_id", "quiz", "version", "attempt_no", "seed", "started_at", "submitted_at", "score", "max_score", "class_id"},
		pgx.CopyFromFunc(func() ([]any, error) {
			for ; i < len(students); i, j = i+1, 0 {
				if j < len(students[i].Attempts) {
					a := &students[i].Attempts[j]
					j++
					row[0], row[1], row[2], row[3], row[4] = a.ID, a.UserID, a.Quiz, a.Version, a.AttemptNo
					row[5], row[6], row[7], row[8], row[9] = a.Seed, a.StartedAt, a.SubmittedAt, a.Score, a.MaxScore
					row[10] = students[i].Class
					return row, nil
				}
			}
			return nil, nil
		}))
	return err
}

func copyResponses(ctx context.Context, tx pgx.Tx, students []BulkStudent) error {
	i, j, k := 0, 0, 0
	row := make([]any, 6)
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"responses"},
		[]string{"attempt_id", "position", "question", "answer", "score", "max_score"},
		pgx.CopyFromFunc(func() ([]any, error) {
			for i < len(students) {
				as := students[i].Attempts
				switch {
				case j >= len(as):
					i, j, k = i+1, 0, 0
				case k >= len(as[j].Responses):
					j, k = j+1, 0
				default:
					a, r := &as[j], &as[j].Responses[k]
					k++
					row[0], row[1], row[2], row[3], row[4], row[5] = a.ID, r.Position, r.Question, r.Answer, r.Score, r.MaxScore
					return row, nil
				}
			}
			return nil, nil
		}))
	return err
}

// CountUsersNotFrom counts the users signed in through any issuer but issuer.
func (s *Store) CountUsersNotFrom(ctx context.Context, issuer string) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE issuer <> $1`, issuer).Scan(&n); err != nil {
		return 0, opError("count users", err)
	}
	return n, nil
}

// DeleteUsersFrom deletes the users of issuer with their attempts, grades,
// class memberships and summaries, and returns how many users it deleted.
// Every class is announced changed (its members may have gone).
func (s *Store) DeleteUsersFrom(ctx context.Context, issuer string) (int64, error) {
	var deleted int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_notify('`+ClassChannel+`', id::text) FROM classes`); err != nil {
			return err
		}
		var total int64
		if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE issuer = $1) FROM users`, issuer).Scan(&total, &deleted); err != nil {
			return err
		}
		if total == deleted {
			// Everyone is the issuer's: emptying the tables beats deleting
			// millions of rows one by one.
			_, err := tx.Exec(ctx, `TRUNCATE attempt_items, responses, grades, attempts, attempt_starts, gradebook,
    class_grades, class_gradebook, accommodations, class_members, lti_scores, users`)
			return err
		}
		for _, sql := range []string{
			`DELETE FROM attempts WHERE user_id IN (SELECT id FROM users WHERE issuer = $1)`, // responses, attempt_items cascade
			`DELETE FROM grades WHERE user_id IN (SELECT id FROM users WHERE issuer = $1)`,
			`DELETE FROM users WHERE issuer = $1`, // gradebook, attempt_starts, class members and grades cascade
		} {
			if _, err := tx.Exec(ctx, sql, issuer); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, opError("delete users", err)
	}
	return deleted, nil
}

// AnalyzeReports refreshes the planner's statistics (and visibility maps)
// of the tables the reports read, after a bulk load.
func (s *Store) AnalyzeReports(ctx context.Context) error {
	for _, sql := range []string{
		`VACUUM (ANALYZE) users, gradebook, grades, attempts, attempt_items, class_members, class_grades, class_gradebook`,
		`ANALYZE responses`,
	} {
		if _, err := s.pool.Exec(ctx, sql); err != nil {
			return opError("analyze", err)
		}
	}
	return nil
}

// BulkClass is a class to create in bulk (the demo classes of `twelve admin
// demo-data`): no dates, no join link, time zone UTC.
type BulkClass struct {
	Slug, Name string
}

// BulkCreateClasses creates the classes in one transaction, announcing each
// on ClassChannel, and returns their ids in order. A slug already taken
// fails them all with ErrSlugTaken.
func (s *Store) BulkCreateClasses(ctx context.Context, classes []BulkClass) ([]int64, error) {
	slugs, names := make([]string, len(classes)), make([]string, len(classes))
	for i, c := range classes {
		slugs[i], names[i] = c.Slug, c.Name
	}
	var ids []int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT slug FROM classes WHERE slug = ANY($1::text[]) LIMIT 1`, slugs)
		taken, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(taken) > 0 {
			return fmt.Errorf("%w: %s", ErrSlugTaken, taken[0])
		}
		bySlug := make(map[string]int64, len(classes))
		rows, _ = tx.Query(ctx, `INSERT INTO classes (slug, name) SELECT * FROM unnest($1::text[], $2::text[]) RETURNING id, slug`, slugs, names)
		var id int64
		var slug string
		if _, err := pgx.ForEachRow(rows, []any{&id, &slug}, func() error { bySlug[slug] = id; return nil }); err != nil {
			return err
		}
		ids = make([]int64, len(classes))
		for i, c := range classes {
			ids[i] = bySlug[c.Slug]
		}
		_, err = tx.Exec(ctx, notifyClassesSQL, ClassChannel, ids)
		return err
	})
	if errors.Is(err, ErrSlugTaken) {
		return nil, err
	}
	if err != nil {
		return nil, opError("bulk create classes", err)
	}
	return ids, nil
}

// DeleteEmptyClasses deletes the classes whose slug matches the regular
// expression slugPattern (PostgreSQL's ~) and that have no member and no
// invite, and returns how many it deleted. A class someone belongs to is
// never deleted.
func (s *Store) DeleteEmptyClasses(ctx context.Context, slugPattern string) (int64, error) {
	var deleted int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `
DELETE FROM classes c
WHERE c.slug ~ $1
  AND NOT EXISTS (SELECT 1 FROM class_members m WHERE m.class_id = c.id)
  AND NOT EXISTS (SELECT 1 FROM class_invites i WHERE i.class_id = c.id)
RETURNING c.id`, slugPattern)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		deleted = int64(len(ids))
		_, err = tx.Exec(ctx, notifyClassesSQL, ClassChannel, ids)
		return err
	})
	if err != nil {
		return 0, opError("delete classes", err)
	}
	return deleted, nil
}
