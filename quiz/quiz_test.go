package quiz

import (
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const sampleBank = `settings:
  draw: 3
questions:
  - id: env
    type: single
    prompt: Where does config live?
    options:
      - id: a
        text: Environment variables
        correct: true
      - id: b
        text: Source code
      - id: c
        text: A GUI
  - id: backing
    type: multiple
    prompt: Which are backing services?
    options:
      - id: a
        text: PostgreSQL
        correct: true
      - id: b
        text: An SMTP relay
        correct: true
      - id: c
        text: The Go compiler
      - id: d
        text: go.sum
  - id: strict
    type: multiple
    scoring: all-or-nothing
    points: 2
    prompt: Strict one
    options:
      - id: a
        text: yes
        correct: true
      - id: b
        text: also yes
        correct: true
      - id: c
        text: no
  - id: rotate
    type: truefalse
    prompt: Apps should rotate their own log files.
    answer: false
  - id: sigkill
    type: numeric
    prompt: Seconds from SIGTERM to SIGKILL?
    answer: 30
    tolerance: 0.5
    unit: seconds
  - id: stream
    type: text
    prompt: Where do logs go?
    accept: ["stdout", "Standard  Output"]
`

func mustBank(t testing.TB, src string) *Quiz {
	t.Helper()
	q, err := ParseBank("bank.quiz.yaml", "logs", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func boolp(b bool) *bool        { return &b }
func floatp(f float64) *float64 { return &f }

func TestGradeEveryTypeAndRule(t *testing.T) {
	q := mustBank(t, sampleBank)
	tests := []struct {
		name     string
		question string
		answer   Answer
		want     float64
	}{
		{"single right", "env", Answer{Choices: []string{"a"}}, 1},
		{"single wrong", "env", Answer{Choices: []string{"b"}}, 0},
		{"single unanswered", "env", Answer{}, 0},
		{"multiple all right", "backing", Answer{Choices: []string{"a", "b"}}, 1},
		{"multiple half right", "backing", Answer{Choices: []string{"a"}}, 0.5},
		{"multiple one right one wrong", "backing", Answer{Choices: []string{"a", "c"}}, 0},
		{"multiple both right one wrong", "backing", Answer{Choices: []string{"a", "b", "c"}}, 0.5},
		{"multiple everything floors at 0", "backing", Answer{Choices: []string{"a", "b", "c", "d"}}, 0},
		{"multiple only wrong floors at 0", "backing", Answer{Choices: []string{"c", "d"}}, 0},
		{"all-or-nothing exact", "strict", Answer{Choices: []string{"a", "b"}}, 2},
		{"all-or-nothing partial gets nothing", "strict", Answer{Choices: []string{"a"}}, 0},
		{"all-or-nothing extra wrong", "strict", Answer{Choices: []string{"a", "b", "c"}}, 0},
		{"truefalse right", "rotate", Answer{Truth: boolp(false)}, 1},
		{"truefalse wrong", "rotate", Answer{Truth: boolp(true)}, 0},
		{"numeric exact", "sigkill", Answer{Number: floatp(30)}, 1},
		{"numeric within tolerance", "sigkill", Answer{Number: floatp(30.5)}, 1},
		{"numeric outside tolerance", "sigkill", Answer{Number: floatp(30.6)}, 0},
		{"text exact", "stream", Answer{Raw: "stdout"}, 1},
		{"text case and space folded", "stream", Answer{Raw: "  standard   OUTPUT "}, 1},
		{"text wrong", "stream", Answer{Raw: "a file"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qu, ok := q.Question(tt.question)
			if !ok {
				t.Fatalf("no question %s", tt.question)
			}
			p := Paper{Quiz: q, Items: []Item{{Question: qu}}}
			res := Grade(p, Answers{tt.question: tt.answer})
			if math.Abs(res.Score-tt.want) > 1e-9 {
				t.Errorf("score = %v, want %v", res.Score, tt.want)
			}
			if res.Max != qu.Points {
				t.Errorf("max = %v, want %v", res.Max, qu.Points)
			}
		})
	}
}

func TestGradeWholePaper(t *testing.T) {
	q := mustBank(t, sampleBank)
	q.Settings.Draw = len(q.Questions)
	p := q.Paper(42)
	res := Grade(p, Answers{"env": {Choices: []string{"a"}}, "strict": {Choices: []string{"a", "b"}}, "stream": {Raw: "stdout"}})
	if res.Max != 7 || res.Score != 4 {
		t.Errorf("score %v/%v, want 4/7", res.Score, res.Max)
	}
	if got := res.Fraction(); math.Abs(got-4.0/7) > 1e-12 {
		t.Errorf("fraction = %v", got)
	}
	if len(res.Items) != len(p.Items) {
		t.Fatalf("%d item results for %d items", len(res.Items), len(p.Items))
	}
	for i, it := range p.Items {
		if res.Items[i].QuestionID != it.Question.ID {
			t.Errorf("item %d is %s, want paper order %s", i, res.Items[i].QuestionID, it.Question.ID)
		}
	}
}

func TestGradeAcross(t *testing.T) {
	tests := []struct {
		method    Method
		fractions []float64
		want      float64
	}{
		{Highest, []float64{0.5, 0.9, 0.7}, 0.9},
		{Latest, []float64{0.5, 0.9, 0.7}, 0.7},
		{First, []float64{0.5, 0.9, 0.7}, 0.5},
		{Average, []float64{0.5, 0.9, 0.7}, 0.7},
		{Highest, nil, 0},
		{Average, []float64{1}, 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.method), func(t *testing.T) {
			s := DefaultSettings()
			s.Grading = tt.method
			if got := s.GradeAcross(tt.fractions); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("GradeAcross(%v) = %v, want %v", tt.fractions, got, tt.want)
			}
		})
	}
}

func TestPassAndAttempts(t *testing.T) {
	s := DefaultSettings()
	if !s.Passed(0.7) || s.Passed(0.69) {
		t.Error("pass mark 70%: 0.7 passes, 0.69 fails")
	}
	if got := s.AttemptsLeft(5); got != -1 {
		t.Errorf("unlimited AttemptsLeft = %d, want -1", got)
	}
	s.AttemptLimit = 3
	if got := s.AttemptsLeft(1); got != 2 {
		t.Errorf("AttemptsLeft(1) = %d, want 2", got)
	}
	if got := s.AttemptsLeft(4); got != 0 {
		t.Errorf("AttemptsLeft(4) = %d, want 0", got)
	}
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	if s.Late(time.Time{}, start.Add(1000*time.Hour)) {
		t.Error("no deadline is never late")
	}
	s.TimeLimit = 10 * time.Minute
	deadline := s.Deadline(start)
	if !deadline.Equal(start.Add(10 * time.Minute)) {
		t.Errorf("deadline = %v", deadline)
	}
	if s.Late(deadline, deadline.Add(s.Grace)) {
		t.Error("within grace is not late")
	}
	if !s.Late(deadline, deadline.Add(s.Grace+time.Second)) {
		t.Error("past grace is late")
	}
}

func TestVisibility(t *testing.T) {
	all := Visibility{true, true, true, true, true, true}
	graded := Visibility{Score: true, Correctness: true, ChosenFeedback: true}
	gradedOnly := Visibility{Score: true, Correctness: true}
	tests := []struct {
		name       string
		when       string
		chosen     string
		limit      int
		passed     bool
		used       int
		instructor bool
		want       Visibility
	}{
		{"default, not passed", ShowAfterPassOrEnd, "", 0, false, 1, false, graded},
		{"default, failed every attempt", ShowAfterPassOrEnd, "", 5, false, 4, false, graded},
		{"chosen feedback waits, not passed", ShowAfterPassOrEnd, ChosenWithRightAnswers, 0, false, 3, false, gradedOnly},
		{"chosen feedback waits, passed", ShowAfterPassOrEnd, ChosenWithRightAnswers, 0, true, 3, false, all},
		{"chosen feedback waits, limit used", ShowAfterEnd, ChosenWithRightAnswers, 2, false, 2, false, all},
		{"chosen feedback waits, never", ShowNever, ChosenWithRightAnswers, 0, true, 2, false, gradedOnly},
		{"chosen feedback waits, but instructor", ShowNever, ChosenWithRightAnswers, 0, false, 1, true, all},
		{"default, passed", ShowAfterPassOrEnd, "", 0, true, 1, false, all},
		{"default, limit used", ShowAfterPassOrEnd, "", 2, false, 2, false, all},
		{"limit-used, passed but attempts left", ShowAfterEnd, "", 3, true, 1, false, graded},
		{"limit-used, limit used", ShowAfterEnd, "", 3, false, 3, false, all},
		{"limit-used, unlimited never ends", ShowAfterEnd, "", 0, true, 50, false, graded},
		{"always", ShowAlways, "", 0, false, 1, false, all},
		{"never", ShowNever, "", 1, true, 1, false, graded},
		{"never, but instructor", ShowNever, "", 0, false, 1, true, all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			s.Review.RightAnswers = tt.when
			if tt.chosen != "" {
				s.Review.ChosenFeedback = tt.chosen
			}
			s.AttemptLimit = tt.limit
			if diff := cmp.Diff(tt.want, s.Visibility(tt.passed, tt.used, tt.instructor)); diff != "" {
				t.Errorf("Visibility (-want +got):\n%s", diff)
			}
		})
	}
	s := DefaultSettings()
	s.Review = Review{Score: false, Correctness: false, RightAnswers: ShowAlways, Feedback: false}
	if got := s.Visibility(true, 1, false); got.Score || got.Correctness || got.Feedback || !got.RightAnswers {
		t.Errorf("review options not honoured: %+v", got)
	}
	// Chosen feedback says whether a choice was right: it needs feedback and
	// correctness to be shown at all.
	for _, r := range []Review{
		{Score: true, Correctness: true, Feedback: false, RightAnswers: ShowNever},
		{Score: true, Correctness: false, Feedback: true, RightAnswers: ShowNever},
	} {
		s.Review = r
		if got := s.Visibility(false, 1, false); got.ChosenFeedback {
			t.Errorf("review %+v shows chosen feedback", r)
		}
	}
	// A version stored before chosen_feedback existed reads as every-attempt.
	s.Review = Review{Score: true, Correctness: true, Feedback: true, RightAnswers: ShowAfterPassOrEnd}
	if got := s.Visibility(false, 1, false); !got.ChosenFeedback || got.Feedback || got.RightAnswers {
		t.Errorf("stored version without chosen_feedback: %+v", got)
	}
}

