package quiz

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FieldPrefix starts the form field of each question: "a.<question id>".
const FieldPrefix = "a."

// Answer is what a student gave for one question. Exactly the field that
// fits the question's type is used; an unanswered question has none.
type Answer struct {
	Choices []string `json:"choices,omitempty"` // single, multiple: option ids
	Truth   *bool    `json:"truth,omitempty"`   // truefalse
	Number  *float64 `json:"number,omitempty"`  // numeric
	Raw     string   `json:"raw,omitempty"`     // numeric as typed; text
}

// Answered reports whether the student gave any answer.
func (a Answer) Answered() bool {
	return len(a.Choices) > 0 || a.Truth != nil || a.Number != nil || a.Raw != ""
}

// Answers are a paper's answers by question id.
type Answers map[string]Answer

// AnswerError is a problem with the answer to one question, shown beside it.
type AnswerError struct {
	Position   int // 0-based position on the paper; -1 for the form as a whole
	QuestionID string
	Msg        string
}

func (e *AnswerError) Error() string { return e.Msg }

// AnswerErrors are every problem of a submitted form.
type AnswerErrors []AnswerError

func (e AnswerErrors) Error() string {
	msgs := make([]string, len(e))
	for i, ae := range e {
		msgs[i] = ae.Msg
	}
	return "quiz: " + strings.Join(msgs, "; ")
}

// ErrForeignField marks a form that answers questions not on the paper or
// names options that do not exist: not a slip of the student, so the form is
// refused rather than shown again.
var ErrForeignField = errors.New("quiz: the form answers a question or option that is not in this attempt")

// DecodeAnswers reads the answers of paper from a submitted form. Fields not
// starting with FieldPrefix are ignored (the token, anything else). It
// returns ErrForeignField (wrapped) for unknown questions or options, and
// AnswerErrors for answers the student can fix (a number that is not one).
func DecodeAnswers(p Paper, form url.Values) (Answers, error) {
	answers := Answers{}
	var fixable AnswerErrors
	for key, values := range form {
		id, ok := strings.CutPrefix(key, FieldPrefix)
		if !ok {
			continue
		}
		pos, ok := p.Find(id)
		if !ok {
			return nil, fmt.Errorf("%w (question %.40q)", ErrForeignField, id)
		}
		qu := p.Items[pos].Question
		a, err := decodeOne(qu, values)
		var ae *AnswerError
		switch {
		case errors.As(err, &ae):
			ae.Position, ae.QuestionID = pos, id
			fixable = append(fixable, *ae)
		case err != nil:
			return nil, err
		case a.Answered():
			answers[id] = a
		}
	}
	if len(fixable) > 0 {
		slices.SortFunc(fixable, func(a, b AnswerError) int { return a.Position - b.Position })
		return answers, fixable
	}
	return answers, nil
}

func decodeOne(qu *Question, values []string) (Answer, error) {
	var nonEmpty []string
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			nonEmpty = append(nonEmpty, v)
		}
	}
	if len(nonEmpty) == 0 {
		return Answer{}, nil
	}
	switch qu.Type {
	case Single, Multiple:
		if qu.Type == Single && len(nonEmpty) > 1 {
			return Answer{}, fmt.Errorf("%w (question %q takes one option)", ErrForeignField, qu.ID)
		}
		var a Answer
		for _, v := range nonEmpty {
			if _, ok := qu.Option(v); !ok {
				return Answer{}, fmt.Errorf("%w (option %.20q of question %q)", ErrForeignField, v, qu.ID)
			}
			if !slices.Contains(a.Choices, v) {
				a.Choices = append(a.Choices, v)
			}
		}
		slices.Sort(a.Choices)
		return a, nil
	case TrueFalse:
		if len(nonEmpty) > 1 {
			return Answer{}, fmt.Errorf("%w (question %q takes one answer)", ErrForeignField, qu.ID)
		}
		switch nonEmpty[0] {
		case "true":
			t := true
			return Answer{Truth: &t}, nil
		case "false":
			f := false
			return Answer{Truth: &f}, nil
		}
		return Answer{}, fmt.Errorf("%w (question %q is true or false)", ErrForeignField, qu.ID)
	case Numeric:
		if len(nonEmpty) > 1 {
			return Answer{}, fmt.Errorf("%w (question %q takes one number)", ErrForeignField, qu.ID)
		}
		raw := strings.TrimSpace(nonEmpty[0])
		if len(raw) > 64 || !utf8.ValidString(raw) {
			return Answer{}, &AnswerError{Msg: "This answer must be a number, like 30 or 2.5."}
		}
		n, ok := ParseNumber(raw)
		if !ok {
			return Answer{}, &AnswerError{Msg: fmt.Sprintf("“%s” is not a number. Type digits, like 30 or 2.5.", raw)}
		}
		return Answer{Number: &n, Raw: raw}, nil
	case Text:
		if len(nonEmpty) > 1 {
			return Answer{}, fmt.Errorf("%w (question %q takes one answer)", ErrForeignField, qu.ID)
		}
		raw := strings.TrimSpace(nonEmpty[0])
		if !utf8.ValidString(raw) {
			return Answer{}, &AnswerError{Msg: "This answer contains characters that are not text."}
		}
		if utf8.RuneCountInString(raw) > MaxTextAnswer {
			return Answer{}, &AnswerError{Msg: fmt.Sprintf("This answer is longer than %d characters.", MaxTextAnswer)}
		}
		return Answer{Raw: raw}, nil
	}
	return Answer{}, fmt.Errorf("quiz: question %q has unknown type %q", qu.ID, qu.Type)
}

// ParseNumber reads a number as people type it: "30", "-2.5", "2,5",
// "1 000", "3e2". It refuses anything else, and infinities and NaN.
func ParseNumber(s string) (float64, bool) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '_' {
			return -1
		}
		return r
	}, s)
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	if s == "" {
		return 0, false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789.+-eE", r) {
			return 0, false
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, false
	}
	return n, true
}

// NormalizeText folds case and white space, for comparing short answers.
func NormalizeText(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// Form turns answers back into form values, to show a form again.
func (a Answers) Form() url.Values {
	v := url.Values{}
	for id, ans := range a {
		key := FieldPrefix + id
		switch {
		case len(ans.Choices) > 0:
			v[key] = slices.Clone(ans.Choices)
		case ans.Truth != nil:
			v.Set(key, strconv.FormatBool(*ans.Truth))
		case ans.Raw != "":
			v.Set(key, ans.Raw)
		case ans.Number != nil:
			v.Set(key, strconv.FormatFloat(*ans.Number, 'f', -1, 64))
		}
	}
	return v
}
