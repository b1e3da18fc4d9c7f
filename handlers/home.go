package handlers

import (
	"slices"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/views"
)

// showHome renders the course home: the twelve lessons in order, with the
// signed-in student's standing on each quiz (one indexed read of their
// grades; none when signed out) and, for a student in classes, each
// class's quizzes with their dates (from the class directory) and grades
// (one more indexed read).
func (h *Handler) showHome(c *echo.Context) error {
	v := views.HomeView{Lessons: make([]views.LessonItem, len(h.views.items))}
	copy(v.Lessons, h.views.items)
	v.LocalLMSs = h.localLMSs(c)
	if id := identityOf(c); id != nil {
		ctx := c.Request().Context()
		grades, err := h.store.GradesOf(ctx, id.UserID)
		if err != nil {
			return err
		}
		cs := h.classes.StudentClasses(id.UserID)
		inClasses, err := h.classGrades(ctx, id.UserID, cs)
		if err != nil {
			return err
		}
		v.Classes = h.myClasses(id.UserID, cs, inClasses, time.Now())
		// After a join (see joinClass): said only of a class they are in.
		if joined := c.QueryParam("joined"); joined != "" {
			for _, cl := range cs {
				if cl.Slug == joined {
					v.Joined = cl.Name
				}
			}
		}
		for i := range v.Lessons {
			if g, ok := grades[v.Lessons[i].Slug]; ok {
				v.Lessons[i].Progress = &views.LessonProgress{Attempts: g.Attempts, Grade: g.Grade, Passed: g.Passed}
			}
		}
	}
	return h.ok(c, views.HomePage(h.page(c, "The Twelve-Factor App"), v))
}

// localLMSs are the LMSs on this machine that may frame Twelve (make
// dev's test LMS), other than Twelve itself, shown on the home page so
// that a developer finds where to launch from. Only an LMS on a loopback
// address can be one (lti-add and registration refuse plain http
// elsewhere), so a deployed site lists none.
func (h *Handler) localLMSs(c *echo.Context) []string {
	self := h.origin(c)
	return slices.DeleteFunc(h.frames.Headers().Local(), func(o string) bool { return o == self })
}
