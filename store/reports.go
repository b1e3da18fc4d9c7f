package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/quiz"
)

// The instructor reports read two summaries kept in the transaction of every
// attempt insert (see migrations/00002_reports.sql): gradebook, one row per
// user with their twelve lesson grades and total, and attempt_items, one row
// per attempt with its per-position scores for item statistics. Both are
// computed by the statements below, whether for one submitted attempt or for
// a bulk load.

// refreshGradebookSQL recomputes the gradebook rows of the users $1 from
// their grades, by the SQL function that defines a gradebook row
// (migrations/00004_refresh_gradebook.sql).
const refreshGradebookSQL = `SELECT refresh_gradebook($1::bigint[])`

// recordItemQuestionsSQL numbers the questions of the attempts $1 that
// item statistics have not seen before, and recordAttemptItemsSQL
// summarises those attempts: per position, the question's number, the
// fraction of its points earned and the options chosen.
// migrations/00002_reports.sql runs the same statements for every attempt.
const (
	recordItemQuestionsSQL = `
INSERT INTO item_questions (quiz, question)
SELECT DISTINCT a.quiz, r.question
FROM attempts a
JOIN responses r ON r.attempt_id = a.id
WHERE a.id = ANY($1::uuid[])
ORDER BY 1, 2
ON CONFLICT (quiz, question) DO NOTHING`
	recordAttemptItemsSQL = `
INSERT INTO attempt_items (attempt_id, quiz, attempt_no, questions, fractions, choices)
SELECT a.id, a.quiz, a.attempt_no,
       array_agg(q.id ORDER BY r.position),
       array_agg(r.score / r.max_score ORDER BY r.position),
       array_agg(CASE
           WHEN jsonb_typeof(r.answer -> 'choices') = 'array'
               THEN coalesce((SELECT string_agg(c, ',' ORDER BY c) FROM jsonb_array_elements_text(r.answer -> 'choices') AS c), '')
           WHEN jsonb_typeof(r.answer -> 'truth') = 'boolean' THEN r.answer ->> 'truth'
           ELSE ''
       END ORDER BY r.position)
FROM attempts a
JOIN responses r ON r.attempt_id = a.id
JOIN item_questions q ON q.quiz = a.quiz AND q.question = r.question
WHERE a.id = ANY($1::uuid[])
GROUP BY a.id, a.quiz, a.attempt_no
ON CONFLICT (attempt_id, quiz) DO NOTHING`
)

// queueReports queues the report summaries' update for a newly stored
// attempt into the batch that stores it (store.SaveAttempt), after its
// responses and grade.
func queueReports(b *pgx.Batch, userID int64, attemptID string) {
	ids := []string{attemptID}
	b.Queue(recordItemQuestionsSQL, ids)
	b.Queue(recordAttemptItemsSQL, ids)
	b.Queue(refreshGradebookSQL, []int64{userID})
}

// LessonSummary is one lesson's results across the cohort, from grades.
type LessonSummary struct {
	Quiz     string  `db:"quiz"`
	Students int     `db:"students"` // students with at least one attempt
	Attempts int     `db:"attempts"`
	Passed   int     `db:"passed"`
	Mean     float64 `db:"mean"` // mean graded score, fraction 0..1
}

// Cohort is the course's results as a whole, from the gradebook.
type Cohort struct {
	Students  int     `db:"students"`  // every student who has signed in
	Active    int     `db:"active"`    // with at least one attempt
	Completed int     `db:"completed"` // passed every lesson
	MeanTotal float64 `db:"mean_total"`
	// TotalBands counts active students by total, in tenths: [0,10%),
	// [10%,20%) … [90%,100%].
	TotalBands [10]int
}

const lessonSummariesSQL = `
SELECT quiz, count(*) AS students, sum(attempts)::int AS attempts,
       count(*) FILTER (WHERE passed) AS passed, avg(grade) AS mean
FROM grades g JOIN users u ON u.id = g.user_id
WHERE ` + studentsOnly + `
GROUP BY quiz`

