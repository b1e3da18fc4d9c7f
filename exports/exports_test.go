package exports

import (
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func grade(f float64) *float64 { return &f }

var cols = []Column{
	{Title: "Codebase", Slug: "codebase", Points: 10},
	{Title: "Dependencies, explicitly", Slug: "dependencies", Points: 100},
	{Slug: "config", Points: 3},
}

var rows = []Row{
	{Name: "Ada Lovelace", Email: "ada@example.edu", Grades: []*float64{grade(0.875), grade(1), grade(1.0 / 3)}},
	{Name: "Lovelace, Ada \"the Countess\"", Email: "ada2@example.edu", Grades: []*float64{nil, grade(0)}},
	{Name: "Two\nlines\r\nand, a comma", Email: "two@example.edu"},
	{Name: "=HYPERLINK(\"http://evil\")", Email: "+1@example.edu", Grades: []*float64{grade(0.5)}},
	{Name: "名前 ✓ 🎓", Email: "unicode@example.edu", Grades: []*float64{grade(0.123456)}},
}

// parse reads a file back with encoding/csv, which is stricter than
// either importer: every record must have as many fields as the header.
func parse(t *testing.T, b []byte) [][]string {
	t.Helper()
	records, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("the export does not parse as CSV: %v\n%s", err, b)
	}
	return records
}

// TestCanvas: the header Canvas's importer requires (Student, ID, SIS User
// ID, SIS Login ID, Section, then the assignments), the Points Possible
// row, grades as points, blanks for no grade, names that round-trip and
// formulas neutralised.
func TestCanvas(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCanvas(&b, cols, slices.Values(rows)); err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Codebase", "Dependencies, explicitly", "config"},
		{"Points Possible", "", "", "", "", "10", "100", "3"},
		{"Ada Lovelace", "", "", "ada@example.edu", "", "8.75", "100", "1"},
		{"Lovelace, Ada \"the Countess\"", "", "", "ada2@example.edu", "", "", "0", ""},
		{"Two\nlines\nand, a comma", "", "", "two@example.edu", "", "", "", ""},
		{"'=HYPERLINK(\"http://evil\")", "", "", "'+1@example.edu", "", "5", "", ""},
		{"名前 ✓ 🎓", "", "", "unicode@example.edu", "", "1.23", "", ""},
	}
	if diff := cmp.Diff(want, parse(t, b.Bytes())); diff != "" {
		t.Errorf("Canvas export (-want +got):\n%s", diff)
	}
}

// TestMoodle: Email address first (the identifier Moodle maps from), the
// name, then one column per grade item, grades as points.
func TestMoodle(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMoodle(&b, cols, slices.Values(rows)); err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Email address", "Full name", "Codebase", "Dependencies, explicitly", "config"},
		{"ada@example.edu", "Ada Lovelace", "8.75", "100", "1"},
		{"ada2@example.edu", "Lovelace, Ada \"the Countess\"", "", "0", ""},
		{"two@example.edu", "Two\nlines\nand, a comma", "", "", ""},
		{"'+1@example.edu", "'=HYPERLINK(\"http://evil\")", "5", "", ""},
		{"unicode@example.edu", "名前 ✓ 🎓", "1.23", "", ""},
	}
	if diff := cmp.Diff(want, parse(t, b.Bytes())); diff != "" {
		t.Errorf("Moodle export (-want +got):\n%s", diff)
	}
}

// TestCanvasPointsPossibleName: Canvas reads any row whose first cell
// contains "Points Possible" as the assignments' points, so a student so
// named is written without a name (their login still identifies them).
func TestCanvasPointsPossibleName(t *testing.T) {
	var b bytes.Buffer
	err := WriteCanvas(&b, cols, slices.Values([]Row{{Name: "Mx Points Possible", Email: "pp@example.edu", Grades: []*float64{grade(0)}}}))
	if err != nil {
		t.Fatal(err)
	}
	records := parse(t, b.Bytes())
	got := records[2]
	if got[0] != "" || got[3] != "pp@example.edu" {
		t.Errorf("row = %q, want a blank name and the login", got)
	}
	for i, r := range records {
		if i != 1 && strings.Contains(r[0], "Points Possible") {
			t.Errorf("row %d starts %q: Canvas would take it for the points row", i, r[0])
		}
	}
}

// TestRefused: what would make a file the LMS misreads is an error, and
// a bad row writes nothing.
func TestRefused(t *testing.T) {
	type writeFunc func(io.Writer, []Column, func(func(Row) bool)) error
	canvas := func(w io.Writer, c []Column, r func(func(Row) bool)) error { return WriteCanvas(w, c, r) }
	moodle := func(w io.Writer, c []Column, r func(func(Row) bool)) error { return WriteMoodle(w, c, r) }
	one := func(r Row) []Row { return []Row{r} }
	tests := []struct {
		name  string
		write writeFunc
		cols  []Column
		rows  []Row
	}{
		{"no columns", moodle, nil, nil},
		{"no title or slug", moodle, []Column{{Points: 1}}, nil},
		{"two alike", moodle, []Column{{Title: "A", Points: 1}, {Slug: "A", Points: 1}}, nil},
		{"a fixed heading", moodle, []Column{{Title: "Email address", Points: 1}}, nil},
		{"a Canvas fixed heading", canvas, []Column{{Title: "Section", Points: 1}}, nil},
		{"a Canvas computed heading", canvas, []Column{{Title: "My Final Score", Points: 1}}, nil},
		{"zero points", canvas, []Column{{Title: "A"}}, nil},
		{"negative points", canvas, []Column{{Title: "A", Points: -1}}, nil},
		{"grade above 1", moodle, cols, one(Row{Email: "a@b", Grades: []*float64{grade(1.01)}})},
		{"negative grade", canvas, cols, one(Row{Email: "a@b", Grades: []*float64{grade(-0.1)}})},
		{"more grades than columns", canvas, cols, one(Row{Email: "a@b", Grades: make([]*float64, len(cols)+1)})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := tt.write(&b, tt.cols, slices.Values(tt.rows))
			if err == nil {
				t.Fatalf("wrote %q; want an error", b.String())
			}
			if tt.rows != nil && strings.Contains(b.String(), "a@b") {
				t.Errorf("the refused row was written: %q", b.String())
			}
		})
	}
}

// countingWriter counts the writes that reach it and the flushes asked of it.
type countingWriter struct {
	writes, flushes int
}

func (c *countingWriter) Write(p []byte) (int, error) { c.writes++; return len(p), nil }
func (c *countingWriter) Flush()                      { c.flushes++ }

// TestStreams: rows go out as they are written, not all at the end, and an
// http.Flusher underneath is flushed with them.
func TestStreams(t *testing.T) {
	var w countingWriter
	ew, err := NewMoodle(&w, cols)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 100)
	for range 3 * flushEvery {
		if err := ew.Write(Row{Name: long, Email: "a@example.edu"}); err != nil {
			t.Fatal(err)
		}
	}
	if w.writes < 3 || w.flushes < 3 {
		t.Errorf("after %d rows: %d writes and %d flushes reached the writer; want the rows to stream", 3*flushEvery, w.writes, w.flushes)
	}
}
