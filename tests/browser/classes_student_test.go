package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/store"
)

// TestClassStudentJourney: a student opens a class's join link signed
// out, signs in, lands back on it and joins; home, the lesson and My
// progress then show the class's dates and, once the class gives her one,
// her own due date; every page passes axe and fits a phone.
func TestClassStudentJourney(t *testing.T) {
	s := startSite(t)
	ctx := context.Background()
	const code = "browser-journey-code-0123456789"
	class, err := s.store.CreateClass(ctx, store.Class{Slug: "fall-26", Name: "Twelve, Fall 2026", TimeZone: "Europe/Berlin", JoinCode: code})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	three := 3
	if err := s.store.SetQuizSettings(ctx, store.QuizSettings{ClassID: class.ID, Quiz: journeySlug, DueAt: &due, AttemptLimit: &three}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, s)
	b.open("/join/" + code)
	b.signInAs("student-ada")
	b.wantPath("/join/" + code)
	if got := b.text(`[data-testid="class-name"]`); got != class.Name {
		t.Errorf("the join page names %q, want %q", got, class.Name)
	}
	b.checkPage("join")
	b.screenshot("class-join")

	b.follow(`[data-testid="join-form"] button`)
	if b.path() != "/" || b.count(`[data-testid="joined"]`) != 1 {
		t.Fatalf("after joining the browser is at %s, want home confirming the join", b.location())
	}
	if got := b.text(`[data-testid="class-quiz"][data-quiz="` + journeySlug + `"] [data-testid="attempts-left"]`); got != "3 of 3 attempts left" {
		t.Errorf("home: attempts left %q", got)
	}
	b.checkPage("home-in-class")
	b.screenshot("class-home")

	b.open("/lessons/" + journeySlug)
	if got := b.text(`[data-testid="quiz-due"]`); !strings.Contains(got, "Europe/Berlin") {
		t.Errorf("the lesson's quiz call says %q, want the due date in the class's zone", got)
	}
	b.checkPage("lesson-in-class")

	// The class gives her her own due date; her pages follow within a
	// second or so (the web process hears of the change).
	mine := due.Add(48 * time.Hour)
	u, err := s.store.UpsertUser(ctx, s.Issuer, "student-ada", "ada@example.edu", "Ada Lovelace")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.store.SetAccommodation(ctx, store.Accommodation{ClassID: class.ID, UserID: u.ID, Quiz: journeySlug, DueAt: &mine}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.open("/me")
		if b.count(`[data-testid="own-due"]`) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/me did not show the new accommodation within 10 s")
		}
	}
	if b.count(`[data-testid="accommodation"]`) != 1 || b.count(`[data-testid="calendar-url"]`) != 1 {
		t.Error("/me shows no accommodation note or no calendar link")
	}
	b.checkPage("me-in-class")
	b.screenshot("class-me")

	b.phone()
	for _, path := range []string{"/", "/me", "/lessons/" + journeySlug, "/join/" + code} {
		b.open(path)
		b.checkPhoneLayout("class " + path)
	}
}
