package handlers

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// Bounds of a class's quiz settings.
const (
	maxAttemptLimit = 1000
	maxTimeLimit    = 7 * 24 * 60 // minutes
)

// showQuizSettings is the table of the class's settings of every
// lesson's quiz.
func (h *Handler) showQuizSettings(c *echo.Context) error {
	a := classOf(c)
	var rows []views.QuizSettingsRow
	for _, l := range h.views.course.Lessons() {
		q, ok := h.quizzes.Current(l.Slug)
		if !ok {
			continue
		}
		r := h.settingsRow(l.Numeral, l.Title, q)
		if s, ok := h.classes.Setting(a.Class.ID, l.Slug); ok {
			fillSettingsRow(&r, s, a.Class.TimeZone)
		}
		rows = append(rows, r)
	}
	v := views.QuizSettingsView{Header: h.classHeader(a, "quizzes"), Rows: rows, Saved: c.QueryParam("done") == "saved"}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.render(c, http.StatusOK, views.QuizSettingsPage(h.page(c, "Quiz settings: "+a.Class.Name), v))
}

// settingsRow is an empty row for quiz q, its defaults as placeholders.
func (h *Handler) settingsRow(numeral, title string, q *quiz.Quiz) views.QuizSettingsRow {
	f := func(name, placeholder string) views.ClassField {
		return views.ClassField{ID: "q-" + q.Slug + "-" + name, Name: q.Slug + "." + name, Placeholder: placeholder}
	}
	d := q.Settings
	attempts, limit := "unlimited", "none"
	if d.AttemptLimit > 0 {
		attempts = strconv.Itoa(d.AttemptLimit)
	}
	if d.TimeLimit > 0 {
		limit = strconv.Itoa(int(d.TimeLimit.Minutes()))
	}
	return views.QuizSettingsRow{
		Slug: q.Slug, Numeral: numeral, Title: title, DefaultGrading: string(d.Grading),
		OpensAt: f("opens_at", ""), DueAt: f("due_at", ""), ClosesAt: f("closes_at", ""),
		AttemptLimit: f("attempt_limit", attempts), TimeLimit: f("time_limit", limit),
		PassMark: f("pass_mark", strconv.Itoa(int(math.Round(d.PassMark*100)))),
		Grading:  f("grading", ""), Late: f("late", ""),
		PerDay: f("penalty_per_day", ""), Floor: f("penalty_floor", ""),
		Answers: f("right_answers", ""), DefaultAnswers: d.Review.RightAnswers,
	}
}

// fillSettingsRow shows the class's setting s in row r.
func fillSettingsRow(r *views.QuizSettingsRow, s store.QuizSettings, zone string) {
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return classes.LocalValue(*t, zone)
	}
	r.OpensAt.Value, r.DueAt.Value, r.ClosesAt.Value = at(s.OpensAt), at(s.DueAt), at(s.ClosesAt)
	if s.AttemptLimit != nil {
		r.AttemptLimit.Value = strconv.Itoa(*s.AttemptLimit)
	}
	if s.TimeLimit != nil {
		r.TimeLimit.Value = strconv.Itoa(int(s.TimeLimit.Minutes()))
	}
	if s.PassMark != nil {
		r.PassMark.Value = strconv.Itoa(int(math.Round(*s.PassMark * 100)))
	}
	if s.Grading != nil {
		r.Grading.Value = string(*s.Grading)
	}
	if s.Review != nil {
		r.Answers.Value = s.Review.RightAnswers
	}
	r.Late.Value = s.Late.Mode
	if s.Late.Mode == quiz.LatePenalty {
		r.PerDay.Value = strconv.Itoa(int(math.Round(s.Late.PerDay * 100)))
		r.Floor.Value = strconv.Itoa(int(math.Round(s.Late.Floor * 100)))
	}
}

// saveQuizSettings saves the whole table. Every row is checked first; a
// single problem re-shows the table with each problem by its field, and
// saves nothing.
func (h *Handler) saveQuizSettings(c *echo.Context) error {
	a := classOf(c)
	zone := a.Class.TimeZone
	var (
		rows []views.QuizSettingsRow
		sets []store.QuizSettings
		errs []views.FormError
	)
	for _, l := range h.views.course.Lessons() {
		q, ok := h.quizzes.Current(l.Slug)
		if !ok {
			continue
		}
		r := h.settingsRow(l.Numeral, l.Title, q)
		s, rowErrs := readSettingsRow(c, &r, a.Class.ID, q.Slug, zone)
		errs = append(errs, rowErrs...)
		rows = append(rows, r)
		sets = append(sets, s)
	}
	if len(errs) > 0 {
		v := views.QuizSettingsView{Header: h.classHeader(a, "quizzes"), Rows: rows, Errors: errs}
		c.Response().Header().Set("Cache-Control", "no-store")
		return h.render(c, http.StatusUnprocessableEntity, views.QuizSettingsPage(h.page(c, "Quiz settings: "+a.Class.Name), v))
	}
	var set []store.QuizSettings
	var clear []string
	for _, s := range sets {
		_, had := h.classes.Setting(a.Class.ID, s.Quiz)
		if s.Review != nil {
			// The form sets when right answers show; the rest of the
			// review options are the quiz's own.
			if q, ok := h.quizzes.Current(s.Quiz); ok {
				rev := q.Settings.Review
				rev.RightAnswers = s.Review.RightAnswers
				s.Review = &rev
			}
		}
		switch {
		case emptySetting(s) && !had:
		case emptySetting(s):
			clear = append(clear, s.Quiz)
		default:
			set = append(set, s)
		}
	}
	// One transaction: the table is saved whole or not at all.
	if err := h.store.SaveQuizSettings(c.Request().Context(), a.Class.ID, set, clear); err != nil {
		return err
	}
	h.reloadClass(c, a.Class.ID)
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"/quizzes?done=saved")
}

