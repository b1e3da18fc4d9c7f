package browser

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/twelve-course/twelve/quiz"
)

// TestQuizSurvivesReloadAndSignOut: answers outlive a reload (the browser
// keeps a draft), and a sign-out in another tab mid-quiz loses nothing:
// the submit is held while the student signs in again, shown back filled
// in, and stored once.
func TestQuizSurvivesReloadAndSignOut(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t, s)

	b.open("/lessons/" + journeySlug + "/quiz")
	b.signInAs("student-ada")
	a := b.currentAttempt(journeySlug)
	full := a.plan(func(i int, _ *quiz.Question) bool { return i%2 == 0 })
	half := map[string][]string{}
	for _, it := range a.Paper.Items[:len(a.Paper.Items)/2] {
		f := quiz.FieldPrefix + it.Question.ID
		half[f] = full[f]
	}

	// Half the answers, then a reload: the draft in localStorage refills them.
	b.answerByKeyboard(half)
	b.wantFormAnswers("half answered", half)
	b.load("reload", chromedp.Reload())
	if b.currentAttempt(journeySlug).Token.AttemptID != a.Token.AttemptID {
		t.Fatal("a reload started a new attempt")
	}
	b.wantFormAnswers("after a reload", half)
	if got := b.text(`[data-draft-status]`); !strings.Contains(got, "restored") {
		t.Errorf("draft status after a reload = %q, want it to say the answers were restored", got)
	}

	// Another tab signs out (the header's form posts to /logout).
	other := b.newTab()
	other.open("/")
	if other.text(`[data-testid="viewer-name"]`) != "Ada Lovelace" {
		t.Fatal("the second tab is not signed in as Ada")
	}
	other.follow(`form[action="/logout"] button[type="submit"]`)
	other.wantPath("/")
	if other.count(`[data-testid="sign-in"]`) != 1 {
		t.Fatalf("after signing out the home page shows no sign-in link")
	}
	other.close()

	// Back in the first tab the student finishes and submits, signed out.
	b.answerByKeyboard(full)
	b.wantFormAnswers("fully answered", full)
	b.pressLoad(kb.Enter)
	if b.count(`[data-testid="account-student-ada"]`) != 1 {
		t.Fatalf("a submit while signed out went to %s, want the provider's chooser", b.location())
	}
	b.signInAs("student-ada")
	b.wantPath("/lessons/" + journeySlug + "/quiz/resume")
	if got := b.text(`[data-testid="quiz-notice"]`); !strings.Contains(got, "nothing has been saved yet") {
		t.Errorf("resume notice = %q", got)
	}
	if b.currentAttempt(journeySlug).Token.AttemptID != a.Token.AttemptID {
		t.Fatal("the resumed form carries another attempt")
	}
	b.wantFormAnswers("resumed after signing in", full)
	b.checkPage("quiz-resumed")
	b.screenshot("quiz-resumed")
	if n := b.attemptsInDB(a.Token.AttemptID); n != 0 {
		t.Fatalf("%d attempts stored before the resumed form was submitted, want 0", n)
	}

	b.answerByKeyboard(full)
	if status := b.pressLoad(kb.Enter); status != 200 {
		t.Fatalf("submitting the resumed form: status %d", status)
	}
	b.wantPath("/attempts/" + a.Token.AttemptID)
	b.wantReview(a, b.grade(a, full), false)

	if n := b.attemptsInDB(a.Token.AttemptID); n != 1 {
		t.Errorf("the database holds %d attempts with id %s, want exactly 1", n, a.Token.AttemptID)
	}
	var total int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM attempts`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if total != 1 {
		t.Errorf("the database holds %d attempts in all, want 1", total)
	}
}

// attemptsInDB counts the stored attempts with this id.
func (b *tab) attemptsInDB(id string) int {
	b.t.Helper()
	var n int
	if err := b.site.pool.QueryRow(context.Background(), `SELECT count(*) FROM attempts WHERE id = $1`, id).Scan(&n); err != nil {
		b.t.Fatal(err)
	}
	return n
}
