package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/exports"
	"github.com/twelve-course/twelve/store"
)

// An LMS's gradebook import: how its file starts and what it is called.
type lmsFormat struct {
	name  string // in the file name and the log
	start func(w http.ResponseWriter, cols []exports.Column) (*exports.Writer, error)
}

var (
	canvasFormat = lmsFormat{"canvas", func(w http.ResponseWriter, cols []exports.Column) (*exports.Writer, error) {
		return exports.NewCanvas(w, cols)
	}}
	moodleFormat = lmsFormat{"moodle", func(w http.ResponseWriter, cols []exports.Column) (*exports.Writer, error) {
		return exports.NewMoodle(w, cols)
	}}
)

func (h *Handler) exportCanvas(c *echo.Context) error {
	return h.lmsExport(c, courseReports, canvasFormat)
}
func (h *Handler) exportMoodle(c *echo.Context) error {
	return h.lmsExport(c, courseReports, moodleFormat)
}
func (h *Handler) exportClassCanvas(c *echo.Context) error {
	return h.lmsExport(c, classScope(c), canvasFormat)
}
func (h *Handler) exportClassMoodle(c *echo.Context) error {
	return h.lmsExport(c, classScope(c), moodleFormat)
}

// lmsExport streams a scope's gradebook in a format an LMS imports
// directly (docs/exports.md): one column per lesson quiz, worth 100
// points, row by row from the database at flat memory.
func (h *Handler) lmsExport(c *echo.Context, scope reportScope, f lmsFormat) error {
	var cols []exports.Column
	for _, l := range h.views.course.Lessons() {
		cols = append(cols, exports.Column{Title: "Twelve " + l.Numeral + ": " + l.Title, Slug: l.Slug, Points: 100})
	}
	w := c.Response()
	var ew *exports.Writer
	// The header goes out with the first row, so a database error before
	// it is still answered with an error page.
	begin := func() error {
		hdr := w.Header()
		hdr.Set("Content-Type", "text/csv; charset=utf-8")
		hdr.Set("Content-Disposition", `attachment; filename="`+scope.filePrefix()+f.name+`-`+time.Now().UTC().Format("2006-01-02")+`.csv"`)
		hdr.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		var err error
		ew, err = f.start(w, cols)
		return err
	}
	rows := 0
	err := h.store.EachGradebookRowIn(c.Request().Context(), scope.class, func(r store.GradebookRow) error {
		if ew == nil {
			if err := begin(); err != nil {
				return err
			}
		}
		rows++
		return ew.Write(exports.Row{Name: r.Name, Email: r.Email, Grades: r.Grades})
	})
	if err != nil {
		return err // after the first row, handleError only logs it
	}
	if ew == nil {
		if err := begin(); err != nil {
			return err
		}
	}
	if err := ew.Flush(); err != nil {
		return err
	}
	h.logger.InfoContext(c.Request().Context(), "gradebook exported", "format", f.name, "rows", rows, "class_id", scope.class)
	return nil
}
