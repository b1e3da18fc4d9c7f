// Package content is the course as data: the twelve lessons and their
// question banks, embedded in the binary, parsed, validated and (lessons)
// rendered to HTML once when the process starts.
package content

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/yuin/goldmark"

	"github.com/twelve-course/twelve/quiz"
)

//go:embed lessons
var embedded embed.FS

// Embedded returns the lessons folder compiled into this binary: the lesson
// files and their question banks at its root.
func Embedded() fs.FS {
	sub, err := fs.Sub(embedded, "lessons")
	if err != nil {
		// fs.Sub fails only on an invalid path name; "lessons" is valid.
		panic(err)
	}
	return sub
}

// slugs are the lesson slugs in course order; DESIGN.md makes them public.
var slugs = [...]string{
	"codebase", "dependencies", "config", "backing-services", "build-release-run", "processes",
	"port-binding", "concurrency", "disposability", "dev-prod-parity", "logs", "admin-processes",
}

var numerals = [...]string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}

// Slugs returns the twelve lesson slugs in course order.
func Slugs() []string { return slices.Clone(slugs[:]) }

// Lesson is one lesson, its body already rendered.
type Lesson struct {
	Number  int    // 1..12
	Numeral string // I..XII
	Slug    string
	Title   string
	Summary string
	Minutes int // reading time, from the front matter
	// File is the lesson's file name, e.g. "04-backing-services.md".
	File string
	// HTML is the rendered body. It is trusted: it comes only from the
	// embedded Markdown, rendered without raw HTML passing through.
	HTML string
	// TOC lists the body's h2 and h3 headings; it is empty for short lessons.
	TOC []Heading

	lines map[string]int // front-matter key → line, for later problems
}

// Heading is one entry of a lesson's table of contents.
type Heading struct {
	Level int    // 2 or 3
	ID    string // the heading's anchor
	Text  string
}

// Course is the twelve lessons in order.
type Course struct {
	lessons []*Lesson
	bySlug  map[string]*Lesson
	quizzes map[string]*quiz.Quiz
}

// Lessons returns the lessons in course order.
func (c *Course) Lessons() []*Lesson { return slices.Clone(c.lessons) }

// Lesson finds a lesson by its slug.
func (c *Course) Lesson(slug string) (*Lesson, bool) {
	l, ok := c.bySlug[slug]
	return l, ok
}

// ByNumber finds a lesson by its number, 1 to 12.
func (c *Course) ByNumber(n int) (*Lesson, bool) {
	if n < 1 || n > len(c.lessons) {
		return nil, false
	}
	return c.lessons[n-1], true
}

// Prev returns the lesson before l, if any.
func (c *Course) Prev(l *Lesson) (*Lesson, bool) { return c.ByNumber(l.Number - 1) }

// Next returns the lesson after l, if any.
func (c *Course) Next(l *Lesson) (*Lesson, bool) { return c.ByNumber(l.Number + 1) }

// Problem is one thing wrong with the content, located in a file.
type Problem struct {
	File string
	Line int // 1-based; 0 when the problem is the file's absence
	Msg  string
}

func (p *Problem) Error() string {
	if p.Line == 0 {
		return p.File + ": " + p.Msg
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// problems collects Problems as a lesson is checked.
type problems []error

func (ps *problems) add(file string, line int, format string, args ...any) {
	*ps = append(*ps, &Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Load reads every lesson file (*.md) at the root of fsys, validates them
// and renders their bodies. It reports every problem it finds, each as a
// *Problem ("file:line: message"), joined with errors.Join.
func Load(fsys fs.FS) (*Course, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	var ps problems
	var lessons []*Lesson
	md := newMarkdown()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".md" {
			continue // question banks (*.quiz.yaml) and anything else
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			ps.add(name, 0, "cannot read: %v", err)
			continue
		}
		if l, ok := parseLesson(md, name, src, &ps); ok {
			lessons = append(lessons, l)
		}
	}
	course := checkCourse(lessons, &ps)
	loadQuizzes(fsys, course, &ps)
	if err := errors.Join(ps...); err != nil {
		return nil, err
	}
	return course, nil
}

// parseLesson checks and renders one file. It returns false when the file
// is too broken to take part in the course-wide checks.
func parseLesson(md goldmark.Markdown, name string, src []byte, ps *problems) (*Lesson, bool) {
	src = []byte(strings.ReplaceAll(string(src), "\r\n", "\n"))
	fm, body, bodyLine, ok := splitFrontMatter(name, src, ps)
	if !ok {
		return nil, false
	}
	l := &Lesson{File: name}
	meta := parseFrontMatter(name, fm, l, ps)
	l.lines = meta.lines
	l.HTML, l.TOC = renderBody(md, name, body, bodyLine, ps)
	if !meta.valid["number"] {
		return nil, false
	}
	n := l.Number
	if n < 1 || n > len(slugs) {
		ps.add(name, meta.lines["number"], "number %d is out of range; lessons are numbered 1 to %d", n, len(slugs))
		return nil, false
	}
	if meta.valid["numeral"] && l.Numeral != numerals[n-1] {
		ps.add(name, meta.lines["numeral"], "numeral %q does not match number %d; want %q", l.Numeral, n, numerals[n-1])
	}
	if meta.valid["slug"] && l.Slug != slugs[n-1] {
		ps.add(name, meta.lines["slug"], "slug %q is not lesson %d's; want %q", l.Slug, n, slugs[n-1])
	}
	if want := fmt.Sprintf("%02d-%s.md", n, slugs[n-1]); name != want {
		ps.add(name, meta.lines["number"], "lesson %d (%s) belongs in a file named %s", n, slugs[n-1], want)
	}
	return l, true
}

// checkCourse checks the lessons together: one per number, none missing.
func checkCourse(lessons []*Lesson, ps *problems) *Course {
	c := &Course{lessons: make([]*Lesson, len(slugs)), bySlug: map[string]*Lesson{}}
	// A lesson in its proper file wins over a stray copy of it.
	proper := func(l *Lesson) bool { return l.File == fmt.Sprintf("%02d-%s.md", l.Number, slugs[l.Number-1]) }
	slices.SortStableFunc(lessons, func(a, b *Lesson) int {
		switch pa, pb := proper(a), proper(b); {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		}
		return 0
	})
	for _, l := range lessons {
		if prev := c.lessons[l.Number-1]; prev != nil {
			ps.add(l.File, l.lines["number"], "lesson %d is also in %s", l.Number, prev.File)
			continue
		}
		c.lessons[l.Number-1] = l
		c.bySlug[l.Slug] = l
	}
	for i, l := range c.lessons {
		if l == nil {
			ps.add(fmt.Sprintf("%02d-%s.md", i+1, slugs[i]), 0, "missing: no file holds lesson %d (%s)", i+1, slugs[i])
		}
	}
	return c
}

// Problems returns the problems in an error from Load, in the order found.
func Problems(err error) []*Problem {
	var out []*Problem
	var walk func(error)
	walk = func(err error) {
		if p, ok := err.(*Problem); ok {
			out = append(out, p)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}
