package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// accommodationForm is the add-or-replace form as typed.
type accommodationForm struct {
	Student, Quiz, Factor, Minutes, Attempts, DueAt, ClosesAt, Note views.ClassField
}

func newAccommodationForm() accommodationForm {
	f := func(name string) views.ClassField { return views.ClassField{ID: "acc-" + name, Name: name} }
	return accommodationForm{
		Student: f("user"), Quiz: f("quiz"), Factor: f("time_factor"), Minutes: f("extra_minutes"),
		Attempts: f("extra_attempts"), DueAt: f("due_at"), ClosesAt: f("closes_at"), Note: f("note"),
	}
}

// showAccommodations lists the class's accommodations with the form.
func (h *Handler) showAccommodations(c *echo.Context) error {
	form := newAccommodationForm()
	form.Factor.Placeholder, form.Minutes.Placeholder, form.Attempts.Placeholder = "1", "0", "0"
	notice := ""
	switch c.QueryParam("done") {
	case "saved":
		notice = "The accommodation was saved. It applies to attempts started from now on."
	case "deleted":
		notice = "The accommodation was deleted."
	}
	return h.renderAccommodations(c, http.StatusOK, form, nil, notice)
}

func (h *Handler) renderAccommodations(c *echo.Context, status int, form accommodationForm, errs []views.FormError, notice string) error {
	a := classOf(c)
	members, err := h.store.ClassMembers(c.Request().Context(), a.Class.ID)
	if err != nil {
		return err
	}
	titles := map[string]string{"": "All quizzes"}
	v := views.AccommodationsView{
		Header: h.classHeader(a, "accommodations"), Errors: errs, Notice: notice,
		Student: form.Student, Quiz: form.Quiz, Factor: form.Factor, Minutes: form.Minutes, Attempts: form.Attempts,
		DueAt: form.DueAt, ClosesAt: form.ClosesAt, Note: form.Note,
		Quizzes: []views.Option{{Value: "", Label: "All quizzes", Selected: form.Quiz.Value == ""}},
	}
	for _, l := range h.views.course.Lessons() {
		titles[l.Slug] = l.Numeral + ". " + l.Title
		v.Quizzes = append(v.Quizzes, views.Option{Value: l.Slug, Label: titles[l.Slug], Selected: form.Quiz.Value == l.Slug})
	}
	zone := a.Class.TimeZone
	at := func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return classes.FormatIn(*t, zone)
	}
	for _, m := range members {
		if m.Role != store.RoleStudent {
			continue
		}
		id := strconv.FormatInt(m.UserID, 10)
		name := orUnnamed(m.Name) + " (" + m.Email + ")"
		v.Students = append(v.Students, views.Option{Value: id, Label: name, Selected: form.Student.Value == id})
		accs := h.classes.Accommodations(a.Class.ID, m.UserID)
		quizzes := make([]string, 0, len(accs))
		for q := range accs {
			quizzes = append(quizzes, q)
		}
		slices.Sort(quizzes)
		for _, q := range quizzes {
			ac := accs[q]
			title, ok := titles[q]
			if !ok {
				title = q
			}
			v.Rows = append(v.Rows, views.AccommodationRow{
				UserID: id, Quiz: q, Student: name, QuizTitle: title,
				ExtraTime: extraTime(ac), ExtraAttempts: strconv.Itoa(ac.ExtraAttempts),
				DueAt: at(ac.DueAt), ClosesAt: at(ac.ClosesAt), Note: ac.Note,
			})
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.render(c, status, views.AccommodationsPage(h.page(c, "Accommodations: "+a.Class.Name), v))
}

// extraTime shows an accommodation's extra time: "× 1.5 + 10 min".
func extraTime(a store.Accommodation) string {
	var parts []string
	if a.TimeFactor > 1 {
		parts = append(parts, "× "+strconv.FormatFloat(a.TimeFactor, 'f', -1, 64))
	}
	if a.ExtraMinutes > 0 {
		parts = append(parts, "+ "+strconv.Itoa(a.ExtraMinutes)+" min")
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " ")
}

var errNotClassStudent = &Error{Status: http.StatusUnprocessableEntity, Heading: "Not a student of this class",
	Message: "Accommodations are for the class's students: that person is not one, so nothing was saved. Choose a student from the list."}

// saveAccommodation adds or replaces one student's accommodation for a
// quiz (or every quiz). TAs may, as may the class's instructors.
func (h *Handler) saveAccommodation(c *echo.Context) error {
	a := classOf(c)
	form := newAccommodationForm()
	read := func(f *views.ClassField) string {
		f.Value = strings.TrimSpace(c.FormValue(f.Name))
		return f.Value
	}
	var errs []views.FormError
	bad := func(f *views.ClassField, msg string) {
		if f.Error == "" {
			f.Error = msg
			errs = append(errs, views.FormError{ID: f.ID, Msg: msg})
		}
	}
	user, err := strconv.ParseInt(read(&form.Student), 10, 64)
	if err != nil || h.classes.Role(a.Class.ID, user) != store.RoleStudent {
		return errNotClassStudent
	}
	acc := store.Accommodation{ClassID: a.Class.ID, UserID: user, Quiz: read(&form.Quiz), TimeFactor: 1}
	if _, ok := h.views.course.Lesson(acc.Quiz); acc.Quiz != "" && !ok {
		bad(&form.Quiz, "Choose a quiz from the list.")
	}
	if v := read(&form.Factor); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 1 || f > 10 {
			bad(&form.Factor, "The time factor must be a number from 1 to 10, such as 1.5.")
		} else {
			acc.TimeFactor = f
		}
	}
	whole := func(f *views.ClassField, what string, hi int) int {
		v := read(f)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > hi {
			bad(f, what+" must be a whole number from 0 to "+strconv.Itoa(hi)+".")
			return 0
		}
		return n
	}
	acc.ExtraMinutes = whole(&form.Minutes, "Extra minutes", 10080)
	acc.ExtraAttempts = whole(&form.Attempts, "Extra attempts", 100)
	date := func(f *views.ClassField, what string) *time.Time {
		v := read(f)
		if v == "" {
			return nil
		}
		t, err := classes.ParseLocal(v, a.Class.TimeZone)
		switch {
		case errors.Is(err, classes.ErrSkippedTime):
			bad(f, "The "+what+" time does not exist in "+a.Class.TimeZone+" (the clocks skip it that night); choose another time.")
			return nil
		case err != nil:
			bad(f, "The "+what+" is not a date and time.")
			return nil
		}
		return &t
	}
	acc.DueAt, acc.ClosesAt = date(&form.DueAt, "due date"), date(&form.ClosesAt, "close date")
	if acc.DueAt != nil && acc.ClosesAt != nil && acc.ClosesAt.Before(*acc.DueAt) {
		bad(&form.ClosesAt, "The close date must not be before the due date.")
	}
	if acc.Note = read(&form.Note); utf8.RuneCountInString(acc.Note) > 500 {
		bad(&form.Note, "The note is longer than 500 characters.")
	}
	if len(errs) == 0 && acc.TimeFactor == 1 && acc.ExtraMinutes == 0 && acc.ExtraAttempts == 0 && acc.DueAt == nil && acc.ClosesAt == nil {
		bad(&form.Factor, "This accommodation changes nothing: give extra time, extra attempts or a date.")
	}
	if len(errs) > 0 {
		return h.renderAccommodations(c, http.StatusUnprocessableEntity, form, errs, "")
	}
	err = h.store.SetAccommodation(c.Request().Context(), acc)
	if errors.Is(err, store.ErrNotMember) {
		return errNotClassStudent
	}
	if err != nil {
		return err
	}
	h.reloadClass(c, a.Class.ID)
	h.logger.InfoContext(c.Request().Context(), "accommodation saved", "class_id", a.Class.ID, "student_id", user, "quiz", acc.Quiz, "user_id", identityOf(c).UserID)
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"/accommodations?done=saved")
}

// deleteAccommodation deletes one accommodation.
func (h *Handler) deleteAccommodation(c *echo.Context) error {
	a := classOf(c)
	user, err := strconv.ParseInt(c.FormValue("user"), 10, 64)
	quiz := c.FormValue("quiz")
	if _, ok := h.classes.Accommodations(a.Class.ID, user)[quiz]; err != nil || !ok {
		return &Error{Status: http.StatusNotFound, Heading: "No such accommodation", Message: "That accommodation does not exist (perhaps someone deleted it already); nothing was changed."}
	}
	if err := h.store.DeleteAccommodation(c.Request().Context(), a.Class.ID, user, quiz); err != nil {
		return err
	}
	h.reloadClass(c, a.Class.ID)
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"/accommodations?done=deleted")
}
