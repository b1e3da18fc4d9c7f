package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/content"
)

// copyLessons writes the embedded lessons into a temporary content/lessons
// folder and returns the content folder.
func copyLessons(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "lessons")
	if err := os.CopyFS(dir, content.Embedded()); err != nil {
		t.Fatal(err)
	}
	return root
}

// breakLine replaces a line of one lesson file.
func breakLine(t *testing.T, file string, line int, text string) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	lines[line-1] = text
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestContentCheck(t *testing.T) {
	noEnv := func(string) string { return "" }

	t.Run("embedded lessons are valid", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"admin", "content-check"}, noEnv, &out); err != nil {
			t.Fatalf("content-check = %v\n%s", err, &out)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if want := "content/lessons (embedded): 12 lessons and 12 question banks, no problems"; lines[0] != want {
			t.Errorf("first line = %q, want %q", lines[0], want)
		}
		// A heading of two lines, then one line of cues per bank.
		if len(lines) != 1+2+12 {
			t.Errorf("got %d lines, want 15 (one per bank):\n%s", len(lines), &out)
		}
		for _, l := range lines[3:] {
			if !strings.HasPrefix(l, "  ") || !strings.Contains(l, ".quiz.yaml") || !strings.Contains(l, "longest key ") {
				t.Errorf("not a bank's cues: %q", l)
			}
		}
	})

	root := copyLessons(t)
	lessons := filepath.Join(root, "lessons")
	breakLine(t, filepath.Join(lessons, "03-config.md"), 3, "numeral: IV")
	breakLine(t, filepath.Join(lessons, "05-build-release-run.md"), 7, "minutes: soon")
	breakLine(t, filepath.Join(lessons, "11-logs.md"), 10, "# What the factor says")
	if err := os.Remove(filepath.Join(lessons, "08-concurrency.md")); err != nil {
		t.Fatal(err)
	}
	want := []string{
		lessons + "/03-config.md:3: numeral \"IV\" does not match number 3; want \"III\"",
		lessons + "/05-build-release-run.md:7: minutes must be a whole number, got \"soon\"",
		lessons + "/11-logs.md:10: a level-1 heading: the lesson's title is the page's only h1, so start sections at ##",
		lessons + "/08-concurrency.md: missing: no file holds lesson 8 (concurrency)",
	}
	for _, dir := range []string{root, lessons} {
		t.Run("broken lessons in "+filepath.Base(dir), func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), []string{"admin", "content-check", dir}, noEnv, &out)
			if err == nil || err.Error() != "admin content-check: 4 problems" {
				t.Errorf("content-check = %v, want \"admin content-check: 4 problems\"", err)
			}
			if got := strings.Split(strings.TrimSpace(out.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}

	t.Run("not a folder", func(t *testing.T) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"admin", "content-check", filepath.Join(root, "nope")}, noEnv, &out)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("content-check on a missing folder = %v, want a not-exist error", err)
		}
	})
}

// cuedBank is a valid bank whose keys a student could guess: the right
// option is always the longest and always a, and both multiple-answer
// questions have two right options.
const cuedBank = `settings:
  draw: 4
questions:
  - {id: s1, type: single, prompt: p, options: [{id: a, text: the longest option, correct: true}, {id: b, text: short}, {id: c, text: shorter}]}
  - {id: s2, type: single, prompt: p, options: [{id: a, text: the longest option, correct: true}, {id: b, text: short}, {id: c, text: shorter}]}
  - {id: s3, type: single, prompt: p, options: [{id: a, text: the longest option, correct: true}, {id: b, text: short}, {id: c, text: shorter}]}
  - {id: s4, type: single, prompt: p, options: [{id: a, text: short, correct: true}, {id: b, text: the longest option}, {id: c, text: shorter}]}
  - {id: m1, type: multiple, prompt: p, options: [{id: a, text: x, correct: true}, {id: b, text: y, correct: true}, {id: c, text: z}]}
  - {id: m2, type: multiple, prompt: p, options: [{id: a, text: x, correct: true}, {id: b, text: y, correct: true}, {id: c, text: z}]}
`

func TestContentCheckCues(t *testing.T) {
	root := copyLessons(t)
	lessons := filepath.Join(root, "lessons")
	if err := os.WriteFile(filepath.Join(lessons, "07-port-binding.quiz.yaml"), []byte(cuedBank), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"admin", "content-check", root}, func(string) string { return "" }, &out)
	if err == nil || err.Error() != "admin content-check: 3 cue problems" {
		t.Errorf("content-check = %v, want \"admin content-check: 3 cue problems\"\n%s", err, &out)
	}
	for _, want := range []string{
		"  07-port-binding.quiz.yaml            longest key 3/4, shortest key 1/4; right options in multiple [2×2]; keys by id [a 6, b 2]\n",
		lessons + "/07-port-binding.quiz.yaml: the right option is the longest in 3 of 4 single-choice questions (at most 40% allowed)\n",
		lessons + "/07-port-binding.quiz.yaml: all 2 multiple-answer questions have exactly 2 right options; vary the number\n",
		lessons + "/07-port-binding.quiz.yaml: option id \"a\" carries 6 of 8 right options (at most 40% allowed)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
	if n := strings.Count(out.String(), ": the right option") + strings.Count(out.String(), ": all ") + strings.Count(out.String(), ": option id"); n != 3 {
		t.Errorf("%d problem lines, want 3 (the other banks pass):\n%s", n, &out)
	}
}

func TestLoadCourseNamesTheEmbeddedFolder(t *testing.T) {
	course, err := loadCourse(content.Embedded(), embeddedLessons)
	if err != nil || len(course.Lessons()) != 12 {
		t.Fatalf("loadCourse(embedded) = %v, %v; want 12 lessons", course, err)
	}
}
