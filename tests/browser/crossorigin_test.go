package browser

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/twelve-course/twelve/quiz"
)

// TestFormsFromAnotherOriginRefused: a page on another origin cannot make a
// signed-in student's browser sign out or submit a quiz: neither from
// another site (localhost) nor from the same site on another port
// (127.0.0.1), where the SameSite=Lax identity cookie goes along and only
// the cross-origin check (docs/csrf.md) stands in the way. The site's own
// forms, sent from its pages, work in every other browser test.
func TestFormsFromAnotherOriginRefused(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t, s)
	b.open("/lessons/" + journeySlug + "/quiz")
	b.signInAs("student-ada")
	a := b.currentAttempt(journeySlug)
	raw := eval[string](b, `document.querySelector('form[data-testid="quiz-form"] input[name="attempt"]').value`)
	answers := a.plan(func(int, *quiz.Question) bool { return true })
	answers.Set("attempt", raw)

	// The other origin's page: one form, posting to the site.
	forms := map[string]url.Values{"/logout": nil, "/lessons/" + journeySlug + "/quiz": answers}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.URL.Query().Get("to")
		var fields strings.Builder
		for name, values := range forms[target] {
			for _, v := range values {
				fmt.Fprintf(&fields, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(name), html.EscapeString(v))
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Win a prize</title><form method="post" action="%s">%s<button id="go">Claim</button></form>`,
			html.EscapeString(s.URL+target), fields.String())
	}))
	t.Cleanup(other.Close)
	port := other.Listener.Addr().(*net.TCPAddr).Port

	for _, origin := range []string{fmt.Sprintf("http://127.0.0.1:%d", port), fmt.Sprintf("http://localhost:%d", port)} {
		for target := range forms {
			page := origin + "/?to=" + url.QueryEscape(target)
			b.load("open "+page, chromedp.Navigate(page))
			if status := b.follow("#go"); status != http.StatusForbidden {
				t.Errorf("form on %s posting to %s: status %d, want 403", origin, target, status)
			}
			if got := b.text("h1"); got != "This form came from another site" {
				t.Errorf("form on %s posting to %s: page says %q", origin, target, got)
			}
		}
	}

	b.open("/")
	if got := b.text(`[data-testid="viewer-name"]`); got != "Ada Lovelace" {
		t.Errorf("after the other origin's sign-out form the viewer is %q, want Ada Lovelace", got)
	}
	if n := b.attemptsInDB(a.Token.AttemptID); n != 0 {
		t.Errorf("the other origin's quiz form stored %d attempts, want none", n)
	}
}
