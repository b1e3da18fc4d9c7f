package browser

import (
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/quiz"
)

// The LTI journeys run Twelve inside the test LMS's page, as Canvas or
// Moodle show a tool: the LMS page (http://127.0.0.1:PORT) holds an iframe
// whose launch ends on Twelve (http://localhost:PORT). The two are
// different sites, so Chrome treats Twelve's cookies there as third-party
// cookies and runs the iframe in a process of its own. Both hosts are
// loopback, which Chrome counts as secure contexts: Secure cookies work
// over plain http there, as they do over https in production.

// TestLTIQuizInAnIframe: a student launched from the LMS's page sees the
// lesson inside the LMS's iframe, signed in by the launch (no second
// sign-in), goes on to the quiz, answers it with the keyboard and submits
// it, all inside the iframe; the attempt is stored in the LMS course's
// class, and the worker sends the grade to the LMS's gradebook. The
// identity cookie Chrome keeps is partitioned by the LMS's site.
func TestLTIQuizInAnIframe(t *testing.T) {
	s, lms := startLTISite(t)
	s.startWorker(t)
	b := newBrowser(t, s)
	b.openLMS(lms.EmbedURL(ltiplatform.LaunchOptions{User: "student", Lesson: journeySlug}))

	f := b.toolFrame("/lessons/" + journeySlug)
	if name := f.text(`[data-testid="viewer-name"]`); name != "Sam Student" {
		t.Fatalf("the embedded lesson shows the viewer %q, want Sam Student (signed in by the launch)", name)
	}
	b.wantEmbeddedIdentity(lms.Issuer())
	f.checkPage("LTI embedded lesson")
	b.screenshot("lti-embedded-lesson")

	f.visit(`[data-testid="quiz-link"]`)
	f.wantPath("/lessons/" + journeySlug + "/quiz")
	a := f.currentAttempt(journeySlug)
	plan := a.plan(func(i int, _ *quiz.Question) bool { return i < len(a.Paper.Items)-1 })
	want := f.grade(a, plan)
	if passed := f.answerByKeyboard(plan); len(passed) != len(a.Paper.Items) {
		t.Fatalf("the keyboard passed %d questions in the iframe, want all %d", len(passed), len(a.Paper.Items))
	}
	f.wantFormAnswers("the embedded attempt", plan)
	b.screenshot("lti-embedded-quiz")
	if status := f.pressLoad(kb.Enter); status != http.StatusOK {
		t.Fatalf("submitting the quiz in the iframe: status %d at %s", status, f.location())
	}
	f.wantPath("/attempts/" + a.Token.AttemptID)
	wantScore := num(want.Score) + " / " + num(want.Max) + " (" + percent(want.Fraction()) + ")"
	if got := f.text(`[data-testid="attempt-score"]`); got != wantScore {
		t.Errorf("the result page in the iframe shows %q, want %q", got, wantScore)
	}
	b.screenshot("lti-embedded-result")
	if !strings.HasPrefix(b.location(), lms.Issuer()+"/embed?") {
		t.Errorf("the top page is %s after the quiz, want the LMS's page still", b.location())
	}
	s.wantLTIAttempt(t, a.Token.AttemptID, lms.Issuer(), "lms-user-sam")

	// The worker sends the quiz's grade (one attempt: its score) to the
	// LMS's gradebook, in a line item for the quiz.
	sc := waitScore(t, lms, "lms-user-sam")
	t.Logf("the LMS holds %g / %g for %s in %s (%s)", deref(sc.ScoreGiven), deref(sc.ScoreMaximum), sc.UserID, sc.LineItem, sc.Comment)
	if sc.ScoreGiven == nil || sc.ScoreMaximum == nil || math.Abs(*sc.ScoreGiven-want.Fraction()*100) > 1e-6 || *sc.ScoreMaximum != 100 ||
		sc.GradingProgress != "FullyGraded" || sc.ActivityProgress != "Completed" || sc.Comment != "1 attempt" {
		t.Errorf("the LMS holds the score %+v, want %g / 100, Completed, FullyGraded, \"1 attempt\"", sc, want.Fraction()*100)
	}
	items := lms.LineItems()
	if i := slices.IndexFunc(items, func(li ltiplatform.LineItem) bool { return li.ID == sc.LineItem }); i < 0 || items[i].ResourceID != journeySlug {
		t.Errorf("the score is in the line item %s, want the one with resourceId %s (line items: %+v)", sc.LineItem, journeySlug, items)
	}
}

