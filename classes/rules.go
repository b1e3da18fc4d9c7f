// Package classes is what a web process knows of Twelve's classes: every
// class, its members, its quiz settings and its students' accommodations,
// held in memory (Directory) and kept current by PostgreSQL LISTEN/NOTIFY,
// and the one function that combines a quiz's defaults, a class's setting
// and a student's accommodation into the rules of an attempt (Resolve).
// A quiz start reads only this, so it costs no database round trip.
package classes

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

// Rules are the rules of one student's attempts of one quiz in one class.
type Rules struct {
	Class int64 // 0: the open course
	// Settings are the quiz's settings with the class's overrides and the
	// student's accommodation applied (attempt limit with extra attempts,
	// time limit with extra time).
	Settings quiz.Settings
	// OpensAt, DueAt and ClosesAt are zero when unset. DueAt and ClosesAt
	// are the student's own when they have them.
	OpensAt, DueAt, ClosesAt time.Time
	Late                     quiz.LatePolicy
	// Extended reports whether an accommodation changed anything, so the
	// student's pages can say so.
	Extended bool
}

// Resolve combines, field by field, the quiz's defaults, the class's
// setting for the quiz (nil: none) and the student's accommodations: the
// one for every quiz of the class and the one for this quiz (either nil),
// the latter winning where both set a date. Extra time and attempts add up
// across the two.
func Resolve(class int64, defaults quiz.Settings, set *store.QuizSettings, whole, one *store.Accommodation) Rules {
	r := Rules{Class: class, Settings: defaults}
	if set != nil {
		s := &r.Settings
		r.OpensAt, r.DueAt, r.ClosesAt = deref(set.OpensAt), deref(set.DueAt), deref(set.ClosesAt)
		if set.AttemptLimit != nil {
			s.AttemptLimit = *set.AttemptLimit
		}
		if set.TimeLimit != nil {
			s.TimeLimit = *set.TimeLimit
		}
		if set.PassMark != nil {
			s.PassMark = *set.PassMark
		}
		if set.Grading != nil {
			s.Grading = *set.Grading
		}
		if set.Review != nil {
			s.Review = *set.Review
		}
		r.Late = set.Late
	}
	factor, extra, attempts := 1.0, 0, 0
	for _, a := range []*store.Accommodation{whole, one} {
		if a == nil {
			continue
		}
		if a.TimeFactor > 1 {
			factor = math.Max(factor, a.TimeFactor)
		}
		extra += a.ExtraMinutes
		attempts += a.ExtraAttempts
		if a.DueAt != nil {
			r.DueAt = *a.DueAt
			r.Extended = true
		}
		if a.ClosesAt != nil {
			r.ClosesAt = *a.ClosesAt
			r.Extended = true
		}
	}
	if r.Settings.TimeLimit > 0 && (factor > 1 || extra > 0) {
		limit := time.Duration(float64(r.Settings.TimeLimit) * factor)
		r.Settings.TimeLimit = limit.Round(time.Second) + time.Duration(extra)*time.Minute
		r.Extended = true
	}
	if r.Settings.AttemptLimit > 0 && attempts > 0 {
		r.Settings.AttemptLimit += attempts
		r.Extended = true
	}
	// A personal due date past the class's close date moves the close
	// date with it: an extension that cannot be used is no extension.
	if !r.DueAt.IsZero() && !r.ClosesAt.IsZero() && r.ClosesAt.Before(r.DueAt) {
		r.ClosesAt = r.DueAt
	}
	return r
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// Why a start or a submit is refused.
var (
	ErrNotOpen = errors.New("classes: the quiz is not open yet")
	ErrClosed  = errors.New("classes: the quiz is closed")
)

// Refusal is a start or submit refused by a class's dates, with the date
// that decided it.
type Refusal struct {
	Err error // ErrNotOpen or ErrClosed
	At  time.Time
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("%v (%s)", r.Err, r.At.UTC().Format(time.RFC3339))
}
func (r *Refusal) Unwrap() error { return r.Err }

// CanStart reports why an attempt may not start at now, or nil.
func (r Rules) CanStart(now time.Time) error {
	switch {
	case !r.OpensAt.IsZero() && now.Before(r.OpensAt):
		return &Refusal{ErrNotOpen, r.OpensAt}
	case !r.ClosesAt.IsZero() && !now.Before(r.ClosesAt):
		return &Refusal{ErrClosed, r.ClosesAt}
	case r.Late.Mode == quiz.LateRefuse && !r.DueAt.IsZero() && !now.Before(r.DueAt):
		return &Refusal{ErrClosed, r.DueAt}
	}
	return nil
}

// Token is t, the token of an attempt started under r, carrying the rules
// the attempt keeps whatever changes later: the class, the due and close
// dates, the late policy, the attempt limit and the deadline of the time
// limit with any extra time. An open-course token is returned as it is.
func (r Rules) Token(t quiz.Token) quiz.Token {
	if r.Class == 0 {
		return t
	}
	t.Class, t.Due, t.Close, t.Late = r.Class, r.DueAt, r.ClosesAt, r.Late
	t.Limit = r.Settings.AttemptLimit
	t.Deadline = r.Settings.Deadline(t.Started)
	// The timer never runs past the close date.
	if !t.Deadline.IsZero() && !r.ClosesAt.IsZero() && t.Deadline.After(r.ClosesAt) {
		t.Deadline = r.ClosesAt
	}
	return t
}

// CanSubmit reports why the attempt t may not be submitted at now, judged
// by what its token carries: its close date and its late policy, each
// with the quiz's grace for a submit in flight.
func CanSubmit(t quiz.Token, grace time.Duration, now time.Time) error {
	switch {
	case !t.Close.IsZero() && now.After(t.Close.Add(grace)):
		return &Refusal{ErrClosed, t.Close}
	case !t.Due.IsZero() && t.Late.Refuses(t.Due.Add(grace), now):
		return &Refusal{ErrClosed, t.Due}
	}
	return nil
}

// Lateness is whether the attempt t submitted at now is late and the
// fraction of its grade its class's late policy takes off.
func Lateness(t quiz.Token, now time.Time) (late bool, penalty float64) {
	return t.Late.Penalty(t.Due, now)
}
