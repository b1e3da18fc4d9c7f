package handlers

import (
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/views"
)

// showHome renders the course home: the twelve lessons in order, with the
// signed-in student's standing on each quiz (one indexed read of their
// grades; none when signed out).
func (h *Handler) showHome(c *echo.Context) error {
	v := views.HomeView{Lessons: make([]views.LessonItem, len(h.views.items))}
	copy(v.Lessons, h.views.items)
	if id := identityOf(c); id != nil {
		grades, err := h.store.GradesOf(c.Request().Context(), id.UserID)
		if err != nil {
			return err
		}
		for i := range v.Lessons {
			if g, ok := grades[v.Lessons[i].Slug]; ok {
				v.Lessons[i].Progress = &views.LessonProgress{Attempts: g.Attempts, Grade: g.Grade, Passed: g.Passed}
			}
		}
	}
	return h.ok(c, views.HomePage(h.page(c, "The Twelve-Factor App"), v))
}
