// Package quiz is the pure domain of Twelve's quizzes: question banks and
// their settings, drawing a paper from a seed, decoding and grading answers,
// grading across attempts, review rules and signed attempt tokens. It knows
// nothing of HTTP or SQL.
package quiz

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned for a quiz, question or attempt that does not exist.
var ErrNotFound = errors.New("quiz: not found")

// Type is a question type.
type Type string

// The question types.
const (
	Single    Type = "single"
	Multiple  Type = "multiple"
	TrueFalse Type = "truefalse"
	Numeric   Type = "numeric"
	Text      Type = "text"
)

// Scoring rules for multiple-answer questions.
const (
	// Partial gives each right option chosen an equal share of the points and
	// takes an equal share away for each wrong one (Moodle's rule), floor 0.
	Partial = "partial"
	// AllOrNothing gives the points only for exactly the right set.
	AllOrNothing = "all-or-nothing"
)

// Option is one choice of a single or multiple question.
type Option struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Correct  bool   `json:"correct,omitempty"`
	Feedback string `json:"feedback,omitempty"`
}

// Question is one question of a bank.
type Question struct {
	ID        string   `json:"id"`
	Type      Type     `json:"type"`
	Points    float64  `json:"points"`
	Prompt    string   `json:"prompt"`
	Options   []Option `json:"options,omitempty"`
	Scoring   string   `json:"scoring,omitempty"`
	Truth     bool     `json:"truth,omitempty"`
	Number    float64  `json:"number,omitempty"`
	Tolerance float64  `json:"tolerance,omitempty"`
	Unit      string   `json:"unit,omitempty"`
	Accept    []string `json:"accept,omitempty"`
	// AcceptPatterns are Go regular expressions, each matched against the
	// whole normalised answer.
	AcceptPatterns []string `json:"accept_patterns,omitempty"`
	// IgnoreFlags are command-line flags that take a value (such as -a and
	// --app): removed with their value from a text answer before matching.
	IgnoreFlags []string `json:"ignore_flags,omitempty"`
	Explanation string   `json:"explanation,omitempty"`
}

// Method is how the grades of several attempts make the quiz's grade.
type Method string

// The grading methods.
const (
	Highest Method = "highest"
	Latest  Method = "latest"
	First   Method = "first"
	Average Method = "average"
)

// When right answers may be shown in review.
const (
	ShowAlways         = "always"
	ShowAfterPassOrEnd = "passed-or-limit" // once passed, or once no attempt is left
	ShowAfterEnd       = "limit-used"      // once no attempt is left
	ShowNever          = "never"
)

// When the feedback of the options a student chose may be shown in review.
const (
	// ChosenEveryAttempt shows it after every attempt, so a student who
	// keeps failing learns why their choices were wrong.
	ChosenEveryAttempt = "every-attempt"
	// ChosenWithRightAnswers holds it back with the right answers.
	ChosenWithRightAnswers = "with-right-answers"
)

// Review says what a student sees of a submitted attempt.
type Review struct {
	Score        bool   `json:"score"`
	Correctness  bool   `json:"correctness"`
	Feedback     bool   `json:"feedback"`
	Explanations bool   `json:"explanations"`
	RightAnswers string `json:"right_answers"`
	// ChosenFeedback is when the feedback of the chosen options shows:
	// ChosenEveryAttempt, or "" (a version stored before the setting
	// existed, read the same way), or ChosenWithRightAnswers.
	ChosenFeedback string `json:"chosen_feedback,omitempty"`
}

// Settings are a quiz's rules.
type Settings struct {
	Draw             int           `json:"draw"`
	ShuffleQuestions bool          `json:"shuffle_questions"`
	ShuffleOptions   bool          `json:"shuffle_options"`
	AttemptLimit     int           `json:"attempt_limit"` // 0: unlimited
	TimeLimit        time.Duration `json:"time_limit"`    // 0: none
	Grace            time.Duration `json:"grace"`
	PassMark         float64       `json:"pass_mark"` // fraction 0..1
	Grading          Method        `json:"grading"`
	Review           Review        `json:"review"`
}

// DefaultSettings are the rules of a quiz that states none.
func DefaultSettings() Settings {
	return Settings{
		Draw:             8,
		ShuffleQuestions: true,
		ShuffleOptions:   true,
		Grace:            2 * time.Minute,
		PassMark:         0.7,
		Grading:          Highest,
		Review: Review{
			Score: true, Correctness: true, Feedback: true, Explanations: true,
			RightAnswers: ShowAfterPassOrEnd, ChosenFeedback: ChosenEveryAttempt,
		},
	}
}

// Quiz is one lesson's question bank with its settings.
type Quiz struct {
	Slug      string     `json:"slug"`
	Settings  Settings   `json:"settings"`
	Questions []Question `json:"questions"`
	// Version is the content hash of everything above: an attempt is graded
	// and reviewed against the version its student saw.
	Version string `json:"-"`
}

// Seal computes the quiz's content version.
func (q *Quiz) Seal() error {
	body, err := q.Body()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	q.Version = hex.EncodeToString(sum[:10])
	return nil
}

// Body is the canonical JSON of the quiz, the content its version hashes.
func (q *Quiz) Body() ([]byte, error) {
	b, err := json.Marshal(q)
	if err != nil {
		return nil, fmt.Errorf("quiz: encode %s: %w", q.Slug, err)
	}
	return b, nil
}

// FromBody decodes a stored version of a quiz. The hash it was stored under
// stays its version: a later release may encode quizzes differently.
func FromBody(hash string, body []byte) (*Quiz, error) {
	var q Quiz
	if err := json.Unmarshal(body, &q); err != nil {
		return nil, fmt.Errorf("quiz: decode stored version %s: %w", hash, err)
	}
	q.Version = hash
	return &q, nil
}

// Question returns the question with id.
func (q *Quiz) Question(id string) (*Question, bool) {
	for i := range q.Questions {
		if q.Questions[i].ID == id {
			return &q.Questions[i], true
		}
	}
	return nil, false
}

// Option returns the option with id.
func (qu *Question) Option(id string) (*Option, bool) {
	for i := range qu.Options {
		if qu.Options[i].ID == id {
			return &qu.Options[i], true
		}
	}
	return nil, false
}

// Deadline is when an attempt started at start must be submitted, or the
// zero time when the quiz has no time limit.
func (s Settings) Deadline(start time.Time) time.Time {
	if s.TimeLimit <= 0 {
		return time.Time{}
	}
	return start.Add(s.TimeLimit)
}
