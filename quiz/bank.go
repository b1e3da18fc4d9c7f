package quiz

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong in a question bank, at a file and line.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) Error() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

var (
	topKeys      = keySet("settings", "questions")
	settingsKeys = keySet("draw", "shuffle_questions", "shuffle_options", "attempt_limit", "time_limit_minutes", "grace_minutes", "pass_mark", "grading", "review")
	reviewKeys   = keySet("score", "correctness", "feedback", "explanations", "right_answers", "chosen_feedback")
	questionKeys = keySet("id", "type", "points", "prompt", "options", "scoring", "answer", "tolerance", "unit", "accept", "accept_patterns", "ignore_flags", "explanation")
	optionKeys   = keySet("id", "text", "correct", "feedback")
)

func keySet(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// Limits on what a bank may hold, so pages and forms stay bounded.
const (
	maxQuestions  = 200
	maxOptions    = 8
	maxPromptLen  = 2000
	maxOptionLen  = 500
	maxAcceptLen  = 200
	MaxTextAnswer = 500 // longest short-text answer a student may submit
)

// ParseBank reads one question bank (YAML) for the quiz slug. It reports
// every problem it finds, each with the file and line, joined in one error.
func ParseBank(file, slug string, data []byte) (*Quiz, error) {
	p := &parser{file: file}
	q := &Quiz{Slug: slug, Settings: DefaultSettings()}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Problem{File: file, Line: yamlErrorLine(err), Msg: "not valid YAML: " + yamlErrorText(err)}
	}
	if len(doc.Content) == 0 {
		return nil, Problem{File: file, Line: 1, Msg: "empty question bank"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, Problem{File: file, Line: root.Line, Msg: "a question bank is a mapping with settings and questions"}
	}
	var questionsNode *yaml.Node
	p.mapping(root, topKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "settings":
			p.settings(v, &q.Settings)
		case "questions":
			questionsNode = v
		}
	})
	if questionsNode == nil {
		p.add(root.Line, "no questions: list them under questions:")
	} else if questionsNode.Kind != yaml.SequenceNode {
		p.add(questionsNode.Line, "questions must be a list")
	} else {
		seen := map[string]int{}
		for _, n := range questionsNode.Content {
			qu, ok := p.question(n)
			if prev, dup := seen[qu.ID]; dup && qu.ID != "" {
				p.add(n.Line, fmt.Sprintf("question id %q is already used on line %d", qu.ID, prev))
				continue
			}
			seen[qu.ID] = n.Line
			if ok {
				q.Questions = append(q.Questions, qu)
			}
		}
		switch n := len(questionsNode.Content); {
		case n == 0:
			p.add(questionsNode.Line, "questions is empty")
		case n > maxQuestions:
			p.add(questionsNode.Line, fmt.Sprintf("at most %d questions", maxQuestions))
		}
	}
	if q.Settings.Draw > len(q.Questions) && len(p.problems) == 0 {
		p.add(root.Line, fmt.Sprintf("settings.draw is %d but the bank has only %d questions", q.Settings.Draw, len(q.Questions)))
	}
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	if err := q.Seal(); err != nil {
		return nil, err
	}
	return q, nil
}

type parser struct {
	file     string
	problems []error
}

func (p *parser) add(line int, msg string) {
	p.problems = append(p.problems, Problem{File: p.file, Line: line, Msg: msg})
}

func (p *parser) err() error { return errors.Join(p.problems...) }

// mapping calls fn for each key of n, reporting unknown and repeated keys.
func (p *parser) mapping(n *yaml.Node, allowed map[string]bool, fn func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "expected a mapping of keys to values")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !allowed[k.Value]:
			p.add(k.Line, fmt.Sprintf("unknown key %q (allowed: %s)", k.Value, strings.Join(sortedKeys(allowed), ", ")))
		case seen[k.Value]:
			p.add(k.Line, fmt.Sprintf("key %q appears twice", k.Value))
		default:
			seen[k.Value] = true
			fn(k.Value, k, v)
		}
	}
}

func (p *parser) decode(v *yaml.Node, key string, out any, want string) bool {
	if v.Kind != yaml.ScalarNode {
		p.add(v.Line, fmt.Sprintf("%s must be %s", key, want))
		return false
	}
	if err := v.Decode(out); err != nil {
		p.add(v.Line, fmt.Sprintf("%s must be %s, not %q", key, want, v.Value))
		return false
	}
	return true
}

