// Package exports writes a gradebook in the CSV shapes that learning
// management systems import: Canvas's gradebook import and Moodle's
// "Import grades from CSV" (docs/exports.md has the column mapping and
// what each system does with the file).
//
// A file is written row by row through a csv.Writer, so memory stays flat
// whatever the number of students. Names, addresses and titles pass
// through SpreadsheetSafe, as in the gradebook CSV.
package exports

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strconv"
	"strings"
)

// Column is one graded item: a lesson's quiz.
type Column struct {
	// Title heads the column; Canvas and Moodle match it against the
	// names of their assignments or grade items. Slug stands in when the
	// title is empty.
	Title, Slug string
	// Points is what a full grade is worth in the LMS: a grade is written
	// as its fraction × Points.
	Points float64
}

// Row is one student's line.
type Row struct {
	Name, Email string
	// Grades holds the fraction (0..1) earned in each column, in column
	// order; nil, or a short slice, leaves a cell blank: no grade.
	Grades []*float64
}

// flushEvery is how many rows go out between flushes.
const flushEvery = 1000

// Writer writes one export, a row at a time. Make one with NewCanvas or
// NewMoodle, Write each row, then Flush.
type Writer struct {
	out    io.Writer
	csv    *csv.Writer
	cols   []Column
	lead   int // the cells before the grades
	fill   func(rec []string, r Row)
	record []string
	rows   int
}

// Canvas's fixed columns (its gradebook importer reads the student from
// the first five and takes the assignments from the ones after).
var canvasLead = []string{"Student", "ID", "SIS User ID", "SIS Login ID", "Section"}

// canvasComputed are the headings of Canvas's computed columns: its
// importer drops every column whose heading contains one.
var canvasComputed = []string{"Current Score", "Current Points", "Current Grade", "Final Score",
	"Final Points", "Final Grade", "Override Score", "Override Grade", "Override Status"}

// canvasPointsRow heads the row that gives each assignment's points.
// Canvas takes any row whose first cell contains it for that row.
const canvasPointsRow = "Points Possible"

// NewCanvas writes the header of a Canvas gradebook import and its
// "Points Possible" row to w. Each row then names the student in Student
// and their email address in SIS Login ID, which Canvas matches against
// the student's login; ID, SIS User ID and Section stay blank.
func NewCanvas(w io.Writer, cols []Column) (*Writer, error) {
	for _, c := range cols {
		for _, r := range canvasComputed {
			if strings.Contains(columnTitle(c), r) {
				return nil, fmt.Errorf("exports: Canvas ignores a column headed %q, as it contains %q", columnTitle(c), r)
			}
		}
	}
	ew, err := newWriter(w, cols, canvasLead)
	if err != nil {
		return nil, err
	}
	ew.fill = func(rec []string, r Row) {
		name := r.Name
		if strings.Contains(name, canvasPointsRow) {
			// Canvas would read this student's grades as the
			// assignments' points; the login identifies them anyway.
			name = ""
		}
		rec[0], rec[1], rec[2], rec[3], rec[4] = SpreadsheetSafe(name), "", "", SpreadsheetSafe(r.Email), ""
	}
	points := make([]string, len(ew.record))
	points[0] = canvasPointsRow
	for i, c := range cols {
		points[ew.lead+i] = formatPoints(c.Points)
	}
	if err := ew.csv.Write(points); err != nil {
		return nil, fmt.Errorf("exports: write points row: %w", err)
	}
	return ew, nil
}

// Moodle's fixed columns: the identifier ("Map from" Email address, "Map
// to" useremail) and a name for the person checking the preview.
var moodleLead = []string{"Email address", "Full name"}

// NewMoodle writes the header of a Moodle grade import to w.
func NewMoodle(w io.Writer, cols []Column) (*Writer, error) {
	ew, err := newWriter(w, cols, moodleLead)
	if err != nil {
		return nil, err
	}
	ew.fill = func(rec []string, r Row) {
		rec[0], rec[1] = SpreadsheetSafe(r.Email), SpreadsheetSafe(r.Name)
	}
	return ew, nil
}

