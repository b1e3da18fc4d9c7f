package quiz

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseBankProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // each a "file:line: message" fragment
	}{
		{"not yaml", "questions: [", []string{"b.yaml:1: not valid YAML"}},
		{"empty", "", []string{"b.yaml:1: empty question bank"}},
		{"no questions", "settings:\n  draw: 1\n", []string{"b.yaml:1: no questions"}},
		{"unknown top key", "quesions: []\n", []string{`b.yaml:1: unknown key "quesions"`, "b.yaml:1: no questions"}},
		{"bad settings", "settings:\n  draw: lots\n  grading: best\n  pass_mark: 170\nquestions:\n  - id: x\n    type: truefalse\n    prompt: p\n    answer: true\n", []string{
			`b.yaml:2: draw must be a whole number, not "lots"`,
			`b.yaml:3: grading must be highest, latest, first or average, not "best"`,
			"b.yaml:4: pass_mark must be a percentage from 0 to 100",
		}},
		{"question problems", `questions:
  - id: Bad_Id
    type: single
    prompt: p
    options:
      - id: a
        text: one
      - id: b
        text: two
  - id: ok-two
    type: essay
    prompt: p
  - id: tf
    type: truefalse
    prompt: p
  - id: num
    type: numeric
    prompt: p
    answer: lots
  - id: txt
    type: text
    prompt: p
  - id: multi
    type: multiple
    prompt: p
    options:
      - id: a
        text: x
        correct: true
      - id: a
        text: y
  - id: tf
    type: truefalse
    prompt: again
    answer: true
  - id: extra
    type: single
    prompt: p
    colour: red
    options:
      - id: a
        text: x
        correct: true
      - id: b
        text: y
`, []string{
			`b.yaml:2: id "Bad_Id" must be lower-case words joined by hyphens`,
			`b.yaml:11: type must be single, multiple, truefalse, numeric or text, not "essay"`,
			`b.yaml:13: question "tf" (truefalse) needs answer`,
			`b.yaml:19: answer must be a number, not "lots"`,
			`b.yaml:20: question "txt" (text) needs accept`,
			`b.yaml:30: question "multi": option id "a" is used twice`,
			`b.yaml:32: question id "tf" is already used on line 13`,
			`b.yaml:39: unknown key "colour"`,
		}},
		{"single needs one correct", "questions:\n  - id: s\n    type: single\n    prompt: p\n    options:\n      - id: a\n        text: x\n      - id: b\n        text: y\n", []string{
			`b.yaml:5: question "s" (single) needs exactly one correct option, has 0`,
		}},
		{"text matching problems", `questions:
  - id: t
    type: text
    prompt: p
    accept: [x]
    accept_patterns: ["heroku ps:scale web=(3", "ok"]
    ignore_flags: [-a, "app", "--App"]
  - id: s
    type: truefalse
    prompt: p
    answer: true
    accept_patterns: ["x"]
  - id: u
    type: text
    prompt: p
    accept: [x]
    accept_patterns: x
`, []string{
			`b.yaml:6: question "t": accept pattern "heroku ps:scale web=(3" is not a valid Go regular expression`,
			`b.yaml:7: question "t": ignore_flags takes flags such as -a or --app, not "app"`,
			`b.yaml:7: question "t": ignore_flags takes flags such as -a or --app, not "--App"`,
			`b.yaml:12: question "s": accept_patterns and ignore_flags apply to text questions only`,
			`b.yaml:17: accept_patterns must be a list`,
		}},
		{"chosen feedback setting", "settings:\n  review:\n    chosen_feedback: sometimes\nquestions:\n  - id: x\n    type: truefalse\n    prompt: p\n    answer: true\n", []string{
			`b.yaml:3: chosen_feedback must be every-attempt or with-right-answers, not "sometimes"`,
		}},
		{"draw beyond bank", "settings:\n  draw: 5\nquestions:\n  - id: x\n    type: truefalse\n    prompt: p\n    answer: true\n", []string{
			"b.yaml:1: settings.draw is 5 but the bank has only 1 questions",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBank("b.yaml", "x", []byte(tt.src))
			if err == nil {
				t.Fatal("ParseBank accepted a broken bank")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("problems lack %q; got:\n%s", w, err)
				}
			}
			if got, want := strings.Count(err.Error(), "\n")+1, len(tt.want); got != want {
				t.Errorf("got %d problems, want %d:\n%s", got, want, err)
			}
		})
	}
}

func TestParseBankSettings(t *testing.T) {
	q, err := ParseBank("b.yaml", "x", []byte(`settings:
  draw: 1
  shuffle_questions: false
  shuffle_options: false
  attempt_limit: 3
  time_limit_minutes: 15
  grace_minutes: 1
  pass_mark: 80
  grading: average
  review:
    score: true
    correctness: false
    right_answers: limit-used
    chosen_feedback: with-right-answers
questions:
  - id: x
    type: truefalse
    prompt: p
    answer: true
`))
	if err != nil {
		t.Fatal(err)
	}
	s := q.Settings
	if s.Draw != 1 || s.ShuffleQuestions || s.ShuffleOptions || s.AttemptLimit != 3 || s.TimeLimit != 15*time.Minute ||
		s.Grace != time.Minute || s.PassMark != 0.8 || s.Grading != Average || s.Review.Correctness || s.Review.RightAnswers != ShowAfterEnd ||
		s.Review.ChosenFeedback != ChosenWithRightAnswers {
		t.Errorf("settings = %+v", s)
	}
	if !s.Review.Score || !s.Review.Explanations {
		t.Errorf("unset review options must keep their defaults: %+v", s.Review)
	}
}