func (p *parser) settings(n *yaml.Node, s *Settings) {
	p.mapping(n, settingsKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "draw":
			if p.decode(v, key, &s.Draw, "a whole number") && s.Draw < 1 {
				p.add(v.Line, "draw must be at least 1")
			}
		case "shuffle_questions":
			p.decode(v, key, &s.ShuffleQuestions, "true or false")
		case "shuffle_options":
			p.decode(v, key, &s.ShuffleOptions, "true or false")
		case "attempt_limit":
			if p.decode(v, key, &s.AttemptLimit, "a whole number (0 for unlimited)") && s.AttemptLimit < 0 {
				p.add(v.Line, "attempt_limit must be 0 (unlimited) or more")
			}
		case "time_limit_minutes":
			var m float64
			if p.decode(v, key, &m, "a number of minutes (0 for none)") {
				if m < 0 || m > 24*60 {
					p.add(v.Line, "time_limit_minutes must be from 0 to 1440")
				}
				s.TimeLimit = time.Duration(m * float64(time.Minute))
			}
		case "grace_minutes":
			var m float64
			if p.decode(v, key, &m, "a number of minutes") {
				if m < 0 || m > 60 {
					p.add(v.Line, "grace_minutes must be from 0 to 60")
				}
				s.Grace = time.Duration(m * float64(time.Minute))
			}
		case "pass_mark":
			var pct float64
			if p.decode(v, key, &pct, "a percentage") {
				if pct < 0 || pct > 100 {
					p.add(v.Line, "pass_mark must be a percentage from 0 to 100")
				}
				s.PassMark = pct / 100
			}
		case "grading":
			var m string
			if p.decode(v, key, &m, "a grading method") {
				switch Method(m) {
				case Highest, Latest, First, Average:
					s.Grading = Method(m)
				default:
					p.add(v.Line, fmt.Sprintf("grading must be highest, latest, first or average, not %q", m))
				}
			}
		case "review":
			p.review(v, &s.Review)
		}
	})
}

func (p *parser) review(n *yaml.Node, r *Review) {
	p.mapping(n, reviewKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "score":
			p.decode(v, key, &r.Score, "true or false")
		case "correctness":
			p.decode(v, key, &r.Correctness, "true or false")
		case "feedback":
			p.decode(v, key, &r.Feedback, "true or false")
		case "explanations":
			p.decode(v, key, &r.Explanations, "true or false")
		case "right_answers":
			var s string
			if p.decode(v, key, &s, "when right answers are shown") {
				switch s {
				case ShowAlways, ShowAfterPassOrEnd, ShowAfterEnd, ShowNever:
					r.RightAnswers = s
				default:
					p.add(v.Line, fmt.Sprintf("right_answers must be always, passed-or-limit, limit-used or never, not %q", s))
				}
			}
		case "chosen_feedback":
			var s string
			if p.decode(v, key, &s, "when the chosen options' feedback is shown") {
				switch s {
				case ChosenEveryAttempt, ChosenWithRightAnswers:
					r.ChosenFeedback = s
				default:
					p.add(v.Line, fmt.Sprintf("chosen_feedback must be every-attempt or with-right-answers, not %q", s))
				}
			}
		}
	})
}

