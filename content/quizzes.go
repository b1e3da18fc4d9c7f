package content

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"strings"

	"github.com/twelve-course/twelve/quiz"
)

// Quiz returns a lesson's question bank.
func (c *Course) Quiz(slug string) (*quiz.Quiz, bool) {
	q, ok := c.quizzes[slug]
	return q, ok
}

// Quizzes returns every lesson's question bank by slug.
func (c *Course) Quizzes() map[string]*quiz.Quiz { return maps.Clone(c.quizzes) }

// loadQuizzes reads each lesson's question bank, NN-slug.quiz.yaml beside
// the lesson, and reports missing, stray and broken banks as Problems.
func loadQuizzes(fsys fs.FS, c *Course, ps *problems) {
	c.quizzes = map[string]*quiz.Quiz{}
	expected := map[string]string{}
	for i, slug := range slugs {
		expected[fmt.Sprintf("%02d-%s%s", i+1, slug, quiz.BankSuffix)] = slug
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		ps.add(".", 0, "cannot read the folder: %v", err)
		return
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, quiz.BankSuffix) {
			continue
		}
		slug, ok := expected[name]
		if !ok {
			ps.add(name, 0, "no lesson has this question bank; banks are named like 03-config%s", quiz.BankSuffix)
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			ps.add(name, 0, "cannot read: %v", err)
			continue
		}
		q, err := quiz.ParseBank(name, slug, data)
		if err != nil {
			addQuizProblems(name, err, ps)
			continue
		}
		c.quizzes[slug] = q
	}
	for i, slug := range slugs {
		name := fmt.Sprintf("%02d-%s%s", i+1, slug, quiz.BankSuffix)
		if _, ok := c.quizzes[slug]; !ok && !mentions(*ps, name) {
			ps.add(name, 0, "missing: lesson %q has no question bank", slug)
		}
	}
}

// addQuizProblems turns the quiz package's problems into content Problems.
func addQuizProblems(file string, err error, ps *problems) {
	var walk func(error)
	walk = func(err error) {
		var qp quiz.Problem
		switch {
		case errors.As(err, &qp) && err.Error() == qp.Error():
			ps.add(qp.File, qp.Line, "%s", qp.Msg)
		case isJoined(err):
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				walk(e)
			}
		default:
			ps.add(file, 0, "%v", err)
		}
	}
	walk(err)
}

func isJoined(err error) bool {
	_, ok := err.(interface{ Unwrap() []error })
	return ok
}

func mentions(ps problems, file string) bool {
	for _, e := range ps {
		if p, ok := e.(*Problem); ok && p.File == file {
			return true
		}
	}
	return false
}
