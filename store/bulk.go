package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/quiz"
)

// BulkStudent is a user with graded attempts, for loading many at once
// (the synthetic data of `twelve admin demo-data`).
type BulkStudent struct {
	Issuer, Subject, Email, Name string
	SignedUp                     time.Time
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
func (s *Store) BulkSaveAttempts(ctx context.Context, students []BulkStudent, settings map[string]quiz.Settings) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		ids, err := bulkUsers(ctx, tx, students)
		if err != nil {
			return fmt.Errorf("users: %w", err)
		}
		var grades [][]any
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

func copyAttempts(ctx context.Context, tx pgx.Tx, students []BulkStudent) error {
	i, j := 0, 0
	row := make([]any, 10)
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"attempts"},
		[]string{"id", "user_id", "quiz", "version", "attempt_no", "seed", "started_at", "submitted_at", "score", "max_score"},
		pgx.CopyFromFunc(func() ([]any, error) {
			for ; i < len(students); i, j = i+1, 0 {
				if j < len(students[i].Attempts) {
					a := &students[i].Attempts[j]
					j++
					row[0], row[1], row[2], row[3], row[4] = a.ID, a.UserID, a.Quiz, a.Version, a.AttemptNo
					row[5], row[6], row[7], row[8], row[9] = a.Seed, a.StartedAt, a.SubmittedAt, a.Score, a.MaxScore
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
    class_grades, class_gradebook, accommodations, class_members, users`)
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
		`VACUUM (ANALYZE) users, gradebook, grades, attempts, attempt_items`,
		`ANALYZE responses`,
	} {
		if _, err := s.pool.Exec(ctx, sql); err != nil {
			return opError("analyze", err)
		}
	}
	return nil
}