func (p *parser) question(n *yaml.Node) (Question, bool) {
	before := len(p.problems)
	qu := Question{Points: 1}
	var optionsNode, answerNode, acceptNode, patternsNode, flagsNode *yaml.Node
	optionsLine := 0
	hasTolerance, hasScoring, hasUnit := false, false, false
	p.mapping(n, questionKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "id":
			if p.decode(v, key, &qu.ID, "an id") && !idPattern.MatchString(qu.ID) {
				p.add(v.Line, fmt.Sprintf("id %q must be lower-case words joined by hyphens", qu.ID))
			}
		case "type":
			var t string
			if p.decode(v, key, &t, "a question type") {
				switch Type(t) {
				case Single, Multiple, TrueFalse, Numeric, Text:
					qu.Type = Type(t)
				default:
					p.add(v.Line, fmt.Sprintf("type must be single, multiple, truefalse, numeric or text, not %q", t))
				}
			}
		case "points":
			if p.decode(v, key, &qu.Points, "a number") && (qu.Points <= 0 || qu.Points > 100) {
				p.add(v.Line, "points must be more than 0 and at most 100")
			}
		case "prompt":
			if p.decode(v, key, &qu.Prompt, "text") {
				qu.Prompt = strings.TrimSpace(qu.Prompt)
				if len(qu.Prompt) > maxPromptLen {
					p.add(v.Line, fmt.Sprintf("prompt is longer than %d characters", maxPromptLen))
				}
			}
		case "explanation":
			if p.decode(v, key, &qu.Explanation, "text") {
				qu.Explanation = strings.TrimSpace(qu.Explanation)
			}
		case "options":
			optionsNode, optionsLine = v, k.Line
		case "answer":
			answerNode = v
		case "accept":
			acceptNode = v
		case "accept_patterns":
			patternsNode = v
		case "ignore_flags":
			flagsNode = v
		case "tolerance":
			hasTolerance = true
			if p.decode(v, key, &qu.Tolerance, "a number") && (qu.Tolerance < 0 || math.IsInf(qu.Tolerance, 0) || math.IsNaN(qu.Tolerance)) {
				p.add(v.Line, "tolerance must be 0 or more")
			}
		case "unit":
			hasUnit = true
			p.decode(v, key, &qu.Unit, "text")
		case "scoring":
			hasScoring = true
			if p.decode(v, key, &qu.Scoring, "partial or all-or-nothing") && qu.Scoring != Partial && qu.Scoring != AllOrNothing {
				p.add(v.Line, fmt.Sprintf("scoring must be partial or all-or-nothing, not %q", qu.Scoring))
			}
		}
	})
	if len(p.problems) > before {
		return qu, false
	}
	line := n.Line
	if qu.ID == "" {
		p.add(line, "question has no id")
	}
	if qu.Prompt == "" {
		p.add(line, fmt.Sprintf("question %q has no prompt", qu.ID))
	}
	if qu.Type == "" {
		p.add(line, fmt.Sprintf("question %q has no type", qu.ID))
		return qu, false
	}
	choice := qu.Type == Single || qu.Type == Multiple
	if choice != (optionsNode != nil) {
		if choice {
			p.add(line, fmt.Sprintf("question %q (%s) needs options", qu.ID, qu.Type))
		} else {
			p.add(optionsLine, fmt.Sprintf("question %q (%s) takes no options", qu.ID, qu.Type))
		}
	}
	if hasScoring && qu.Type != Multiple {
		p.add(line, fmt.Sprintf("question %q: scoring applies to multiple questions only", qu.ID))
	}
	if qu.Type == Multiple && qu.Scoring == "" {
		qu.Scoring = Partial
	}
	if (hasTolerance || hasUnit) && qu.Type != Numeric {
		p.add(line, fmt.Sprintf("question %q: tolerance and unit apply to numeric questions only", qu.ID))
	}
	if acceptNode != nil && qu.Type != Text {
		p.add(acceptNode.Line, fmt.Sprintf("question %q: accept applies to text questions only", qu.ID))
	}
	for _, n := range []*yaml.Node{patternsNode, flagsNode} {
		if n != nil && qu.Type != Text {
			p.add(n.Line, fmt.Sprintf("question %q: accept_patterns and ignore_flags apply to text questions only", qu.ID))
		}
	}
	if answerNode != nil && qu.Type != TrueFalse && qu.Type != Numeric {
		p.add(answerNode.Line, fmt.Sprintf("question %q: answer applies to truefalse and numeric questions only; choice questions mark options correct", qu.ID))
	}
	switch qu.Type {
	case Single, Multiple:
		if optionsNode != nil {
			p.options(&qu, optionsNode, optionsLine)
		}
	case TrueFalse:
		if answerNode == nil {
			p.add(line, fmt.Sprintf("question %q (truefalse) needs answer: true or false", qu.ID))
		} else {
			p.decode(answerNode, "answer", &qu.Truth, "true or false")
		}
	case Numeric:
		if answerNode == nil {
			p.add(line, fmt.Sprintf("question %q (numeric) needs answer: a number", qu.ID))
		} else if p.decode(answerNode, "answer", &qu.Number, "a number") && (math.IsInf(qu.Number, 0) || math.IsNaN(qu.Number)) {
			p.add(answerNode.Line, "answer must be a finite number")
		}
	case Text:
		if acceptNode == nil || acceptNode.Kind != yaml.SequenceNode || len(acceptNode.Content) == 0 {
			p.add(line, fmt.Sprintf("question %q (text) needs accept: a list of accepted answers", qu.ID))
		} else {
			for _, a := range acceptNode.Content {
				var s string
				if p.decode(a, "accept", &s, "text") {
					if NormalizeText(s) == "" || len(s) > maxAcceptLen {
						p.add(a.Line, "an accepted answer must be non-empty and short")
					}
					qu.Accept = append(qu.Accept, s)
				}
			}
		}
		p.strings(patternsNode, "accept_patterns", func(line int, s string) {
			if _, err := compileAnswerPattern(s); err != nil || len(s) > maxAcceptLen {
				p.add(line, fmt.Sprintf("question %q: accept pattern %q is not a valid Go regular expression of at most %d characters", qu.ID, s, maxAcceptLen))
				return
			}
			qu.AcceptPatterns = append(qu.AcceptPatterns, s)
		})
		p.strings(flagsNode, "ignore_flags", func(line int, s string) {
			if !flagPattern.MatchString(s) {
				p.add(line, fmt.Sprintf("question %q: ignore_flags takes flags such as -a or --app, not %q", qu.ID, s))
				return
			}
			qu.IgnoreFlags = append(qu.IgnoreFlags, s)
		})
	}
	return qu, len(p.problems) == before
}

