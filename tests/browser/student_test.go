package browser

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/chromedp/chromedp/kb"

	"github.com/twelve-course/twelve/quiz"
)

// journeySlug is the lesson the journeys take the quiz of: its bank has
// every question type.
const journeySlug = "config"

// TestStudentJourney: a student finds a lesson, is sent to sign in by its
// quiz, answers every question with the keyboard alone, fixes an answer the
// server refused, reads the review, retakes the quiz and finds the graded
// score on My progress.
func TestStudentJourney(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t, s)

	b.open("/")
	if n := b.count(`[data-testid="lesson-item"]`); n != 12 {
		t.Fatalf("home lists %d lessons, want 12", n)
	}
	b.checkPage("home")
	b.screenshot("home")

	b.follow(`[data-testid="lesson-item"][data-slug="` + journeySlug + `"] h2 a`)
	b.wantPath("/lessons/" + journeySlug)
	b.checkPage("lesson")
	b.screenshot("lesson")
	b.colorScheme("dark")
	b.screenshot("lesson-dark")
	b.colorScheme("light")

	// Signed out, the quiz sends the student to the provider's chooser.
	b.follow(`[data-testid="quiz-link"]`)
	b.checkPage("chooser")
	b.screenshot("chooser")
	b.signInAs("student-ada")
	b.wantPath("/lessons/" + journeySlug + "/quiz")
	if name := b.text(`[data-testid="viewer-name"]`); name != "Ada Lovelace" {
		t.Errorf("signed in as %q, want Ada Lovelace", name)
	}

	// The first attempt must draw the numeric question, to see a refused
	// answer announced: starting a quiz without limits again writes nothing, so
	// draw until it does.
	first := b.currentAttempt(journeySlug)
	for i := 0; !first.has(quiz.Numeric); i++ {
		if i == 40 {
			t.Fatal("40 fresh attempts drew no numeric question")
		}
		b.open("/lessons/" + journeySlug + "/quiz")
		first = b.currentAttempt(journeySlug)
	}
	b.wantQuestionGroups(first)
	b.checkPage("quiz")
	b.screenshot("quiz")

	// Attempt 1: the first quarter right, the rest wrong, and the number
	// typed as a word first.
	plan1 := first.plan(func(i int, _ *quiz.Question) bool { return i < len(first.Paper.Items)/4 })
	want1 := b.grade(first, plan1)
	if want1.Fraction() >= first.Quiz.Settings.PassMark {
		t.Fatalf("attempt 1 is meant to fail, but scores %.2f", want1.Fraction())
	}
	numericField := ""
	typed := url.Values{}
	for k, v := range plan1 {
		typed[k] = v
	}
	for _, it := range first.Paper.Items {
		if it.Question.Type == quiz.Numeric {
			numericField = quiz.FieldPrefix + it.Question.ID
			typed.Set(numericField, "thirty")
			break
		}
	}
	passed := b.answerByKeyboard(typed)
	if len(passed) != len(first.Paper.Items) {
		t.Fatalf("the keyboard passed %d questions, want all %d", len(passed), len(first.Paper.Items))
	}
	b.wantFormAnswers("attempt 1 before submitting", typed)
	// Shift+Tab goes back into the last question, Tab returns to the button.
	b.shiftTab()
	last := first.Paper.Items[len(first.Paper.Items)-1].Question.ID
	if f := b.focused(); f.Question != last {
		t.Fatalf("Shift+Tab from the submit button focused %s, want a control of the last question %s", f, last)
	}
	b.tab()
	if f := b.focused(); f.TestID != "submit-quiz" {
		t.Fatalf("Tab from the last question focused %s, want the submit button", f)
	}

	// Enter submits; the word is refused, announced and focused.
	if status := b.pressLoad(kb.Enter); status != 422 {
		t.Fatalf("submitting a word as a number: status %d, want 422", status)
	}
	if f := b.focused(); f.ID != "error-summary" {
		t.Fatalf("after a refused answer the focus is on %s, want the error summary", f)
	}
	if role := eval[string](b, `document.getElementById("error-summary").getAttribute("role")`); role != "alert" {
		t.Errorf("error summary role = %q, want alert", role)
	}
	if msg := b.text(`[data-testid="error-summary"] li`); !strings.Contains(msg, "“thirty” is not a number") {
		t.Errorf("error summary says %q, want it to name the refused answer", msg)
	}
	if inv := eval[string](b, fmt.Sprintf(`document.querySelector('input[name=%q]').getAttribute("aria-invalid")`, numericField)); inv != "true" {
		t.Errorf("the refused field has aria-invalid=%q, want true", inv)
	}
	b.wantFormAnswers("the form shown again", typed)
	b.checkPage("quiz-errors")
	b.screenshot("quiz-errors")

	// From the summary: Tab to its link, Enter jumps to the question, Tab
	// into its field; then on through the form and submit with Space.
	b.tab()
	if f := b.focused(); f.Href != "#q-"+strings.TrimPrefix(numericField, quiz.FieldPrefix) {
		t.Fatalf("Tab from the error summary focused %s, want its link to the question", f)
	}
	b.press(kb.Enter)
	b.answerByKeyboard(plan1)
	b.wantFormAnswers("attempt 1, fixed", plan1)
	if status := b.pressLoad(" "); status != 200 {
		t.Fatalf("submitting attempt 1: status %d", status)
	}
	b.wantPath("/attempts/" + first.Token.AttemptID)
	b.wantReview(first, want1, false)
	b.checkPage("review")
	b.screenshot("review")

	// Attempt 2, from the review: all right but the last question.
	b.follow(`[data-testid="retake"]`)
	second := b.currentAttempt(journeySlug)
	if second.Token.AttemptID == first.Token.AttemptID {
		t.Fatal("the retake reuses the first attempt's id")
	}
	plan2 := second.plan(func(i int, _ *quiz.Question) bool { return i < len(second.Paper.Items)-1 })
	want2 := b.grade(second, plan2)
	if want2.Fraction() < second.Quiz.Settings.PassMark {
		t.Fatalf("attempt 2 is meant to pass, but scores %.2f", want2.Fraction())
	}
	if passed := b.answerByKeyboard(plan2); len(passed) != len(second.Paper.Items) {
		t.Fatalf("the keyboard passed %d questions, want all %d", len(passed), len(second.Paper.Items))
	}
	b.wantFormAnswers("attempt 2", plan2)
	if status := b.pressLoad(kb.Enter); status != 200 {
		t.Fatalf("submitting attempt 2: status %d", status)
	}
	b.wantPath("/attempts/" + second.Token.AttemptID)
	b.wantReview(second, want2, true)
	b.checkPage("review-passed")
	b.screenshot("review-passed")

	// My progress shows the quiz's grade by its method (highest by default).
	settings := second.Quiz.Settings
	if settings.Grading != quiz.Highest {
		t.Fatalf("the %s quiz grades by %s; this test expects the default, highest", journeySlug, settings.Grading)
	}
	grade := settings.GradeAcross([]float64{want1.Fraction(), want2.Fraction()})
	b.open("/me")
	row := `[data-testid="my-grade"][data-lesson="` + journeySlug + `"]`
	if got := b.text(row + ` [data-testid="grade"]`); got != percent(grade) {
		t.Errorf("My progress shows grade %q for %s, want %q (highest of %s and %s)", got, journeySlug, percent(grade), percent(want1.Fraction()), percent(want2.Fraction()))
	}
	if got := b.text(row + ` .attempt-links`); !strings.Contains(got, "Attempt 1: "+percent(want1.Fraction())) || !strings.Contains(got, "Attempt 2: "+percent(want2.Fraction())) {
		t.Errorf("My progress lists attempts %q, want attempt 1 at %s and attempt 2 at %s", got, percent(want1.Fraction()), percent(want2.Fraction()))
	}
	if got := b.text(`[data-testid="progress-summary"]`); !strings.Contains(got, "passed 1 of 12") {
		t.Errorf("progress summary %q, want 1 of 12 passed", got)
	}
	b.checkPage("me")
	b.screenshot("me")
}

