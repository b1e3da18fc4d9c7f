package handlers

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store/storetest"
)

// TestReviewAndMeAgreeAfterGradingChange: the review page and /me show the
// same quiz grade, the one stored at submit, even after a release changes
// the quiz's grading method. Before, the review page recomputed the grade
// with the new method while /me showed the stored one.
func TestReviewAndMeAgreeAfterGradingChange(t *testing.T) {
	dbURL := storetest.NewURL(t)
	before := newQuizApp(t, dbURL, nil, nil) // logs is graded by its highest attempt
	if got := courseQuizzes(t)["logs"].Settings.Grading; got != quiz.Highest {
		t.Fatalf("logs is graded by %q; this test wants a course graded by the highest attempt", got)
	}
	ada := before.signIn("ada", "ada@example.edu")
	_, first := before.start(ada, "logs")
	before.post(&ada, "/lessons/logs/quiz", rightAnswers(t, courseQuizzes(t)["logs"], first)) // 100%
	_, second := before.start(ada, "logs")
	w := before.post(&ada, "/lessons/logs/quiz", url.Values{"attempt": {second}}) // blank: 0%
	review := w.Header().Get("Location")
	if review == "" {
		t.Fatalf("second submit = %d with no review address", w.Code)
	}

	// The next release grades logs by the latest attempt.
	course := embeddedCourse(t)
	latest, _ := course.Quiz("logs")
	latest.Settings.Grading = quiz.Latest
	after := newQuizApp(t, dbURL, course, nil)

	// The review page's grade, then /me's for logs.
	var onReview, onMe string
	if nodes := reportNodes(t, after.get(&ada, review).Body.String(), "quiz-grade"); len(nodes) == 1 {
		onReview = strings.Fields(reportText(nodes[0]))[0] // "100%", then the passed badge
	}
	for _, row := range reportNodes(t, after.get(&ada, "/me").Body.String(), "my-grade") {
		if reportAttr(row, "data-lesson") != "logs" {
			continue
		}
		for n := range row.Descendants() {
			if n.Type == html.ElementNode && reportAttr(n, "data-testid") == "grade" {
				onMe = reportText(n)
			}
		}
	}
	if onReview != onMe || onMe != "100%" {
		t.Errorf("after the grading change, review page grade = %q and /me grade = %q; want both %q, the stored grade (by the highest attempt)", onReview, onMe, "100%")
	}
}

func TestValidUUID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"0b6c1c9e-3f4a-4d5e-8f60-1a2b3c4d5e6f", true},
		{"0B6C1C9E-3F4A-4D5E-8F60-1A2B3C4D5E6F", false}, // one URL per attempt
		{"{0b6c1c9e-3f4a-4d5e-8f60-1a2b3c4d5e6f}", false},
		{"urn:uuid:0b6c1c9e-3f4a-4d5e-8f60-1a2b3c4d5e6f", false},
		{"0b6c1c9e3f4a4d5e8f601a2b3c4d5e6f", false},
		{"0b6c1c9e-3f4a-4d5e-8f60-1a2b3c4d5e6", false},
		{"0b6c1c9e-3f4a-4d5e-8f60-1a2b3c4d5e6g", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := validUUID(tt.id); got != tt.want {
			t.Errorf("validUUID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
