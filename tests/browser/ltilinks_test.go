package browser

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/twelve-course/twelve/internal/ltiplatform"
)

// TestLTIDynamicRegistrationInAFrame: the LMS's page frames Twelve's
// registration page (/lti/register, from another site); Twelve registers
// itself, and its page's script asks the LMS to close the dialog, which
// the LMS does.
func TestLTIDynamicRegistrationInAFrame(t *testing.T) {
	s := startSite(t)
	s.URL = strings.Replace(s.URL, "http://127.0.0.1:", "http://localhost:", 1)
	lms, ln, err := ltiplatform.Listen("127.0.0.1:0", ltiplatform.Options{ToolURL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: lms.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	b := newBrowser(t, s)
	b.openLMS(lms.Issuer() + "/register/start")
	waitUntil(t, "the LMS closes its registration dialog", func() bool {
		return strings.HasPrefix(b.text(`[data-testid="status"]`), "Registration finished")
	})
	if n := b.count("iframe"); n != 0 {
		t.Errorf("the LMS page still holds %d frames, want its dialog closed", n)
	}
	if out := s.admin(t, "lti-list"); !strings.Contains(out, lms.Issuer()) || !strings.Contains(out, "dynamic") {
		t.Errorf("twelve admin lti-list does not list the LMS as registered dynamically:\n%s", out)
	}
}

// TestLTIDeepLinkingInAFrame: an instructor's "Add Twelve lessons" in the
// LMS opens the lesson picker in the LMS's iframe; ticking a lesson and
// adding it sends the signed items back to the LMS by the page's own
// script, and the LMS makes the quiz's gradebook column.
func TestLTIDeepLinkingInAFrame(t *testing.T) {
	s, lms := startLTISite(t)
	b := newBrowser(t, s)
	b.openLMS(lms.EmbedURL(ltiplatform.LaunchOptions{User: "instructor", Deep: true}))
	f := b.toolFrame("/lti/deep-link")
	f.checkPage("LTI lesson picker")
	b.screenshot("lti-deep-link-picker")
	f.run("tick a lesson", chromedp.Click(chromedp.CSS(`label[for="dl-`+journeySlug+`"]`), chromedp.NodeVisible))
	f.run("add the lessons", chromedp.Click(chromedp.CSS(`[data-testid="deep-link-form"] button[type="submit"]`), chromedp.NodeVisible))
	waitUntil(t, "the LMS receives the lesson", func() bool { return len(lms.DeepLinkItems()) > 0 })
	items := lms.DeepLinkItems()
	if len(items) != 1 || items[0].Custom["lesson"] != journeySlug || items[0].Custom["quiz"] != "true" || items[0].LineItem == nil {
		t.Fatalf("the LMS holds %+v, want lesson %s with its quiz and a line item", items, journeySlug)
	}
	if li := lms.LineItems(); len(li) != 1 || li[0].ResourceID != journeySlug {
		t.Errorf("the LMS made the line items %+v, want one for %s", li, journeySlug)
	}
}

// waitUntil polls ok until it holds, failing the test after actionTimeout.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(actionTimeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", actionTimeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
