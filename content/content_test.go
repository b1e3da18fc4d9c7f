package content

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadEmbedded(t *testing.T) {
	c, err := Load(Embedded())
	if err != nil {
		t.Fatalf("Load(Embedded()) = %v", err)
	}
	lessons := c.Lessons()
	var got []string
	for _, l := range lessons {
		got = append(got, l.Slug)
	}
	if want := Slugs(); !slices.Equal(got, want) {
		t.Fatalf("slugs = %v, want %v", got, want)
	}
	for i, l := range lessons {
		t.Run(l.Slug, func(t *testing.T) {
			if l.Number != i+1 || l.Numeral != numerals[i] {
				t.Errorf("number, numeral = %d, %q; want %d, %q", l.Number, l.Numeral, i+1, numerals[i])
			}
			if l.Title == "" || l.Summary == "" || l.Minutes <= 0 {
				t.Errorf("title %q, summary %q, minutes %d: want all set", l.Title, l.Summary, l.Minutes)
			}
			if !strings.Contains(l.HTML, `<h2 id="how-twelve-does-it">How Twelve does it</h2>`) {
				t.Errorf("HTML lacks the anchored heading \"How Twelve does it\"")
			}
			if strings.Contains(l.HTML, "raw HTML omitted") {
				t.Errorf("HTML has raw HTML that was dropped")
			}
			if len(l.TOC) == 0 {
				t.Errorf("no table of contents for a %d-byte lesson", len(l.HTML))
			}
			if got, ok := c.Lesson(l.Slug); !ok || got != l {
				t.Errorf("Lesson(%q) = %v, %v; want this lesson", l.Slug, got, ok)
			}
		})
	}
}

func TestPrevNext(t *testing.T) {
	c, err := Load(Embedded())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		slug, prev, next string
	}{
		{"codebase", "", "dependencies"},
		{"config", "dependencies", "backing-services"},
		{"admin-processes", "logs", ""},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			l, _ := c.Lesson(tt.slug)
			slug := func(l *Lesson, ok bool) string {
				if !ok {
					return ""
				}
				return l.Slug
			}
			if got := slug(c.Prev(l)); got != tt.prev {
				t.Errorf("Prev = %q, want %q", got, tt.prev)
			}
			if got := slug(c.Next(l)); got != tt.next {
				t.Errorf("Next = %q, want %q", got, tt.next)
			}
		})
	}
	if _, ok := c.Lesson("nope"); ok {
		t.Errorf("Lesson(\"nope\") found a lesson")
	}
}

func TestRendering(t *testing.T) {
	c, err := Load(Embedded())
	if err != nil {
		t.Fatal(err)
	}
	config, _ := c.Lesson("config")
	tests := []struct {
		name string
		want string
	}{
		{"GFM table", "<table>\n<thead>\n<tr>\n<th>variable</th>"},
		{"highlighted Go with CSS classes", `<pre class="chroma" tabindex="0"><code><span class="line"><span class="cl"><span class="nx">cfg</span>`},
		{"h3 anchor", `<h3 id="one-place-reads-the-environment">`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(config.HTML, tt.want) {
				t.Errorf("config lesson HTML lacks %q", tt.want)
			}
		})
	}
	if strings.Contains(config.HTML, "style=") {
		t.Errorf("config lesson HTML has inline styles; highlighting must use classes")
	}
	var toc []string
	for _, h := range config.TOC {
		toc = append(toc, fmt.Sprintf("h%d#%s", h.Level, h.ID))
	}
	if want := "h2#what-the-factor-says"; toc[0] != want {
		t.Errorf("TOC starts with %s, want %s (all: %v)", toc[0], want, toc)
	}
}

