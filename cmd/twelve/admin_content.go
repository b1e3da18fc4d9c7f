package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/quiz"
)

// embeddedLessons names the embedded lessons in messages: the folder they
// were embedded from.
const embeddedLessons = "content/lessons"

// adminContentCheck validates the lessons, the embedded ones or those in a
// folder, and prints every problem with its file and line.
func adminContentCheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	flags := flag.NewFlagSet("admin content-check", flag.ContinueOnError)
	flags.SetOutput(stdout)
	flags.Usage = func() {
		fmt.Fprintln(stdout, "usage: twelve admin content-check [DIR]")
		fmt.Fprintln(stdout, "\nChecks the lessons in DIR (a lessons folder, or a folder holding one),")
		fmt.Fprintln(stdout, "or those embedded in this binary when DIR is not given.")
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 1 {
		flags.Usage()
		return errors.New("admin content-check: give at most one folder")
	}
	fsys, where := content.Embedded(), embeddedLessons+" (embedded)"
	if dir := flags.Arg(0); dir != "" {
		var err error
		if fsys, where, err = lessonsFolder(dir); err != nil {
			return err
		}
	}
	course, err := loadCourse(fsys, where)
	if err != nil {
		fmt.Fprintln(stdout, err)
		if n := len(content.Problems(err)); n > 0 {
			return fmt.Errorf("admin content-check: %d problems", n)
		}
		return err
	}
	fmt.Fprintf(stdout, "%s: %d lessons and %d question banks, no problems\n", where, len(course.Lessons()), len(course.Quizzes()))
	if n := printCues(stdout, course, strings.TrimSuffix(where, " (embedded)")); n > 0 {
		return fmt.Errorf("admin content-check: %d cue problems", n)
	}
	return nil
}

// printCues prints each bank's cues (see quiz.Cues) and the problems of
// those above the thresholds, and returns how many problems there are.
func printCues(w io.Writer, course *content.Course, dir string) int {
	fmt.Fprintf(w, "cues that give keys away (fail: right option longest, or shortest, in more than %.0f%% of single-choice questions,\n", 100*quiz.MaxLongestKeyShare)
	fmt.Fprintf(w, "  one option id on more than %.0f%% of right options, every multiple-answer question with the same number right):\n", 100*quiz.MaxKeyIDShare)
	problems := 0
	for _, l := range course.Lessons() {
		q, ok := course.Quiz(l.Slug)
		if !ok {
			continue
		}
		name := fmt.Sprintf("%02d-%s%s", l.Number, l.Slug, quiz.BankSuffix)
		cues := q.BankCues()
		fmt.Fprintf(w, "  %-36s %s\n", name, cues)
		for _, p := range cues.Problems() {
			fmt.Fprintf(w, "%s: %s\n", filepath.ToSlash(filepath.Join(dir, name)), p)
			problems++
		}
	}
	return problems
}

// lessonsFolder opens dir, or dir/lessons when dir holds a lessons folder
// (so both `content` and `content/lessons` work).
func lessonsFolder(dir string) (fs.FS, string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, "", fmt.Errorf("admin content-check: %w", err)
	}
	if !info.IsDir() {
		return nil, "", fmt.Errorf("admin content-check: %s is not a folder", dir)
	}
	if sub := filepath.Join(dir, "lessons"); isDir(sub) {
		dir = sub
	}
	return os.DirFS(dir), dir, nil
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// loadCourse loads and checks the lessons in fsys. On failure the error
// lists every problem on its own line as "where/file:line: message".
func loadCourse(fsys fs.FS, where string) (*content.Course, error) {
	course, err := content.Load(fsys)
	if err == nil {
		return course, nil
	}
	problems := content.Problems(err)
	if len(problems) == 0 {
		return nil, err
	}
	dir := strings.TrimSuffix(where, " (embedded)")
	errs := make([]error, 0, len(problems))
	for _, p := range problems {
		located := *p
		located.File = filepath.ToSlash(filepath.Join(dir, p.File))
		errs = append(errs, &located)
	}
	return nil, errors.Join(errs...)
}