// TestLTIPlatformStorage: launches whose LMS offers its storage
// (lti_storage_target, the LTI Client Side postMessages). Where the
// browser keeps Twelve's partitioned cookies in the LMS's iframe
// (Chromium's default), the launch lands signed in, and Twelve has put its
// state in the LMS's storage as well. Where the browser keeps no cookie of
// Twelve's in the LMS's page at all, the state comes back from the LMS's
// storage, the launch is verified, and the iframe offers "Open Twelve in a
// new window", which lands on the lesson, signed in, in a window of its
// own. Without the LMS's storage such a browser cannot launch: the page
// in the iframe says why.
func TestLTIPlatformStorage(t *testing.T) {
	s, lms := startLTISite(t)
	withStorage := ltiplatform.LaunchOptions{User: "student", Lesson: journeySlug, Storage: true}

	t.Run("cookies kept", func(t *testing.T) {
		b := newBrowser(t, s)
		b.openLMS(lms.EmbedURL(withStorage))
		f := b.toolFrame("/lessons/" + journeySlug)
		if name := f.text(`[data-testid="viewer-name"]`); name != "Sam Student" {
			t.Errorf("the embedded lesson shows the viewer %q, want Sam Student", name)
		}
		if got := b.lmsMessages(); !slices.Contains(got, "lti.put_data") || slices.Contains(got, "lti.get_data") {
			t.Errorf("the LMS answered the messages %q, want lti.put_data and no lti.get_data (the state stored; the cookie brought it back)", got)
		}
	})

	t.Run("cookies refused", func(t *testing.T) {
		b := newBrowserIn(t, s, refuseCookiesIn(t, s.URL, lms.Issuer()))
		b.openLMS(lms.EmbedURL(withStorage))
		f := b.toolFrame("/lti/landed")
		if got := f.text("h1"); got != "Your browser keeps this site's cookies out of the LMS page" {
			t.Fatalf("the iframe shows %q after the launch, want the page that offers a new window", got)
		}
		if got := b.lmsMessages(); slices.Index(got, "lti.put_data") < 0 || slices.Index(got, "lti.get_data") < slices.Index(got, "lti.put_data") {
			t.Errorf("the LMS answered the messages %q, want lti.put_data, then lti.get_data (the state kept by the LMS)", got)
		}
		f.checkPage("LTI cookies refused")
		b.screenshot("lti-cookies-refused")

		f.run("open Twelve in a new window", chromedp.Click(chromedp.CSS(`[data-testid="lti-new-window"]`), chromedp.NodeVisible))
		w := b.window("/lessons/" + journeySlug)
		if name := w.text(`[data-testid="viewer-name"]`); name != "Sam Student" {
			t.Errorf("the lesson in the new window shows the viewer %q, want Sam Student", name)
		}
		if !strings.HasPrefix(b.location(), lms.Issuer()+"/embed?") {
			t.Errorf("the first tab is at %s, want the LMS's page still", b.location())
		}
	})

	t.Run("cookies refused, no storage", func(t *testing.T) {
		b := newBrowserIn(t, s, refuseCookiesIn(t, s.URL, lms.Issuer()))
		b.openLMS(lms.EmbedURL(ltiplatform.LaunchOptions{User: "student", Lesson: journeySlug}))
		f := b.toolFrame("/lti/launch")
		if got := f.text("h1"); got != "This launch could not be used" {
			t.Errorf("the iframe shows %q, want the launch refused with its reason", got)
		}
		if got := f.text("main"); !strings.Contains(got, "refused this site's cookie") {
			t.Errorf("the refused launch says %q, want it to name the refused cookie", got)
		}
	})
}