// TestCourseBanks parses the real question banks of the course.
func TestCourseBanks(t *testing.T) {
	files, err := filepath.Glob("../content/lessons/*.quiz.yaml")
	if err != nil || len(files) != 12 {
		t.Fatalf("found %d banks (%v), want 12", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParseBank(filepath.Base(f), "x", data)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if p := q.BankCues().Problems(); len(p) > 0 {
			t.Errorf("%s: cues give keys away: %v", f, p)
		}
		if len(q.Questions) < 8 {
			t.Errorf("%s has %d questions, want at least 8", f, len(q.Questions))
		}
	}
}

// TestCourseTextAnswers: the course's short-text questions take what an
// expert would type, and not what is wrong.
func TestCourseTextAnswers(t *testing.T) {
	tests := []struct {
		bank, question, answer string
		want                   bool
	}{
		{"03-config", "set-log-level-on-heroku", "heroku config:set LOG_LEVEL=debug", true},
		{"03-config", "set-log-level-on-heroku", "heroku config:set LOG_LEVEL=debug -a twelve-staging", true},
		{"03-config", "set-log-level-on-heroku", "heroku config:set --app=twelve-staging LOG_LEVEL=debug", true},
		{"03-config", "set-log-level-on-heroku", `heroku config:set "LOG_LEVEL=debug"`, true},
		{"03-config", "set-log-level-on-heroku", "heroku config:set LOG_LEVEL=info", false},
		{"03-config", "set-log-level-on-heroku", "export LOG_LEVEL=debug", false},
		{"07-port-binding", "second-web-process-command", "PORT=8081 bin/twelve web", true},
		{"07-port-binding", "second-web-process-command", "PORT=8081 ./bin/twelve web", true},
		{"07-port-binding", "second-web-process-command", "env PORT=8081 bin/twelve web", true},
		{"07-port-binding", "second-web-process-command", "export PORT=8081; bin/twelve web", true},
		{"07-port-binding", "second-web-process-command", "PORT=8081 go run ./cmd/twelve web", true},
		{"07-port-binding", "second-web-process-command", "bin/twelve web --port 8081", false},
		{"08-concurrency", "ps-scale-command", "heroku ps:scale web=3", true},
		{"08-concurrency", "ps-scale-command", "heroku ps:scale web=3 -a myapp", true},
		{"08-concurrency", "ps-scale-command", "heroku ps:scale web=3:standard-1x --app myapp", true},
		{"08-concurrency", "ps-scale-command", "heroku ps:scale web+2", true},
		{"08-concurrency", "ps-scale-command", "heroku ps:scale web=2", false},
		{"11-logs", "stream-to-a-file-locally", "bin/twelve web > web.log", true},
		{"11-logs", "stream-to-a-file-locally", "./bin/twelve web >> web.log 2>&1", true},
		{"11-logs", "stream-to-a-file-locally", "bin/twelve web | tee web.log", true},
		{"11-logs", "stream-to-a-file-locally", "bin/twelve web --log-file web.log", false},
		{"12-admin-processes", "run-admin-on-heroku", "heroku run bin/twelve admin check", true},
		{"12-admin-processes", "run-admin-on-heroku", "heroku run -a twelve-prod twelve admin check", true},
		{"12-admin-processes", "run-admin-on-heroku", "heroku run --app twelve-prod -- ./bin/twelve admin check", true},
		{"12-admin-processes", "run-admin-on-heroku", "heroku run:detached bin/twelve admin check", false},
		{"12-admin-processes", "run-admin-on-heroku", "bin/twelve admin check", false},
	}
	banks := map[string]*Quiz{}
	for _, tt := range tests {
		q, ok := banks[tt.bank]
		if !ok {
			data, err := os.ReadFile("../content/lessons/" + tt.bank + BankSuffix)
			if err != nil {
				t.Fatal(err)
			}
			if q, err = ParseBank(tt.bank+BankSuffix, "x", data); err != nil {
				t.Fatal(err)
			}
			banks[tt.bank] = q
		}
		t.Run(tt.question+"/"+tt.answer, func(t *testing.T) {
			qu, ok := q.Question(tt.question)
			if !ok || qu.Type != Text {
				t.Fatalf("%s has no text question %s", tt.bank, tt.question)
			}
			if got := qu.AcceptsText(tt.answer); got != tt.want {
				t.Errorf("AcceptsText(%q) = %v, want %v", tt.answer, got, tt.want)
			}
		})
	}
}