func TestPaperIsDeterministic(t *testing.T) {
	q := mustBank(t, sampleBank)
	ids := func(p Paper) string {
		var b strings.Builder
		for _, it := range p.Items {
			b.WriteString(it.Question.ID + "(")
			for _, o := range it.Options {
				b.WriteString(o.ID)
			}
			b.WriteString(")")
		}
		return b.String()
	}
	a, b := q.Paper(7), q.Paper(7)
	if ids(a) != ids(b) {
		t.Errorf("same seed gave %s and %s", ids(a), ids(b))
	}
	if len(a.Items) != 3 {
		t.Errorf("drew %d questions, want settings.draw = 3", len(a.Items))
	}
	differs := false
	for seed := uint64(0); seed < 20 && !differs; seed++ {
		differs = ids(q.Paper(seed)) != ids(a)
	}
	if !differs {
		t.Error("twenty seeds all drew the same paper")
	}
	q.Settings.ShuffleQuestions, q.Settings.ShuffleOptions, q.Settings.Draw = false, false, len(q.Questions)
	if got, want := ids(q.Paper(99)), "env(abc)backing(abcd)strict(abc)rotate()sigkill()stream()"; got != want {
		t.Errorf("unshuffled paper = %s, want bank order %s", got, want)
	}
}

func TestDecodeAnswers(t *testing.T) {
	q := mustBank(t, sampleBank)
	q.Settings.Draw = len(q.Questions)
	p := q.Paper(1)
	tests := []struct {
		name    string
		form    url.Values
		want    Answers
		foreign bool
		fixable []string // question ids with a fixable error
	}{
		{"all types", url.Values{
			"a.env": {"a"}, "a.backing": {"b", "a", "a"}, "a.rotate": {"false"},
			"a.sigkill": {" 30,5 "}, "a.stream": {"  stdout "}, "csrf": {"x"}, "token": {"y"},
		}, Answers{
			"env": {Choices: []string{"a"}}, "backing": {Choices: []string{"a", "b"}}, "rotate": {Truth: boolp(false)},
			"sigkill": {Number: floatp(30.5), Raw: "30,5"}, "stream": {Raw: "stdout"},
		}, false, nil},
		{"blank answers are unanswered", url.Values{"a.env": {""}, "a.stream": {"   "}}, Answers{}, false, nil},
		{"question not on paper", url.Values{"a.nope": {"a"}}, nil, true, nil},
		{"option that does not exist", url.Values{"a.env": {"z"}}, nil, true, nil},
		{"two options for single", url.Values{"a.env": {"a", "b"}}, nil, true, nil},
		{"truefalse not a bool", url.Values{"a.rotate": {"maybe"}}, nil, true, nil},
		{"numeric not a number", url.Values{"a.sigkill": {"thirty"}, "a.env": {"a"}}, nil, false, []string{"sigkill"}},
		{"numeric infinity", url.Values{"a.sigkill": {"1e999"}}, nil, false, []string{"sigkill"}},
		{"text too long", url.Values{"a.stream": {strings.Repeat("x", MaxTextAnswer+1)}}, nil, false, []string{"stream"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeAnswers(p, tt.form)
			if tt.foreign {
				if !errors.Is(err, ErrForeignField) {
					t.Fatalf("err = %v, want ErrForeignField", err)
				}
				return
			}
			if tt.fixable != nil {
				var ae AnswerErrors
				if !errors.As(err, &ae) {
					t.Fatalf("err = %v, want AnswerErrors", err)
				}
				var ids []string
				for _, e := range ae {
					ids = append(ids, e.QuestionID)
					if e.Msg == "" {
						t.Error("answer error without a message")
					}
				}
				if diff := cmp.Diff(tt.fixable, ids); diff != "" {
					t.Errorf("fixable (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
			again, err := DecodeAnswers(p, got.Form())
			if err != nil || !cmp.Equal(got, again) {
				t.Errorf("Form() does not round-trip: %v %v", again, err)
			}
		})
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"30", 30, true}, {"-2.5", -2.5, true}, {"2,5", 2.5, true}, {"1 000", 1000, true},
		{"3e2", 300, true}, {"+7", 7, true}, {"0x1F", 0, false}, {"NaN", 0, false}, {"Inf", 0, false},
		{"1e999", 0, false}, {"", 0, false}, {"1,000.5", 0, false}, {"thirty", 0, false}, {"1.2.3", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseNumber(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestVersionFollowsContent(t *testing.T) {
	a := mustBank(t, sampleBank)
	b := mustBank(t, sampleBank)
	if a.Version == "" || a.Version != b.Version {
		t.Errorf("same content, versions %q and %q", a.Version, b.Version)
	}
	c := mustBank(t, strings.Replace(sampleBank, "Where does config live?", "Where does configuration live?", 1))
	if c.Version == a.Version {
		t.Error("changed prompt kept the version")
	}
	body, err := a.Body()
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromBody(a.Version, body)
	if err != nil {
		t.Fatal(err)
	}
	if back.Version != a.Version || !cmp.Equal(back.Questions, a.Questions) || !cmp.Equal(back.Settings, a.Settings) {
		t.Error("stored body does not restore the same quiz")
	}
}
