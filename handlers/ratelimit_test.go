package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// stopClock stops the time rate limits are counted in, so that no budget
// refills while a test spends it, however slow the machine.
func stopClock(d *Deps) {
	at := time.Now()
	d.Clock = func() time.Time { return at }
}

// TestSignInIsRateLimited: one client address gets signInLimit.Burst
// sign-in requests at once, across /login, /auth/callback and /saml/acs;
// the next is a 429 with Retry-After and a page saying what to do, while
// another address still signs in. A public peer cannot pick its key with
// X-Forwarded-For.
func TestSignInIsRateLimited(t *testing.T) {
	a := newTestApp(t, appOptions{wire: stopClock})
	send := func(method, path, peer, xff string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		r.RemoteAddr = peer
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		return serve(a.e, r)
	}
	const flooder, other = "203.0.113.7:40000", "198.51.100.9:40000"
	paths := []struct{ method, path string }{{"GET", "/login"}, {"GET", "/auth/callback"}, {"POST", "/saml/acs"}}
	for i := range signInLimit.Burst {
		p := paths[i%len(paths)]
		// A new address each time in X-Forwarded-For changes nothing: the
		// peer is public, so the header is not believed.
		if w := send(p.method, p.path, flooder, "192.0.2.1"+strings.Repeat("0", i%2)); w.Code == http.StatusTooManyRequests {
			t.Fatalf("request %d of %d (%s %s) refused", i+1, signInLimit.Burst, p.method, p.path)
		}
	}
	for _, p := range paths {
		w := send(p.method, p.path, flooder, "")
		if w.Code != http.StatusTooManyRequests {
			t.Fatalf("%s %s after the burst = %d, want 429", p.method, p.path, w.Code)
		}
		if got := w.Header().Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After = %q, want 1 (one request every %s)", got, signInLimit.Every)
		}
		doc, err := html.Parse(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		if len(byTestID(doc, "too-many-requests")) != 1 {
			t.Errorf("429 page has no too-many-requests section:\n%s", w.Body)
		}
		if r := byTestID(doc, "retry-after"); len(r) != 1 || !strings.Contains(nodeText(r[0]), "wait 1 second ") {
			t.Errorf("429 page does not say how long to wait:\n%s", w.Body)
		}
	}
	if w := send("GET", "/login", other, ""); w.Code == http.StatusTooManyRequests {
		t.Errorf("another client was refused: %d", w.Code)
	}
}

// TestSubmitIsRateLimited: beyond submitLimit.Burst submissions from one
// address, a submit is refused with 429 before anything is read or stored,
// and the page says the answers are one page back.
func TestSubmitIsRateLimited(t *testing.T) {
	a := newQuizApp(t, "", nil, nil, stopClock)
	ada := a.signIn("ada", "ada@example.edu")
	_, token := a.start(ada, "config")
	answers := rightAnswers(t, courseQuizzes(t)["config"], token)
	const peer = "203.0.113.7:40000"
	for i := range submitLimit.Burst {
		if w := a.postFrom(peer, &ada, "/lessons/config/quiz", nil); w.Code == http.StatusTooManyRequests {
			t.Fatalf("submit %d of %d refused", i+1, submitLimit.Burst)
		}
	}
	w := a.postFrom(peer, &ada, "/lessons/config/quiz", answers)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("submit after the burst = %d, Retry-After %q; want 429, 1", w.Code, w.Header().Get("Retry-After"))
	}
	if !strings.Contains(w.Body.String(), "go back one page") {
		t.Errorf("429 page does not say where the answers are:\n%s", w.Body)
	}
	if n := a.count(`SELECT count(*) FROM attempts`); n != 0 {
		t.Errorf("a refused submit stored %d attempts", n)
	}
	if w := a.postFrom("198.51.100.9:40000", &ada, "/lessons/config/quiz", answers); w.Code != http.StatusSeeOther {
		t.Errorf("the same answers from another address = %d, want 303", w.Code)
	}
}