const cohortSQL = `
SELECT count(*) AS students,
       count(*) FILTER (WHERE attempted > 0) AS active,
       count(*) FILTER (WHERE passes >= (SELECT count(*) FROM lessons)) AS completed,
       coalesce(avg(total) FILTER (WHERE attempted > 0), 0) AS mean_total
FROM gradebook gb JOIN users u ON u.id = gb.user_id
WHERE ` + studentsOnly

const totalBandsSQL = `
SELECT least(floor(total * 10), 9)::int AS band, count(*)::int
FROM gradebook gb JOIN users u ON u.id = gb.user_id
WHERE attempted > 0 AND ` + studentsOnly + `
GROUP BY 1`

// A class's figures come from its own grades and gradebook, its student
// members only: class_grades keeps the grades of someone who left the class
// or became its staff, so they are joined with the class's gradebook rows.
const (
	classLessonSummariesSQL = `
SELECT g.quiz, count(*) AS students, sum(g.attempts)::int AS attempts,
       count(*) FILTER (WHERE g.passed) AS passed, avg(g.grade) AS mean
FROM class_grades g JOIN class_gradebook gb ON gb.class_id = g.class_id AND gb.user_id = g.user_id
WHERE g.class_id = $1
GROUP BY g.quiz`
	classCohortSQL = `
SELECT count(*) AS students,
       count(*) FILTER (WHERE attempted > 0) AS active,
       count(*) FILTER (WHERE passes >= (SELECT count(*) FROM lessons)) AS completed,
       coalesce(avg(total) FILTER (WHERE attempted > 0), 0) AS mean_total
FROM class_gradebook gb
WHERE gb.class_id = $1`
	classTotalBandsSQL = `
SELECT least(floor(total * 10), 9)::int AS band, count(*)::int
FROM class_gradebook gb
WHERE gb.class_id = $1 AND attempted > 0
GROUP BY 1`
)

// Overview returns each lesson's summary by quiz slug and the cohort's,
// for the whole course.
func (s *Store) Overview(ctx context.Context) (map[string]LessonSummary, Cohort, error) {
	return s.OverviewIn(ctx, 0)
}

