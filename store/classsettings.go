package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/quiz"
)

// A class's quiz settings are stored as the schema has them: durations in
// whole minutes, pass marks and late percentages in whole percents, the
// review as JSON. NULL keeps the quiz's own value.

const (
	upsertQuizSettingsSQL = `
INSERT INTO class_quiz_settings (class_id, quiz, opens_at, due_at, closes_at, attempt_limit, time_limit_minutes,
    pass_mark, grading, review, late_policy, penalty_per_day, penalty_floor, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now())
ON CONFLICT (class_id, quiz) DO UPDATE SET
    opens_at = EXCLUDED.opens_at, due_at = EXCLUDED.due_at, closes_at = EXCLUDED.closes_at,
    attempt_limit = EXCLUDED.attempt_limit, time_limit_minutes = EXCLUDED.time_limit_minutes,
    pass_mark = EXCLUDED.pass_mark, grading = EXCLUDED.grading, review = EXCLUDED.review,
    late_policy = EXCLUDED.late_policy, penalty_per_day = EXCLUDED.penalty_per_day,
    penalty_floor = EXCLUDED.penalty_floor, updated_at = now()`
	quizSettingsColumns = `class_id, quiz, opens_at, due_at, closes_at, attempt_limit, time_limit_minutes,
    pass_mark, grading, review, late_policy, penalty_per_day, penalty_floor`
)

// percent is a fraction 0..1 in whole percents.
func percent(f float64) int { return int(math.Round(f * 100)) }

// SetQuizSettings stores the class's settings for one quiz, replacing any
// it had: a nil field is stored as NULL (the quiz's own value). TimeLimit
// is kept in whole minutes and PassMark in whole percents, as are the late
// policy's fractions. ErrNotFound when there is no such class; ErrInvalid
// for values the schema refuses (a negative limit, dates out of order,
// percentages past 100, an unknown grading method or late policy).
func (s *Store) SetQuizSettings(ctx context.Context, qs QuizSettings) error {
	return s.SaveQuizSettings(ctx, qs.ClassID, []QuizSettings{qs}, nil)
}

// ClearQuizSettings removes the class's settings for quiz: the quiz's
// own apply again. Clearing settings that are not there does nothing.
func (s *Store) ClearQuizSettings(ctx context.Context, classID int64, quizSlug string) error {
	return s.SaveQuizSettings(ctx, classID, nil, []string{quizSlug})
}

// SaveQuizSettings stores the settings set (each as SetQuizSettings does)
// and clears those of the quizzes in clear, for class classID, in one
// transaction: all of it is saved or none.
func (s *Store) SaveQuizSettings(ctx context.Context, classID int64, set []QuizSettings, clear []string) error {
	b := &pgx.Batch{}
	for _, qs := range set {
		if qs.ClassID != classID {
			return fmt.Errorf("store: save quiz settings: settings of class %d given for class %d", qs.ClassID, classID)
		}
		args, err := quizSettingsArgs(qs)
		if err != nil {
			return err
		}
		b.Queue(upsertQuizSettingsSQL, args...)
	}
	if len(clear) > 0 {
		b.Queue(`DELETE FROM class_quiz_settings WHERE class_id = $1 AND quiz = ANY($2)`, classID, clear)
	}
	if b.Len() == 0 {
		return nil
	}
	err := s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		err := tx.SendBatch(ctx, b).Close()
		return classID, err == nil, err
	})
	if err != nil {
		return classWriteError("save quiz settings", err)
	}
	return nil
}

// quizSettingsArgs are the arguments of upsertQuizSettingsSQL for qs.
func quizSettingsArgs(qs QuizSettings) ([]any, error) {
	var minutes, passMark *int
	var grading *string
	var review []byte
	if qs.TimeLimit != nil {
		m := int(qs.TimeLimit.Round(time.Minute) / time.Minute)
		minutes = &m
	}
	if qs.PassMark != nil {
		p := percent(*qs.PassMark)
		passMark = &p
	}
	if qs.Grading != nil {
		g := string(*qs.Grading)
		grading = &g
	}
	if qs.Review != nil {
		var err error
		if review, err = json.Marshal(qs.Review); err != nil {
			return nil, fmt.Errorf("store: set quiz settings: %w", err)
		}
	}
	mode := qs.Late.Mode
	if mode == "" {
		mode = quiz.LateAccept
	}
	return []any{qs.ClassID, qs.Quiz, qs.OpensAt, qs.DueAt, qs.ClosesAt,
		qs.AttemptLimit, minutes, passMark, grading, review, mode, percent(qs.Late.PerDay), percent(qs.Late.Floor)}, nil
}

