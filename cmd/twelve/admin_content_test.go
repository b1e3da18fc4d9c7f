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
		if want := "content/lessons (embedded): 12 lessons and 12 question banks, no problems\n"; out.String() != want {
			t.Errorf("output = %q, want %q", &out, want)
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

func TestLoadCourseNamesTheEmbeddedFolder(t *testing.T) {
	course, err := loadCourse(content.Embedded(), embeddedLessons)
	if err != nil || len(course.Lessons()) != 12 {
		t.Fatalf("loadCourse(embedded) = %v, %v; want 12 lessons", course, err)
	}
}