// OverviewIn returns each lesson's summary by quiz slug and the cohort's,
// for a class (its student members, by its grades) or, class 0, the course.
func (s *Store) OverviewIn(ctx context.Context, class int64) (map[string]LessonSummary, Cohort, error) {
	var c Cohort
	summaries, cohort, bands, args := lessonSummariesSQL, cohortSQL, totalBandsSQL, []any(nil)
	if class != 0 {
		summaries, cohort, bands, args = classLessonSummariesSQL, classCohortSQL, classTotalBandsSQL, []any{class}
	}
	rows, err := s.pool.Query(ctx, summaries, args...)
	if err != nil {
		return nil, c, opError("overview", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[LessonSummary])
	if err != nil {
		return nil, c, opError("overview", err)
	}
	byQuiz := make(map[string]LessonSummary, len(list))
	for _, l := range list {
		byQuiz[l.Quiz] = l
	}
	err = s.pool.QueryRow(ctx, cohort, args...).Scan(&c.Students, &c.Active, &c.Completed, &c.MeanTotal)
	if err != nil {
		return nil, c, opError("overview", err)
	}
	rows, err = s.pool.Query(ctx, bands, args...)
	if err != nil {
		return nil, c, opError("overview", err)
	}
	var band, n int
	_, err = pgx.ForEachRow(rows, []any{&band, &n}, func() error {
		if band >= 0 && band < len(c.TotalBands) {
			c.TotalBands[band] = n
		}
		return nil
	})
	if err != nil {
		return nil, c, opError("overview", err)
	}
	return byQuiz, c, nil
}

// Item statistics read one quiz's partition of attempt_items; the choices
// come as one string per attempt (positions joined by "|"), which is
// cheaper to send and decode than an array of short strings.
const (
	itemQuestionsSQL     = `SELECT id, question FROM item_questions WHERE quiz = $1`
	firstAttemptItemsSQL = `SELECT questions, fractions, array_to_string(choices, '|') FROM attempt_items WHERE quiz = $1 AND attempt_no = 1`
	allAttemptItemsSQL   = `SELECT questions, fractions, array_to_string(choices, '|') FROM attempt_items WHERE quiz = $1`
	// A class's attempts, found by attempts_class_idx (whose predicate the
	// literal class_id <> 0 lets any plan use), each joined to its summary
	// in the quiz's partition.
	classAttemptItemsSQL = `
SELECT ai.questions, ai.fractions, array_to_string(ai.choices, '|')
FROM attempts a JOIN attempt_items ai ON ai.attempt_id = a.id AND ai.quiz = $1
WHERE a.class_id = $2 AND a.class_id <> 0 AND a.quiz = $1`
	classFirstAttemptItemsSQL = classAttemptItemsSQL + ` AND a.attempt_no = 1`
)

// EachScoredAttempt calls fn with every attempt of the quiz (first attempts
// only unless all), as item statistics see it: see EachScoredAttemptIn.
func (s *Store) EachScoredAttempt(ctx context.Context, quizSlug string, all bool, fn func(quiz.ScoredAttempt) error) error {
	return s.EachScoredAttemptIn(ctx, 0, quizSlug, all, fn)
}

// EachScoredAttemptIn calls fn with every attempt of the quiz taken in a
// class (class 0: every attempt of the course, in a class or not), first
// attempts only unless all, as item statistics see it. A first attempt is
// one numbered 1, and attempt numbers count per class. It streams: memory
// does not grow with the number of attempts, and the attempt passed to fn
// is reused.
func (s *Store) EachScoredAttemptIn(ctx context.Context, class int64, quizSlug string, all bool, fn func(quiz.ScoredAttempt) error) error {
	rows, err := s.pool.Query(ctx, itemQuestionsSQL, quizSlug)
	if err != nil {
		return opError("item questions", err)
	}
	names := map[int32]string{}
	var id int32
	var name string
	if _, err := pgx.ForEachRow(rows, []any{&id, &name}, func() error { names[id] = name; return nil }); err != nil {
		return opError("item questions", err)
	}
	sql, args := firstAttemptItemsSQL, []any{quizSlug}
	switch {
	case class == 0 && all:
		sql = allAttemptItemsSQL
	case class != 0 && all:
		sql, args = classAttemptItemsSQL, []any{quizSlug, class}
	case class != 0:
		sql, args = classFirstAttemptItemsSQL, []any{quizSlug, class}
	}
	rows, err = s.pool.Query(ctx, sql, args...)
	if err != nil {
		return opError("attempt items", err)
	}
	var questions []int32
	var fractions []float64
	var choices string
	// One attempt and one slice of choices, reused row after row: a quiz's
	// statistics read a hundred thousand rows, and garbage is time.
	var a quiz.ScoredAttempt
	var chosen []string
	_, err = pgx.ForEachRow(rows, []any{&questions, &fractions, &choices}, func() error {
		if len(fractions) != len(questions) {
			return fmt.Errorf("attempt items of unequal lengths")
		}
		a, chosen = a[:0], chosen[:0]
		rest := choices
		for i, q := range questions {
			var here string
			here, rest, _ = strings.Cut(rest, "|")
			from := len(chosen)
			for here != "" {
				var c string
				c, here, _ = strings.Cut(here, ",")
				chosen = append(chosen, c)
			}
			item := quiz.ScoredItem{Question: names[q], Fraction: fractions[i]}
			if len(chosen) > from {
				item.Choices = chosen[from:len(chosen):len(chosen)]
			}
			a = append(a, item)
		}
		return fn(a)
	})
	if err != nil {
		return opError("attempt items", err)
	}
	return nil
}
