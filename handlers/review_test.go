package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/quiz"
)

// wrongChoices answers every choice question of the token's paper with one
// wrong option, and leaves the other questions blank. It returns the form
// and the number of options chosen.
func wrongChoices(t testing.TB, q *quiz.Quiz, token string) (url.Values, int) {
	t.Helper()
	s, _ := quiz.NewSigner([][]byte{[]byte(quizTestKey)})
	tok, err := s.Decode(token, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	form, chosen := url.Values{"attempt": {token}}, 0
	for _, it := range q.Paper(tok.Seed).Items {
		for _, o := range it.Question.Options {
			if !o.Correct {
				form.Set(quiz.FieldPrefix+it.Question.ID, o.ID)
				chosen++
				break
			}
		}
	}
	return form, chosen
}

// feedbackPlaces returns, for each option feedback on a review page, the
// classes of the option it belongs to.
func feedbackPlaces(t *testing.T, body string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var places []string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || !slices.Contains(n.Attr, html.Attribute{Key: "data-testid", Val: "option-feedback"}) {
			continue
		}
		class := ""
		for _, at := range n.Parent.Attr {
			if at.Key == "class" {
				class = at.Val
			}
		}
		places = append(places, class)
	}
	return places
}

func TestReviewAfterFailingShowsFeedbackOnChoices(t *testing.T) {
	tests := []struct {
		name   string
		chosen string // the config quiz's review.chosen_feedback
		want   bool
	}{
		{"default: after every attempt", "", true},
		{"every-attempt", quiz.ChosenEveryAttempt, true},
		{"with-right-answers", quiz.ChosenWithRightAnswers, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			course := embeddedCourse(t)
			q, _ := course.Quiz("config")
			if tt.chosen != "" {
				q.Settings.Review.ChosenFeedback = tt.chosen
				if err := q.Seal(); err != nil {
					t.Fatal(err)
				}
			}
			a := newQuizApp(t, "", course, nil)
			ada := a.signIn("ada", "ada@example.edu")
			_, token := a.start(ada, "config")
			form, chosen := wrongChoices(t, q, token)
			if chosen == 0 {
				t.Fatal("the paper has no choice question")
			}
			w := a.post(&ada, "/lessons/config/quiz", form)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("submit = %d:\n%s", w.Code, w.Body)
			}
			review := a.get(&ada, w.Header().Get("Location"))
			body := review.Body.String()
			if review.Code != http.StatusOK || !strings.Contains(body, `data-testid="attempt-score">0 / 8 (0%)`) {
				t.Fatalf("review = %d, want a failed attempt scored 0 / 8:\n%s", review.Code, body)
			}
			if strings.Contains(body, "right answer</span>") || strings.Contains(body, `class="explanation"`) {
				t.Error("a failed attempt's review reveals right answers or explanations")
			}
			if !strings.Contains(body, `data-testid="withheld"`) {
				t.Error("review lacks the note saying when right answers appear")
			}
			places := feedbackPlaces(t, body)
			if !tt.want {
				if len(places) != 0 {
					t.Errorf("%d option feedbacks shown, want none before a pass", len(places))
				}
				return
			}
			if len(places) != chosen {
				t.Errorf("%d option feedbacks shown, want one for each of the %d options chosen", len(places), chosen)
			}
			for _, class := range places {
				if fields := strings.Fields(class); !slices.Contains(fields, "chosen") || slices.Contains(fields, "right") {
					t.Errorf("feedback shown on an option of class %q, want only on chosen, wrong ones", class)
				}
			}
			// One chosen option's own feedback is on the page.
			for _, it := range q.Questions {
				for _, o := range it.Options {
					if form.Get(quiz.FieldPrefix+it.ID) == o.ID && !strings.ContainsAny(o.Feedback, "`*_&<>\"'") {
						if !strings.Contains(body, o.Feedback) {
							t.Errorf("review lacks the chosen option's feedback %q", o.Feedback)
						}
					}
				}
			}
		})
	}
}
