package handlers

import (
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/views"
)

// showHome renders the course home: the twelve lessons in order.
func (h *Handler) showHome(c *echo.Context) error {
	v := views.HomeView{Lessons: make([]views.LessonItem, len(h.views.items))}
	copy(v.Lessons, h.views.items)
	// PROGRESS: the quizzes work sets v.Lessons[i].Progress for a signed-in student.
	return h.ok(c, views.HomePage(h.page(c, "The Twelve-Factor App"), v))
}
