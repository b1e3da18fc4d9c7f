package handlers

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"

	"github.com/twelve-course/twelve/calendar"
)

// feedLink is the calendar link s's /me shows, as a path with its query.
func (f *classFixture) feedLink(s student) string {
	f.t.Helper()
	d := f.page(s, "/me")
	in := d.byTestID("calendar-url")
	if in == nil {
		f.t.Fatal("/me shows no calendar link")
	}
	raw := signinAttr(in, "value")
	if !strings.HasPrefix(raw, classBaseURL+"/me/calendar.ics?token=") {
		f.t.Fatalf("calendar link %q is not an absolute link to the feed on BASE_URL", raw)
	}
	return strings.TrimPrefix(raw, classBaseURL)
}

// feed fetches a feed link with no cookie, as a calendar app does.
func (f *classFixture) feed(link string) *httptest.ResponseRecorder {
	return f.get(nil, link)
}

// events parses a feed answer by its UID.
func feedEvents(t *testing.T, w *httptest.ResponseRecorder) map[string]*ics.VEvent {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("feed = %d, want 200:\n%s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store: the link is a secret", cc)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("the feed does not parse: %v\n%s", err, w.Body)
	}
	out := map[string]*ics.VEvent{}
	for _, e := range cal.Events() {
		out[e.GetProperty(ics.ComponentPropertyUniqueId).Value] = e
	}
	return out
}

func TestCalendarFeed(t *testing.T) {
	f := newClassFixture(t)
	adaLink, bobLink := f.feedLink(f.ada), f.feedLink(f.bob)
	uid := func(quiz string, s student) string {
		return calendar.UID("twelve.example", "fall-26", quiz, s.id)
	}

	ada := feedEvents(t, f.feed(adaLink))
	// codebase (Ada's own date) and config (past, still a due date);
	// processes has no due date.
	if len(ada) != 2 || ada[uid("codebase", f.ada)] == nil || ada[uid("config", f.ada)] == nil {
		t.Fatalf("Ada's feed holds %v, want codebase and config, hers", keys(ada))
	}
	e := ada[uid("codebase", f.ada)]
	if start, err := e.GetStartAt(); err != nil || !start.Equal(f.adaDue) {
		t.Errorf("Ada's codebase event starts %v (%v), want her own due date %v", start, err, f.adaDue)
	}
	if got, want := e.GetProperty(ics.ComponentPropertySummary).Value, "Due: Lesson I quiz — Codebase (Twelve Fall 2026)"; got != want {
		t.Errorf("SUMMARY = %q, want %q", got, want)
	}
	if got, want := e.GetProperty(ics.ComponentPropertyUrl).Value, classBaseURL+"/lessons/codebase/quiz?class=fall-26"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}

	bob := feedEvents(t, f.feed(bobLink))
	if start, err := bob[uid("codebase", f.bob)].GetStartAt(); err != nil || !start.Equal(f.classDue) {
		t.Errorf("Bob's codebase event starts %v (%v), want the class's due date %v", start, err, f.classDue)
	}
	for id := range bob {
		if strings.HasSuffix(id, "-"+strconv.FormatInt(f.ada.id, 10)+"@twelve.example") {
			t.Errorf("Bob's feed holds Ada's event %s", id)
		}
	}
	if strings.Contains(f.feed(bobLink).Body.String(), f.adaDue.UTC().Format("20060102T150405Z")) {
		t.Error("Bob's feed holds Ada's own due date")
	}

	// Carl, in no class, has no feed on /me (there is nothing to show).
	if f.page(f.carl, "/me").byTestID("calendar") != nil {
		t.Error("a student in no class is offered a calendar")
	}

	// Reset: the old link stops, a new one works.
	w := f.post(&f.ada, "/me/calendar/reset", nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("reset = %d, want 303:\n%s", w.Code, w.Body)
	}
	if w := f.feed(adaLink); w.Code != http.StatusNotFound {
		t.Errorf("the link from before the reset = %d, want 404", w.Code)
	}
	if f.page(f.ada, "/me?calendar=reset").byTestID("calendar-reset") == nil {
		t.Error("/me does not say the link was reset")
	}
	fresh := f.feedLink(f.ada)
	if fresh == adaLink {
		t.Fatal("the link after a reset is the old one")
	}
	if len(feedEvents(t, f.feed(fresh))) != 2 {
		t.Error("the new link does not serve Ada's feed")
	}
	if feedEvents(t, f.feed(bobLink)) == nil {
		t.Error("Ada's reset stopped Bob's link")
	}

	// The token never reaches the log.
	token, _ := url.ParseQuery(strings.TrimPrefix(adaLink, "/me/calendar.ics?"))
	if strings.Contains(f.logs.String(), token.Get("token")) {
		t.Error("a calendar token was logged")
	}
}

// TestCalendarFeedRefused: whatever is wrong with a link, the answer is
// the same 404.
func TestCalendarFeedRefused(t *testing.T) {
	f := newClassFixture(t)
	link := f.feedLink(f.ada)
	q, _ := url.ParseQuery(strings.TrimPrefix(link, "/me/calendar.ics?"))
	good := q.Get("token")
	foreignKey, err := calendar.NewFeedTokens([][]byte{[]byte("someone-elses-key-0123456789abcdef-0")})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := foreignKey.Encode(calendar.FeedToken{UserID: f.bob.id})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := calendar.NewFeedTokens([][]byte{[]byte(quizTestKey)})
	if err != nil {
		t.Fatal(err)
	}
	nobody, err := mine.Encode(calendar.FeedToken{UserID: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	future, err := mine.Encode(calendar.FeedToken{UserID: f.ada.id, Generation: 7})
	if err != nil {
		t.Fatal(err)
	}
	mid := len(good) / 2
	flipped := "A"
	if good[mid] == 'A' {
		flipped = "B"
	}
	tests := []struct{ name, query string }{
		{"no token", ""},
		{"empty token", "?token="},
		{"garbage", "?token=not-a-token"},
		{"tampered", "?" + url.Values{"token": {good[:mid] + flipped + good[mid+1:]}}.Encode()},
		{"signed with another key", "?" + url.Values{"token": {forged}}.Encode()},
		{"no such user", "?" + url.Values{"token": {nobody}}.Encode()},
		{"a generation not the user's", "?" + url.Values{"token": {future}}.Encode()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.feed("/me/calendar.ics" + tt.query)
			if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "This calendar link does not work") {
				t.Errorf("= %d, want the 404 every bad link gets:\n%s", w.Code, w.Body)
			}
			if strings.Contains(w.Body.String(), "BEGIN:VCALENDAR") {
				t.Error("a refused link served a calendar")
			}
		})
	}
	if w := f.feed(link); w.Code != http.StatusOK {
		t.Errorf("the good link = %d after the bad ones", w.Code)
	}
	// Signed out, a reset is refused and changes nothing.
	if w := f.post(nil, "/me/calendar/reset", nil); w.Code != http.StatusUnauthorized {
		t.Errorf("signed-out reset = %d, want 401", w.Code)
	}
	if w := f.feed(link); w.Code != http.StatusOK {
		t.Errorf("the link after a signed-out reset = %d, want it still working", w.Code)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