// emptySetting reports whether s overrides nothing of its quiz.
func emptySetting(s store.QuizSettings) bool {
	return s.OpensAt == nil && s.DueAt == nil && s.ClosesAt == nil && s.AttemptLimit == nil &&
		s.TimeLimit == nil && s.PassMark == nil && s.Grading == nil && s.Review == nil &&
		(s.Late.Mode == "" || s.Late.Mode == quiz.LateAccept)
}

// readSettingsRow reads one quiz's row of the form into r (as typed) and
// the setting it describes, with its problems.
func readSettingsRow(c *echo.Context, r *views.QuizSettingsRow, class int64, slug, zone string) (store.QuizSettings, []views.FormError) {
	s := store.QuizSettings{ClassID: class, Quiz: slug}
	var errs []views.FormError
	bad := func(f *views.ClassField, msg string) {
		if f.Error != "" {
			return
		}
		f.Error = msg
		errs = append(errs, views.FormError{ID: f.ID, Msg: r.Numeral + ". " + r.Title + ": " + msg})
	}
	read := func(f *views.ClassField) string {
		f.Value = strings.TrimSpace(c.FormValue(f.Name))
		return f.Value
	}
	date := func(f *views.ClassField, what string) *time.Time {
		v := read(f)
		if v == "" {
			return nil
		}
		t, err := classes.ParseLocal(v, zone)
		switch {
		case errors.Is(err, classes.ErrSkippedTime):
			bad(f, "the "+what+" time does not exist in "+zone+" (the clocks skip it that night); choose another time.")
			return nil
		case err != nil:
			bad(f, "the "+what+" is not a date and time.")
			return nil
		}
		return &t
	}
	number := func(f *views.ClassField, what string, lo, hi int) *int {
		v := read(f)
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			bad(f, what+" must be a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi)+".")
			return nil
		}
		return &n
	}
	s.OpensAt, s.DueAt, s.ClosesAt = date(&r.OpensAt, "opening"), date(&r.DueAt, "due"), date(&r.ClosesAt, "closing")
	s.AttemptLimit = number(&r.AttemptLimit, "the attempt limit", 0, maxAttemptLimit)
	if n := number(&r.TimeLimit, "the time limit in minutes", 0, maxTimeLimit); n != nil {
		d := time.Duration(*n) * time.Minute
		s.TimeLimit = &d
	}
	if n := number(&r.PassMark, "the pass mark", 0, 100); n != nil {
		f := float64(*n) / 100
		s.PassMark = &f
	}
	switch v := read(&r.Answers); v {
	case "":
	case quiz.ShowAlways, quiz.ShowAfterPassOrEnd, quiz.ShowAfterEnd, quiz.ShowNever:
		s.Review = &quiz.Review{RightAnswers: v} // the rest of it: the quiz's own (saveQuizSettings)
	default:
		bad(&r.Answers, "choose when right answers show from the list.")
	}
	switch g := quiz.Method(read(&r.Grading)); g {
	case "":
	case quiz.Highest, quiz.Latest, quiz.First, quiz.Average:
		s.Grading = &g
	default:
		bad(&r.Grading, "choose a grading method from the list.")
	}
	perDay := number(&r.PerDay, "the penalty per day", 0, 100)
	floor := number(&r.Floor, "the floor", 0, 100)
	switch mode := read(&r.Late); mode {
	case "", quiz.LateAccept:
		s.Late = quiz.LatePolicy{Mode: quiz.LateAccept}
	case quiz.LateRefuse:
		s.Late = quiz.LatePolicy{Mode: quiz.LateRefuse}
	case quiz.LatePenalty:
		s.Late = quiz.LatePolicy{Mode: quiz.LatePenalty}
		switch {
		case perDay == nil || *perDay == 0:
			bad(&r.PerDay, "a penalty policy needs a penalty per day above 0%.")
		default:
			s.Late.PerDay = float64(*perDay) / 100
		}
		if floor != nil {
			s.Late.Floor = float64(*floor) / 100
		}
	default:
		bad(&r.Late, "choose what happens to late submissions from the list.")
	}
	if s.Late.Mode != quiz.LateAccept && s.DueAt == nil && r.DueAt.Error == "" {
		bad(&r.DueAt, "a late policy other than accept needs a due date.")
	}
	switch {
	case s.OpensAt != nil && s.DueAt != nil && !s.DueAt.After(*s.OpensAt):
		bad(&r.DueAt, "the due date must be after the opening date.")
	case s.DueAt != nil && s.ClosesAt != nil && s.ClosesAt.Before(*s.DueAt):
		bad(&r.ClosesAt, "the closing date must not be before the due date.")
	case s.OpensAt != nil && s.ClosesAt != nil && !s.ClosesAt.After(*s.OpensAt):
		bad(&r.ClosesAt, "the closing date must be after the opening date.")
	}
	return s, errs
}
