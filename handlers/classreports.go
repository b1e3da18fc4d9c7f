package handlers

import (
	"github.com/labstack/echo/v5"
)

// A class's reports are the course's report pages over the class's
// students and the attempts taken in it (reportScope), under
// /instructor/classes/:slug, for course staff and the class's instructors
// and TAs (requireClass(readClass)).

// classScope is the reports' scope of the class requireClass found.
func classScope(c *echo.Context) reportScope {
	cl := classOf(c).Class
	return classReports(cl.ID, cl.Slug, cl.Name)
}

// showClassGradebook is one page of a class's gradebook.
func (h *Handler) showClassGradebook(c *echo.Context) error {
	return h.gradebookPage(c, classScope(c))
}

// exportClassGradebook streams a class's gradebook as CSV: the course's
// columns, the class's students only.
func (h *Handler) exportClassGradebook(c *echo.Context) error {
	return h.gradebookCSV(c, classScope(c))
}

// showClassQuizStatistics is a quiz's item statistics over the attempts
// taken in a class.
func (h *Handler) showClassQuizStatistics(c *echo.Context) error {
	return h.quizStatistics(c, classScope(c), c.Param("quiz"))
}

// showClassStudent is a student's record in a class; 404 for anyone who is
// not one of its students.
func (h *Handler) showClassStudent(c *echo.Context) error {
	return h.studentPage(c, classScope(c))
}