// wantQuestionGroups checks the form's structure: each question is a
// fieldset named by its legend, and every answer control sits inside it.
func (b *tab) wantQuestionGroups(a attempt) {
	b.t.Helper()
	problems := eval[[]string](b, `(() => {
		const out = [];
		for (const q of document.querySelectorAll('[data-testid="question"]')) {
			if (q.tagName !== "FIELDSET") out.push(q.id + " is a " + q.tagName + ", not a fieldset");
			const legend = q.querySelector(":scope > legend");
			if (!legend || !legend.innerText.trim()) out.push(q.id + " has no legend");
		}
		for (const el of document.querySelectorAll('form[data-testid="quiz-form"] [name^="a."]')) {
			if (!el.closest('fieldset[data-testid="question"]')) out.push(el.name + " is outside its question's fieldset");
		}
		return out;
	})()`)
	for _, p := range problems {
		b.t.Errorf("quiz form: %s", p)
	}
	if n := b.count(`fieldset[data-testid="question"]`); n != len(a.Paper.Items) {
		b.t.Errorf("the form has %d question fieldsets, want %d", n, len(a.Paper.Items))
	}
}

// wantReview checks the review page against the grade the test computed:
// the score, each question's status and mark, whether right answers and
// explanations are shown (once the quiz is passed, by default), and the
// feedback of each option: shown on every option chosen, after every
// attempt, and on the right ones once right answers are shown.
func (b *tab) wantReview(a attempt, want quiz.Result, rightAnswersShown bool) {
	b.t.Helper()
	wantScore := fmt.Sprintf("%s / %s (%s)", num(want.Score), num(want.Max), percent(want.Fraction()))
	if got := b.text(`[data-testid="attempt-score"]`); got != wantScore {
		b.t.Errorf("review shows score %q, want %q", got, wantScore)
	}
	type item struct {
		Status string `json:"status"`
		Title  string `json:"title"`
		Right  int    `json:"right"`
		Expl   int    `json:"expl"`
		Opts   []struct {
			Chosen   bool   `json:"chosen"`
			Feedback string `json:"feedback"`
		} `json:"opts"`
	}
	items := eval[[]item](b, `[...document.querySelectorAll('[data-testid="review-item"]')].map(li => ({
		status: li.dataset.status, title: li.querySelector(".qtitle").innerText.trim(),
		right: li.querySelectorAll("li.right").length + [...li.querySelectorAll("p")].filter(p => p.innerText.startsWith("Right answer:")).length,
		expl: li.querySelectorAll(".explanation").length,
		opts: [...li.querySelectorAll(".review-options > li")].map(o => ({chosen: o.classList.contains("chosen"),
			feedback: o.querySelector('[data-testid="option-feedback"]')?.innerText.trim() ?? ""}))}))`)
	if len(items) != len(want.Items) {
		b.t.Fatalf("review lists %d questions, want %d", len(items), len(want.Items))
	}
	for i, it := range want.Items {
		got := items[i]
		if st := reviewStatus(it); got.Status != st {
			b.t.Errorf("review question %d (%s): status %q, want %q", i+1, it.QuestionID, got.Status, st)
		}
		if mark := num(it.Score) + " / " + num(it.Max); !strings.Contains(got.Title, mark) {
			b.t.Errorf("review question %d: title %q, want the mark %q", i+1, got.Title, mark)
		}
		if shown := got.Right > 0; shown != rightAnswersShown {
			b.t.Errorf("review question %d: right answer shown = %v, want %v", i+1, shown, rightAnswersShown)
		}
		if shown := got.Expl > 0; shown != (rightAnswersShown && a.Paper.Items[i].Question.Explanation != "") {
			b.t.Errorf("review question %d: explanation shown = %v, want %v", i+1, shown, rightAnswersShown)
		}
		opts := a.Paper.Items[i].Options
		if len(got.Opts) != len(opts) {
			b.t.Errorf("review question %d: %d options, want %d", i+1, len(got.Opts), len(opts))
			continue
		}
		for j, o := range opts {
			chosen := slices.Contains(it.Answer.Choices, o.ID)
			if got.Opts[j].Chosen != chosen {
				b.t.Errorf("review question %d option %s: marked chosen = %v, want %v", i+1, o.ID, got.Opts[j].Chosen, chosen)
			}
			wantFeedback := o.Feedback != "" && (chosen || (rightAnswersShown && o.Correct))
			if shown := got.Opts[j].Feedback != ""; shown != wantFeedback {
				b.t.Errorf("review question %d option %s (chosen %v, right %v): feedback shown = %v, want %v",
					i+1, o.ID, chosen, o.Correct, shown, wantFeedback)
			}
			// The feedback is the option's own (inline markdown, so compare words).
			if shown := got.Opts[j].Feedback; shown != "" && firstWord(shown) != firstWord(o.Feedback) {
				b.t.Errorf("review question %d option %s: feedback %q, want the option's own %q", i+1, o.ID, shown, o.Feedback)
			}
		}
	}
	withheld := b.count(`[data-testid="withheld"]`) == 1
	if withheld == rightAnswersShown {
		b.t.Errorf("review: withheld notice shown = %v, want %v", withheld, !rightAnswersShown)
	}
	// The review clears the browser's draft of the attempt.
	if eval[bool](b, fmt.Sprintf(`localStorage.getItem(%q) !== null`, "twelve-draft-"+a.Token.AttemptID)) {
		b.t.Errorf("the draft of attempt %s is still in localStorage after its review", a.Token.AttemptID)
	}
}

// firstWord is the first run of letters and digits in s.
func firstWord(s string) string {
	notWord := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	s = strings.TrimLeftFunc(s, notWord)
	if i := strings.IndexFunc(s, notWord); i >= 0 {
		return s[:i]
	}
	return s
}