// strings calls fn with each string of the list n, if n is given.
func (p *parser) strings(n *yaml.Node, key string, fn func(line int, s string)) {
	if n == nil {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, key+" must be a list")
		return
	}
	for _, v := range n.Content {
		var s string
		if p.decode(v, key, &s, "text") {
			fn(v.Line, s)
		}
	}
}

func (p *parser) options(qu *Question, n *yaml.Node, line int) {
	if n.Kind != yaml.SequenceNode {
		p.add(line, "options must be a list")
		return
	}
	if len(n.Content) < 2 || len(n.Content) > maxOptions {
		p.add(line, fmt.Sprintf("question %q needs 2 to %d options, has %d", qu.ID, maxOptions, len(n.Content)))
	}
	seen := map[string]bool{}
	correct := 0
	for _, on := range n.Content {
		var o Option
		p.mapping(on, optionKeys, func(key string, _, v *yaml.Node) {
			switch key {
			case "id":
				p.decode(v, key, &o.ID, "an id")
			case "text":
				p.decode(v, key, &o.Text, "text")
			case "correct":
				p.decode(v, key, &o.Correct, "true or false")
			case "feedback":
				p.decode(v, key, &o.Feedback, "text")
			}
		})
		o.Text, o.Feedback = strings.TrimSpace(o.Text), strings.TrimSpace(o.Feedback)
		switch {
		case !idPattern.MatchString(o.ID):
			p.add(on.Line, fmt.Sprintf("question %q: option id %q must be a short lower-case id such as a", qu.ID, o.ID))
		case seen[o.ID]:
			p.add(on.Line, fmt.Sprintf("question %q: option id %q is used twice", qu.ID, o.ID))
		case o.Text == "" || len(o.Text) > maxOptionLen:
			p.add(on.Line, fmt.Sprintf("question %q: option %q needs text of at most %d characters", qu.ID, o.ID, maxOptionLen))
		}
		seen[o.ID] = true
		if o.Correct {
			correct++
		}
		qu.Options = append(qu.Options, o)
	}
	switch {
	case qu.Type == Single && correct != 1:
		p.add(line, fmt.Sprintf("question %q (single) needs exactly one correct option, has %d", qu.ID, correct))
	case qu.Type == Multiple && correct < 1:
		p.add(line, fmt.Sprintf("question %q (multiple) needs at least one correct option", qu.ID))
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlErrorLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		var n int
		fmt.Sscanf(m[1], "%d", &n)
		return n
	}
	return 1
}

func yamlErrorText(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// BankSuffix ends the file name of every question bank: NN-slug.quiz.yaml.
const BankSuffix = ".quiz.yaml"
