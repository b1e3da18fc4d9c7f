package handlers

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// A student's own pages (home, /me, a lesson's quiz call to action) show,
// for each class they take quizzes in, each quiz's dates in the class's
// time zone, what is left of it and their own accommodations. All of it
// comes from the class directory, in memory; only the grades are read.

// classGrades reads the student user's grades in classes cs: one query,
// none when cs is empty.
func (h *Handler) classGrades(ctx context.Context, user int64, cs []store.Class) (map[int64]map[string]store.StudentClassGrade, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return h.store.StudentClassGrades(ctx, user, ids)
}

// myClasses is what the student user's pages show of their classes cs at
// now, with their grades in them; nil when cs is empty.
func (h *Handler) myClasses(user int64, cs []store.Class, grades map[int64]map[string]store.StudentClassGrade, now time.Time) []views.StudentClass {
	if len(cs) == 0 {
		return nil
	}
	out := make([]views.StudentClass, 0, len(cs))
	for _, c := range cs {
		loc := classes.Location(c.TimeZone)
		accs := h.classes.Accommodations(c.ID, user)
		sc := views.StudentClass{
			Name: c.Name, Slug: c.Slug, Zone: loc.String(),
			Dates:          classDates(c.StartsOn, c.EndsOn),
			Accommodations: h.accommodationNotes(accs, loc),
		}
		for _, l := range h.views.course.Lessons() {
			cq, r, ok := h.classQuiz(c, l, user, accs, loc, now)
			if !ok {
				continue
			}
			st, attempted := grades[c.ID][l.Slug]
			cq.Grade = "—"
			if attempted {
				cq.Grade, cq.Passed, cq.Late = percent(st.Grade), st.Passed, st.Late
			}
			cq.AttemptsLeft = attemptsLeft(r.Settings.AttemptLimit, r.Settings.AttemptsLeft(st.Attempts))
			sc.Quizzes = append(sc.Quizzes, cq)
		}
		out = append(out, sc)
	}
	return out
}

// attemptsLeft is "2 of 3 attempts left", or "Unlimited attempts" when
// left is negative.
func attemptsLeft(limit, left int) string {
	if left < 0 {
		return "Unlimited attempts"
	}
	return strconv.Itoa(left) + " of " + plural(limit, "attempt left", "attempts left")
}

// classQuiz is lesson l's quiz in class c for user: its state and dates
// at now, in loc, and its rules. ok is false when the lesson has no quiz.
func (h *Handler) classQuiz(c store.Class, l *content.Lesson, user int64, accs map[string]store.Accommodation, loc *time.Location, now time.Time) (cq views.ClassQuiz, r classes.Rules, ok bool) {
	q, ok := h.quizzes.Current(l.Slug)
	if !ok {
		return views.ClassQuiz{}, classes.Rules{}, false
	}
	r = h.classes.Rules(c.ID, user, q)
	cq = views.ClassQuiz{
		Slug: l.Slug, Numeral: l.Numeral, Title: l.Title,
		URL:   views.ClassQuizURL(l.Slug, c.Slug),
		State: "open",
	}
	if !r.DueAt.IsZero() {
		cq.Due = classes.FormatAt(r.DueAt, loc)
		cq.DueIn, cq.Overdue = dueIn(r.DueAt, now, loc), now.After(r.DueAt)
		cq.OwnDue = accs[l.Slug].DueAt != nil || accs[""].DueAt != nil
	}
	if !r.ClosesAt.IsZero() {
		cq.Closes = classes.FormatAt(r.ClosesAt, loc)
	}
	var refusal *classes.Refusal
	if err := r.CanStart(now); errors.As(err, &refusal) {
		switch {
		case errors.Is(err, classes.ErrNotOpen):
			cq.State, cq.Opens = "opens", classes.FormatAt(refusal.At, loc)
		default:
			cq.State, cq.Closes = "closed", classes.FormatAt(refusal.At, loc)
		}
	}
	return cq, r, true
}

// accommodationNotes say, in sentences, what the student's own
// accommodations in a class are: those for every quiz first, then each
// quiz's in course order. Never anyone else's: accs are the student's.
func (h *Handler) accommodationNotes(accs map[string]store.Accommodation, loc *time.Location) []string {
	var notes []string
	if a, ok := accs[""]; ok {
		notes = append(notes, accommodationNote(a, "on every quiz of this class", loc)...)
	}
	for _, l := range h.views.course.Lessons() {
		if a, ok := accs[l.Slug]; ok {
			notes = append(notes, accommodationNote(a, "on the quiz of lesson "+l.Numeral+" ("+l.Title+")", loc)...)
		}
	}
	return notes
}

// accommodationNote is one accommodation as sentences; where names the
// quizzes it covers ("on every quiz of this class").
func accommodationNote(a store.Accommodation, where string, loc *time.Location) []string {
	var notes, extra []string
	if a.TimeFactor > 1 {
		extra = append(extra, factorText(a.TimeFactor)+" time")
	}
	if a.ExtraMinutes > 0 {
		extra = append(extra, plural(a.ExtraMinutes, "extra minute", "extra minutes"))
	}
	if len(extra) > 0 {
		notes = append(notes, "You have "+strings.Join(extra, " plus ")+" "+where+" (on a timed quiz).")
	}
	if a.ExtraAttempts > 0 {
		notes = append(notes, "You have "+plural(a.ExtraAttempts, "extra attempt", "extra attempts")+" "+where+" (on a quiz that limits attempts).")
	}
	if a.DueAt != nil {
		notes = append(notes, "Your own due date "+where+": "+classes.FormatAt(*a.DueAt, loc)+".")
	}
	if a.ClosesAt != nil {
		notes = append(notes, "Your own closing date "+where+": "+classes.FormatAt(*a.ClosesAt, loc)+".")
	}
	return notes
}
