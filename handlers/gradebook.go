package handlers

import (
	"encoding/csv"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/exports"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// gradebookPageSize is how many students one gradebook page lists, and
// filterCountCap how far a filtered page counts the students matching.
const (
	gradebookPageSize = 50
	filterCountCap    = 1000
)

// gradebookParams are a gradebook page's query parameters: sort (name,
// email, total or a lesson slug), dir (asc, desc), q (a name or email
// filter) and after or before, a cursor: a row's sort value and user id
// joined by "~", e.g. "0.875~1234".
type gradebookParams struct {
	base   string // the gradebook page's path
	sort   string
	desc   bool
	filter string
	after  string
	before string
}

func (p gradebookParams) query() url.Values {
	v := url.Values{}
	if p.sort != "name" {
		v.Set("sort", p.sort)
	}
	if p.desc {
		v.Set("dir", "desc")
	}
	if p.filter != "" {
		v.Set("q", p.filter)
	}
	return v
}

func (p gradebookParams) url(extra ...string) string {
	v := p.query()
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return p.base
	}
	return p.base + "?" + v.Encode()
}

// showGradebook is one page of the course's gradebook.
func (h *Handler) showGradebook(c *echo.Context) error {
	return h.gradebookPage(c, courseReports)
}

// gradebookPage is one page of a scope's gradebook, by keyset pagination.
func (h *Handler) gradebookPage(c *echo.Context, scope reportScope) error {
	lessons := h.views.course.Lessons()
	p := gradebookParams{
		base: scope.view.GradebookURL(),
		sort: c.QueryParamOr("sort", "name"), filter: strings.TrimSpace(c.QueryParam("q")),
		after: c.QueryParam("after"), before: c.QueryParam("before"),
	}
	switch c.QueryParam("dir") {
	case "", "asc":
	case "desc":
		p.desc = true
	default:
		return badRequest("The gradebook sorts in the dir “asc” or “desc”.")
	}
	if utf8.RuneCountInString(p.filter) > 100 || !utf8.ValidString(p.filter) {
		return badRequest("The filter is at most 100 characters of text.")
	}
	sort, ok := gradebookSort(p.sort, lessons)
	if !ok {
		return badRequest("The gradebook cannot sort by “" + truncate(p.sort, 40) + "”: sort by name, email, total or a lesson.")
	}
	sort.Desc = p.desc
	q := store.GradebookQuery{Class: scope.class, Sort: sort, Filter: p.filter, Limit: gradebookPageSize}
	var err error
	switch {
	case p.after != "" && p.before != "":
		return badRequest("A gradebook page comes after a row or before one, not both.")
	case p.after != "":
		q.After, err = parseCursor(p.after, sort)
	case p.before != "":
		q.Before, err = parseCursor(p.before, sort)
	}
	if err != nil {
		return err
	}
	upTo := 0
	if p.filter != "" {
		upTo = filterCountCap + 1
	}
	page, n, err := h.store.GradebookAndCount(c.Request().Context(), q, upTo)
	if err != nil {
		return err
	}
	v := views.GradebookView{
		Scope:  scope.view,
		Filter: p.filter, Sort: p.sort, Desc: p.desc,
		Count:    plural(n, "student", "students"),
		FirstURL: p.url(), CSVURL: scope.view.CSVURL(),
	}
	switch {
	case p.filter != "" && n > filterCountCap:
		v.Count = "More than " + count(filterCountCap) + " students match “" + p.filter + "”"
	case p.filter != "":
		v.Count += " match “" + p.filter + "”"
	}
	v.Columns = append(v.Columns, gradebookColumn(p, "name", "Name", ""), gradebookColumn(p, "email", "Email", ""))
	for _, l := range lessons {
		col := gradebookColumn(p, l.Slug, l.Numeral, l.Numeral+". "+l.Title)
		col.Numeric = true
		v.Columns = append(v.Columns, col)
	}
	total := gradebookColumn(p, "total", "Total", "")
	total.Numeric = true
	v.Columns = append(v.Columns, total)
	for _, r := range page.Rows {
		line := views.GradebookLine{
			StudentURL: scope.studentURL(r.UserID),
			Name:       orUnnamed(r.Name), Email: r.Email, Total: percent(r.Total),
			NotStarted: true,
		}
		for i := range lessons {
			var cell views.GradeCell
			if g := gradeAt(r.Grades, i); g != nil {
				cell.Grade = percent(*g)
				cell.Passed = passedAt(r.Passed, i)
				line.NotStarted = false
			}
			line.Cells = append(line.Cells, cell)
		}
		v.Rows = append(v.Rows, line)
	}
	if len(page.Rows) > 0 {
		if page.HasPrev {
			v.PrevURL = p.url("before", formatCursor(page.Rows[0].Key, sort))
		}
		if page.HasNext {
			v.NextURL = p.url("after", formatCursor(page.Rows[len(page.Rows)-1].Key, sort))
		}
	} else if q.After != nil || q.Before != nil {
		v.PrevURL = p.url() // past either end: offer the way back
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.ok(c, views.GradebookPage(h.page(c, scope.title("Gradebook")), v))
}

// gradebookSort maps a sort key to the store's sort.
func gradebookSort(key string, lessons []*content.Lesson) (store.GradebookSort, bool) {
	switch key {
	case "name", "email", "total":
		return store.GradebookSort{By: key}, true
	}
	for _, l := range lessons {
		if l.Slug == key {
			return store.GradebookSort{By: "lesson", Lesson: l.Number}, true
		}
	}
	return store.GradebookSort{}, false
}

func gradebookColumn(p gradebookParams, key, label, title string) views.GradebookColumn {
	col := views.GradebookColumn{Key: key, Label: label, Title: title}
	sorted := gradebookParams{base: p.base, sort: key, filter: p.filter}
	if p.sort == key {
		col.AriaSort = "ascending"
		if p.desc {
			col.AriaSort = "descending"
		}
		sorted.desc = !p.desc
	}
	col.SortURL = sorted.url()
	return col
}

var errBadCursor = badRequest("That gradebook page address is not valid. Start again from the first page.")

// parseCursor reads "value~userid".
func parseCursor(s string, sort store.GradebookSort) (*store.Cursor, error) {
	i := strings.LastIndexByte(s, '~')
	if i < 0 || len(s) > 600 {
		return nil, errBadCursor
	}
	id, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || id < 0 {
		return nil, errBadCursor
	}
	cur := &store.Cursor{UserID: id}
	if sort.By == "name" || sort.By == "email" {
		cur.Text = s[:i]
		if !utf8.ValidString(cur.Text) {
			return nil, errBadCursor
		}
		return cur, nil
	}
	if cur.Number, err = strconv.ParseFloat(s[:i], 64); err != nil || math.IsNaN(cur.Number) || math.IsInf(cur.Number, 0) {
		return nil, errBadCursor
	}
	return cur, nil
}

func formatCursor(k store.Cursor, sort store.GradebookSort) string {
	v := k.Text
	if sort.By != "name" && sort.By != "email" {
		v = strconv.FormatFloat(k.Number, 'g', -1, 64)
	}
	return v + "~" + strconv.FormatInt(k.UserID, 10)
}

func gradeAt(grades []*float64, i int) *float64 {
	if i < len(grades) {
		return grades[i]
	}
	return nil
}

func passedAt(passed []*bool, i int) bool {
	return i < len(passed) && passed[i] != nil && *passed[i]
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// exportFlushEvery is how many CSV rows go out between flushes.
const exportFlushEvery = 1000

// exportGradebook streams the course's gradebook as CSV.
func (h *Handler) exportGradebook(c *echo.Context) error {
	return h.gradebookCSV(c, courseReports)
}

// gradebookCSV streams a scope's whole gradebook as CSV, row by row from
// the database, so memory stays flat whatever the number of students.
// Columns: email, name, one per lesson slug in course order (the graded
// score in percent, empty without an attempt), total (the mean of the
// twelve grades with a missing one counting 0, in percent).
func (h *Handler) gradebookCSV(c *echo.Context, scope reportScope) error {
	lessons := h.views.course.Lessons()
	header := []string{"email", "name"}
	for _, l := range lessons {
		header = append(header, l.Slug)
	}
	header = append(header, "total")
	return h.streamGradebook(c, scope, "gradebook", func(w io.Writer) (gradebookSink, error) {
		cw := csv.NewWriter(w)
		record := make([]string, len(header))
		rows := 0
		write := func(r store.GradebookRow) error {
			record[0], record[1] = exports.SpreadsheetSafe(r.Email), exports.SpreadsheetSafe(r.Name)
			for i := range lessons {
				record[2+i] = ""
				if g := gradeAt(r.Grades, i); g != nil {
					record[2+i] = csvPercent(*g)
				}
			}
			record[len(record)-1] = csvPercent(r.Total)
			if err := cw.Write(record); err != nil {
				return err
			}
			if rows++; rows%exportFlushEvery == 0 {
				return flushCSV(cw, w)
			}
			return nil
		}
		return gradebookSink{write: write, flush: func() error { return flushCSV(cw, w) }}, cw.Write(header)
	})
}

// flushCSV sends what cw holds on through w, and on to the client when w
// is the response.
func flushCSV(cw *csv.Writer, w io.Writer) error {
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if rw, ok := w.(http.ResponseWriter); ok {
		return http.NewResponseController(rw).Flush()
	}
	return nil
}

// gradebookSink writes a gradebook download's rows, then finishes it.
type gradebookSink struct {
	write func(store.GradebookRow) error
	flush func() error
}

// streamGradebook answers with a scope's gradebook as a CSV download
// named after kind, streamed row by row from the database at flat memory:
// open writes the file's head to the response and returns where its rows
// go. The response starts with the first row, so that a database error
// before it is still answered with an error page.
func (h *Handler) streamGradebook(c *echo.Context, scope reportScope, kind string, open func(io.Writer) (gradebookSink, error)) error {
	w := c.Response()
	var sink *gradebookSink
	begin := func() error {
		hdr := w.Header()
		hdr.Set("Content-Type", "text/csv; charset=utf-8")
		hdr.Set("Content-Disposition", `attachment; filename="`+scope.filePrefix()+kind+`-`+time.Now().UTC().Format("2006-01-02")+`.csv"`)
		hdr.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		s, err := open(w)
		sink = &s
		return err
	}
	rows := 0
	err := h.store.EachGradebookRowIn(c.Request().Context(), scope.class, func(r store.GradebookRow) error {
		if sink == nil {
			if err := begin(); err != nil {
				return err
			}
		}
		rows++
		return sink.write(r)
	})
	if err != nil {
		return err // after the first row, handleError only logs it
	}
	if sink == nil {
		if err := begin(); err != nil {
			return err
		}
	}
	if err := sink.flush(); err != nil {
		return err
	}
	h.logger.InfoContext(c.Request().Context(), "gradebook exported", "format", kind, "rows", rows, "class_id", scope.class)
	return nil
}

// csvPercent writes a fraction as a percentage with at most two decimals.
func csvPercent(f float64) string {
	return strconv.FormatFloat(math.Round(f*10000)/100, 'f', -1, 64)
}
