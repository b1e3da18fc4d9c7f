package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// attemptClass is the class a quiz start is for: the one ?class= names,
// else the student's only class, else (no class) the open course. A
// student in several classes who names none is asked which; one who names
// a class they are not a student of gets a 404. It reads only the class
// directory. When it has answered the request itself (the chooser),
// answered is true.
func (h *Handler) attemptClass(c *echo.Context, l *content.Lesson, user int64) (class store.Class, answered bool, err error) {
	mine := h.classes.StudentClasses(user)
	if slug := c.QueryParam("class"); slug != "" {
		for _, cl := range mine {
			if cl.Slug == slug {
				return cl, false, nil
			}
		}
		return store.Class{}, false, errNotInClass
	}
	switch len(mine) {
	case 0:
		return store.Class{}, false, nil
	case 1:
		return mine[0], false, nil
	}
	v := views.ClassChoiceView{Numeral: l.Numeral, Title: l.Title}
	q, _ := h.quizzes.Current(l.Slug)
	for _, cl := range mine {
		ch := views.ClassChoice{Name: cl.Name, URL: classQuizPath(l.Slug, cl.Slug)}
		if q != nil {
			if r := h.classes.Rules(cl.ID, user, q); !r.DueAt.IsZero() {
				ch.Due = "due " + classes.FormatIn(r.DueAt, cl.TimeZone)
			}
		}
		v.Choices = append(v.Choices, ch)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return store.Class{}, true, h.render(c, http.StatusOK, views.ClassChoicePage(h.page(c, "Choose a class: "+l.Title), v))
}

// classQuizPath starts lesson slug's quiz in the class with classSlug.
func classQuizPath(slug, classSlug string) string { return views.ClassQuizURL(slug, classSlug) }

var errNotInClass = &Error{Status: http.StatusNotFound, Heading: "You are not a student of that class",
	Message: "This quiz link names a class you have not joined. Open the quiz from the home page to start it in one of your classes."}

// quizDatesError is the page for a start or submit refused by a class's
// dates (classes.CanStart, classes.CanSubmit).
func quizDatesError(err error, class store.Class) error {
	var r *classes.Refusal
	if !errors.As(err, &r) {
		return err
	}
	when := classes.FormatIn(r.At, class.TimeZone)
	if errors.Is(err, classes.ErrNotOpen) {
		return &Error{Status: http.StatusForbidden, Heading: "This quiz is not open yet",
			Message: "In " + class.Name + " this quiz opens on " + when + ". Come back then."}
	}
	return &Error{Status: http.StatusConflict, Heading: "This quiz is closed",
		Message: "In " + class.Name + " this quiz closed on " + when + ", so no more attempts can start or be submitted and nothing was saved. Ask your instructor if you need more time."}
}

// errClassesLoading answers a quiz start, or a class attempt's submit,
// while this process has not yet read the classes (its database was
// unreachable when it started): which class an attempt belongs to, and
// under which rules, is not known until then.
var errClassesLoading = &Error{Status: http.StatusServiceUnavailable, Heading: "Quizzes are starting up",
	Message: "This server is still reading the course's classes, so nothing was started or saved. Try again in a few seconds: your answers stay on the page."}

// classDatesLine says what an attempt's token holds of its class's dates
// and late policy, in the class's zone: "In Evening section: due Fri 11
// Dec 2026, 17:00 Europe/Berlin; 10% off per day late, down to 50%;
// closes …". Empty when the class sets none of them.
func classDatesLine(class store.Class, tok quiz.Token) string {
	var parts []string
	if !tok.Due.IsZero() {
		due := "due " + classes.FormatIn(tok.Due, class.TimeZone)
		switch tok.Late.Mode {
		case quiz.LatePenalty:
			due += fmt.Sprintf("; %d%% off per day late, down to %d%%", int(math.Round(tok.Late.PerDay*100)), int(math.Round(tok.Late.Floor*100)))
		case quiz.LateRefuse:
			due += "; not accepted after that"
		default:
			due += "; accepted later, marked late"
		}
		parts = append(parts, due)
	}
	if !tok.Close.IsZero() {
		parts = append(parts, "closes "+classes.FormatIn(tok.Close, class.TimeZone))
	}
	if len(parts) == 0 {
		return ""
	}
	return "In " + class.Name + ": " + strings.Join(parts, "; ") + "."
}