func newWriter(w io.Writer, cols []Column, lead []string) (*Writer, error) {
	if len(cols) == 0 {
		return nil, errors.New("exports: no columns")
	}
	header := append([]string(nil), lead...)
	seen := make(map[string]bool, len(lead)+len(cols))
	for _, h := range lead {
		seen[h] = true
	}
	for _, c := range cols {
		title := columnTitle(c)
		if title == "" {
			return nil, errors.New("exports: a column has neither title nor slug")
		}
		// Both importers match columns by their heading: two alike
		// would be one assignment, or refused.
		if seen[title] {
			return nil, fmt.Errorf("exports: two columns are headed %q", title)
		}
		seen[title] = true
		if !(c.Points > 0) || math.IsInf(c.Points, 0) {
			return nil, fmt.Errorf("exports: column %q: points must be positive, not %v", title, c.Points)
		}
		header = append(header, SpreadsheetSafe(title))
	}
	ew := &Writer{out: w, csv: csv.NewWriter(w), cols: cols, lead: len(lead), record: make([]string, len(header))}
	if err := ew.csv.Write(header); err != nil {
		return nil, fmt.Errorf("exports: write header: %w", err)
	}
	return ew, nil
}

func columnTitle(c Column) string {
	if t := strings.TrimSpace(c.Title); t != "" {
		return t
	}
	return strings.TrimSpace(c.Slug)
}

// Write writes one student's row. A grade that is not a fraction between
// 0 and 1, or more grades than columns, is an error and writes nothing.
func (w *Writer) Write(r Row) error {
	if len(r.Grades) > len(w.cols) {
		return fmt.Errorf("exports: %d grades for %d columns", len(r.Grades), len(w.cols))
	}
	for i, c := range w.cols {
		cell := ""
		if i < len(r.Grades) && r.Grades[i] != nil {
			g := *r.Grades[i]
			if !(g >= 0 && g <= 1) {
				return fmt.Errorf("exports: grade %v in column %q is not a fraction", g, columnTitle(c))
			}
			cell = formatPoints(g * c.Points)
		}
		w.record[w.lead+i] = cell
	}
	w.fill(w.record, r)
	if err := w.csv.Write(w.record); err != nil {
		return fmt.Errorf("exports: write row: %w", err)
	}
	if w.rows++; w.rows%flushEvery == 0 {
		return w.Flush()
	}
	return nil
}

// flusher is an http.ResponseWriter that can send what it holds.
type flusher interface{ Flush() }

// Flush sends the rows written so far to the underlying writer, and on
// from it when it is an http.Flusher.
func (w *Writer) Flush() error {
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return fmt.Errorf("exports: flush: %w", err)
	}
	if f, ok := w.out.(flusher); ok {
		f.Flush()
	}
	return nil
}

// WriteCanvas writes a whole Canvas gradebook import: the header, the
// points row and one row per student that rows yields.
func WriteCanvas(w io.Writer, cols []Column, rows iter.Seq[Row]) error {
	ew, err := NewCanvas(w, cols)
	if err != nil {
		return err
	}
	return ew.writeAll(rows)
}

// WriteMoodle writes a whole Moodle grade import: the header and one row
// per student that rows yields.
func WriteMoodle(w io.Writer, cols []Column, rows iter.Seq[Row]) error {
	ew, err := NewMoodle(w, cols)
	if err != nil {
		return err
	}
	return ew.writeAll(rows)
}

func (w *Writer) writeAll(rows iter.Seq[Row]) error {
	for r := range rows {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	return w.Flush()
}

// formatPoints writes points with at most two decimals, the precision
// Canvas compares grades at, and a point as the decimal separator.
func formatPoints(p float64) string {
	return strconv.FormatFloat(math.Round(p*100)/100, 'f', -1, 64)
}
