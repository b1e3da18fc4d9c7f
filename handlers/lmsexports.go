package handlers

import (
	"io"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/exports"
	"github.com/twelve-course/twelve/store"
)

func (h *Handler) exportCanvas(c *echo.Context) error {
	return h.lmsExport(c, courseReports, "canvas", exports.NewCanvas)
}
func (h *Handler) exportMoodle(c *echo.Context) error {
	return h.lmsExport(c, courseReports, "moodle", exports.NewMoodle)
}
func (h *Handler) exportClassCanvas(c *echo.Context) error {
	return h.lmsExport(c, classScope(c), "canvas", exports.NewCanvas)
}
func (h *Handler) exportClassMoodle(c *echo.Context) error {
	return h.lmsExport(c, classScope(c), "moodle", exports.NewMoodle)
}

// lmsExport streams a scope's gradebook in a format an LMS imports
// directly (docs/exports.md), made by start: one column per lesson quiz,
// worth 100 points.
func (h *Handler) lmsExport(c *echo.Context, scope reportScope, kind string, start func(io.Writer, []exports.Column) (*exports.Writer, error)) error {
	var cols []exports.Column
	for _, l := range h.views.course.Lessons() {
		cols = append(cols, exports.Column{Title: "Twelve " + l.Numeral + ": " + l.Title, Slug: l.Slug, Points: 100})
	}
	return h.streamGradebook(c, scope, kind, func(w io.Writer) (gradebookSink, error) {
		ew, err := start(w, cols)
		if err != nil {
			return gradebookSink{}, err
		}
		write := func(r store.GradebookRow) error {
			return ew.Write(exports.Row{Name: r.Name, Email: r.Email, Grades: r.Grades})
		}
		return gradebookSink{write: write, flush: ew.Flush}, nil
	})
}