// scanQuizSettings reads a row of quizSettingsColumns.
func scanQuizSettings(row pgx.CollectableRow) (QuizSettings, error) {
	var qs QuizSettings
	var minutes, passMark *int
	var grading *string
	var review []byte
	var perDay, floor int
	err := row.Scan(&qs.ClassID, &qs.Quiz, &qs.OpensAt, &qs.DueAt, &qs.ClosesAt, &qs.AttemptLimit, &minutes,
		&passMark, &grading, &review, &qs.Late.Mode, &perDay, &floor)
	if err != nil {
		return QuizSettings{}, err
	}
	if minutes != nil {
		d := time.Duration(*minutes) * time.Minute
		qs.TimeLimit = &d
	}
	if passMark != nil {
		p := float64(*passMark) / 100
		qs.PassMark = &p
	}
	if grading != nil {
		g := quiz.Method(*grading)
		qs.Grading = &g
	}
	if review != nil {
		qs.Review = new(quiz.Review)
		if err := json.Unmarshal(review, qs.Review); err != nil {
			return QuizSettings{}, fmt.Errorf("review of %s in class %d: %w", qs.Quiz, qs.ClassID, err)
		}
	}
	if qs.Late.Mode == quiz.LateAccept {
		qs.Late.Mode = "" // the zero value accepts
	}
	qs.Late.PerDay, qs.Late.Floor = float64(perDay)/100, float64(floor)/100
	return qs, nil
}

const (
	// upsertAccommodationSQL writes only for a student member: none for
	// anyone else.
	upsertAccommodationSQL = `
INSERT INTO accommodations (class_id, user_id, quiz, time_factor, extra_minutes, extra_attempts, due_at, closes_at, note, updated_at)
SELECT m.class_id, m.user_id, $3, $4, $5, $6, $7, $8, $9, now()
FROM class_members m WHERE m.class_id = $1 AND m.user_id = $2 AND m.role = 'student'
ON CONFLICT (class_id, user_id, quiz) DO UPDATE SET
    time_factor = EXCLUDED.time_factor, extra_minutes = EXCLUDED.extra_minutes,
    extra_attempts = EXCLUDED.extra_attempts, due_at = EXCLUDED.due_at, closes_at = EXCLUDED.closes_at,
    note = EXCLUDED.note, updated_at = now()`
	accommodationColumns = `class_id, user_id, quiz, time_factor, extra_minutes, extra_attempts, due_at, closes_at, note`
)

// SetAccommodation stores a student's accommodation in a class, for one
// quiz or (Quiz "") every quiz, replacing the one there was. A TimeFactor
// of 0 is stored as 1 (none). ErrNotMember when the user is not a student
// of the class (staff have no accommodations); ErrInvalid for values the
// schema refuses (a factor past 10, more than a week of extra minutes,
// more than 100 extra attempts, a close before the due date, a note over
// 500 characters).
func (s *Store) SetAccommodation(ctx context.Context, a Accommodation) error {
	if a.TimeFactor == 0 {
		a.TimeFactor = 1
	}
	err := s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		tag, err := tx.Exec(ctx, upsertAccommodationSQL, a.ClassID, a.UserID, a.Quiz, a.TimeFactor,
			a.ExtraMinutes, a.ExtraAttempts, a.DueAt, a.ClosesAt, a.Note)
		if err == nil && tag.RowsAffected() == 0 {
			err = ErrNotMember
		}
		return a.ClassID, err == nil, err
	})
	if err != nil {
		return classWriteError("set accommodation", err)
	}
	return nil
}

// DeleteAccommodation removes a student's accommodation in a class for
// quiz ("" for the one for every quiz). Deleting one that is not there
// does nothing.
func (s *Store) DeleteAccommodation(ctx context.Context, classID, userID int64, quizSlug string) error {
	err := s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		tag, err := tx.Exec(ctx, `DELETE FROM accommodations WHERE class_id = $1 AND user_id = $2 AND quiz = $3`,
			classID, userID, quizSlug)
		return classID, err == nil && tag.RowsAffected() > 0, err
	})
	if err != nil {
		return classWriteError("delete accommodation", err)
	}
	return nil
}

func scanAccommodation(row pgx.CollectableRow) (Accommodation, error) {
	var a Accommodation
	err := row.Scan(&a.ClassID, &a.UserID, &a.Quiz, &a.TimeFactor, &a.ExtraMinutes, &a.ExtraAttempts,
		&a.DueAt, &a.ClosesAt, &a.Note)
	return a, err
}