func TestAnchor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Why it matters", "why-it-matters"},
		{"PostgreSQL through DATABASE_URL", "postgresql-through-database_url"},
		{"Build, release, run", "build-release-run"},
		{"What about the platform itself?", "what-about-the-platform-itself"},
		{"  Dev/prod parity ", "devprod-parity"},
		{"???", ""},
	}
	for _, tt := range tests {
		if got := anchor(tt.in); got != tt.want {
			t.Errorf("anchor(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// lessonFile is a valid lesson file whose lines are numbered so tests can
// name them: front matter on lines 1–8, body from line 9.
func lessonFile(n int) string {
	return fmt.Sprintf(`---
number: %d
numeral: %s
slug: %s
title: Lesson %d
summary: What lesson %d is about.
minutes: 3
---

## First part

Some text.

## Second part

More text.
`, n, numerals[n-1], slugs[n-1], n, n)
}

func fileName(n int) string { return fmt.Sprintf("%02d-%s.md", n, slugs[n-1]) }

func bankName(n int) string { return fmt.Sprintf("%02d-%s.quiz.yaml", n, slugs[n-1]) }

const validBank = `settings:
  draw: 1
questions:
  - id: only
    type: truefalse
    prompt: Is this a question?
    answer: true
`

// validCourse is twelve valid lessons, each with a question bank, and a
// file that is neither.
func validCourse() fstest.MapFS {
	fsys := fstest.MapFS{"README.txt": {Data: []byte("not a lesson")}}
	for n := 1; n <= 12; n++ {
		fsys[fileName(n)] = &fstest.MapFile{Data: []byte(lessonFile(n))}
		fsys[bankName(n)] = &fstest.MapFile{Data: []byte(validBank)}
	}
	return fsys
}

func TestLoadValid(t *testing.T) {
	c, err := Load(validCourse())
	if err != nil {
		t.Fatalf("Load = %v, want no error", err)
	}
	if q, ok := c.Quiz("logs"); !ok || len(q.Questions) != 1 || q.Slug != "logs" {
		t.Errorf("Quiz(logs) = %v, %v; want the logs bank", q, ok)
	}
	if got := len(c.Quizzes()); got != 12 {
		t.Errorf("%d quizzes, want 12", got)
	}
	l, _ := c.Lesson("logs")
	if l.Title != "Lesson 11" || l.Minutes != 3 {
		t.Errorf("logs = %q, %d minutes; want \"Lesson 11\", 3", l.Title, l.Minutes)
	}
	if len(l.TOC) != 0 {
		t.Errorf("a two-heading lesson has a table of contents: %v", l.TOC)
	}
}

// replaceLine returns src with its 1-based line n replaced by repl (which
// may hold several lines, or none).
func replaceLine(src string, n int, repl string) string {
	lines := strings.Split(src, "\n")
	out := append([]string{}, lines[:n-1]...)
	if repl != "\x00" {
		out = append(out, repl)
	}
	return strings.Join(append(out, lines[n:]...), "\n")
}

const drop = "\x00"

func TestLoadProblems(t *testing.T) {
	cfg := fileName(3) // 03-config.md
	tests := []struct {
		name   string
		change func(fstest.MapFS)
		want   []string // every problem, in order
	}{
		{
			name:   "number not a number",
			change: edit(cfg, 2, "number: three"),
			want: []string{
				`03-config.md:2: number must be a whole number, got "three"`,
				`03-config.md: missing: no file holds lesson 3 (config)`,
			},
		},
		{
			name:   "title missing",
			change: edit(cfg, 5, drop),
			want:   []string{`03-config.md:1: front matter has no "title"`},
		},
		{
			name:   "numeral does not match",
			change: edit(cfg, 3, "numeral: IV"),
			want:   []string{`03-config.md:3: numeral "IV" does not match number 3; want "III"`},
		},
		{
			name:   "slug not in the list",
			change: edit(cfg, 4, "slug: settings"),
			want:   []string{`03-config.md:4: slug "settings" is not lesson 3's; want "config"`},
		},
		{
			name:   "empty summary and zero minutes",
			change: edit(cfg, 6, "summary: \"\"\nminutes: 0", 7, drop),
			want: []string{
				`03-config.md:6: summary must not be empty`,
				`03-config.md:7: minutes must be more than 0, got 0`,
			},
		},
		{
			name:   "title is a list",
			change: edit(cfg, 5, "title: [a, b]"),
			want:   []string{`03-config.md:5: title must be text, got a list`},
		},
		{
			name:   "unknown and repeated keys",
			change: edit(cfg, 7, "minutes: 3\nauthor: me\nslug: config"),
			want: []string{
				`03-config.md:8: unknown front-matter key "author"; the keys are number, numeral, slug, title, summary, minutes`,
				`03-config.md:9: key "slug" repeats the one on line 4`,
			},
		},
		{
			name:   "invalid YAML",
			change: edit(cfg, 6, "summary: Config: where it lives"),
			want: []string{
				`03-config.md:6: front matter is not valid YAML: mapping values are not allowed in this context`,
				`03-config.md: missing: no file holds lesson 3 (config)`,
			},
		},
		{
			name:   "no front matter",
			change: func(fsys fstest.MapFS) { fsys[cfg].Data = []byte("# Config\n\nText.\n") },
			want: []string{
				`03-config.md:1: no front matter: the file must start with a line "---", then number, numeral, slug, title, summary, minutes, then "---"`,
				`03-config.md: missing: no file holds lesson 3 (config)`,
			},
		},
		{
			name:   "front matter not closed",
			change: edit(cfg, 8, "minutes: 4"),
			want: []string{
				`03-config.md:1: front matter is not closed: no line "---" follows it`,
				`03-config.md: missing: no file holds lesson 3 (config)`,
			},
		},
		{
			name: "empty body",
			change: func(fsys fstest.MapFS) {
				fsys[cfg].Data = []byte(strings.Join(strings.Split(lessonFile(3), "\n")[:8], "\n") + "\n\n  \n")
			},
			want: []string{`03-config.md:9: the lesson has no body after its front matter`},
		},
		{
			name:   "duplicate heading anchors",
			change: edit(cfg, 14, "## First part!"),
			want:   []string{`03-config.md:14: heading anchor "first-part" is already used by the heading on line 10`},
		},
		{
			name:   "level-1 heading and a skipped level",
			change: edit(cfg, 10, "# Config", 14, "#### Deep"),
			want: []string{
				`03-config.md:10: a level-1 heading: the lesson's title is the page's only h1, so start sections at ##`,
				`03-config.md:14: heading level 4 follows level 1; headings must not skip a level`,
			},
		},
		{
			name:   "raw HTML and an unknown code language",
			change: edit(cfg, 12, "Some <b>bold</b> text.", 16, "```nosuchlang\ncode\n```"),
			want: []string{
				`03-config.md:12: raw HTML is not rendered in lessons; write Markdown instead`,
				`03-config.md:16: code block language "nosuchlang" is not one the highlighter knows`,
			},
		},
		{
			name:   "lesson missing",
			change: func(fsys fstest.MapFS) { delete(fsys, fileName(7)) },
			want:   []string{`07-port-binding.md: missing: no file holds lesson 7 (port-binding)`},
		},
		{
			name:   "question bank missing",
			change: func(fsys fstest.MapFS) { delete(fsys, bankName(4)) },
			want:   []string{`04-backing-services.quiz.yaml: missing: lesson "backing-services" has no question bank`},
		},
		{
			name: "question bank broken",
			change: func(fsys fstest.MapFS) {
				fsys[bankName(2)].Data = []byte(strings.Replace(validBank, "type: truefalse", "type: essay", 1))
			},
			want: []string{`02-dependencies.quiz.yaml:5: type must be single, multiple, truefalse, numeric or text, not "essay"`},
		},
		{
			name:   "question bank not valid YAML",
			change: func(fsys fstest.MapFS) { fsys[bankName(1)].Data = []byte("questions: [this is: not: yaml") },
			want:   []string{"01-codebase.quiz.yaml:1: not valid YAML: did not find expected ',' or ']'"},
		},
		{
			name:   "question bank of no lesson",
			change: func(fsys fstest.MapFS) { fsys["13-extra.quiz.yaml"] = &fstest.MapFile{Data: []byte(validBank)} },
			want:   []string{"13-extra.quiz.yaml: no lesson has this question bank; banks are named like 03-config.quiz.yaml"},
		},
		{
			name: "same number twice, one under a wrong file name",
			change: func(fsys fstest.MapFS) {
				fsys["03-config-copy.md"] = &fstest.MapFile{Data: []byte(lessonFile(3))}
			},
			want: []string{
				`03-config-copy.md:2: lesson 3 (config) belongs in a file named 03-config.md`,
				`03-config-copy.md:2: lesson 3 is also in 03-config.md`,
			},
		},
		{
			name:   "number out of range",
			change: edit(fileName(12), 2, "number: 13"),
			want: []string{
				`12-admin-processes.md:2: number 13 is out of range; lessons are numbered 1 to 12`,
				`12-admin-processes.md: missing: no file holds lesson 12 (admin-processes)`,
			},
		},
		{
			name: "problems in several files are all reported",
			change: func(fsys fstest.MapFS) {
				edit(fileName(1), 7, "minutes: -1")(fsys)
				edit(fileName(9), 5, "title:")(fsys)
				edit(fileName(11), 10, "### Too deep")(fsys)
			},
			want: []string{
				`01-codebase.md:7: minutes must be more than 0, got -1`,
				`09-disposability.md:5: title must be text, got no value`,
				`11-logs.md:10: heading level 3 follows level 1; headings must not skip a level`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := validCourse()
			tt.change(fsys)
			c, err := Load(fsys)
			if err == nil {
				t.Fatalf("Load = %v, nil; want problems %q", c, tt.want)
			}
			var got []string
			for _, p := range Problems(err) {
				got = append(got, p.Error())
			}
			if strings.Join(got, "\n") != err.Error() {
				t.Errorf("Problems(err) = %q, but err says %q", got, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// edit replaces numbered lines of one file (pairs of line, text; drop
// deletes the line). Lines are numbered in the file as it was before any
// of the edits.
func edit(file string, pairs ...any) func(fstest.MapFS) {
	return func(fsys fstest.MapFS) {
		src := string(fsys[file].Data)
		for i := len(pairs) - 2; i >= 0; i -= 2 {
			src = replaceLine(src, pairs[i].(int), pairs[i+1].(string))
		}
		fsys[file] = &fstest.MapFile{Data: []byte(src)}
	}
}
