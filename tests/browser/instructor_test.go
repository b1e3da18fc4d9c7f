package browser

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/twelve-course/twelve/internal/devidp"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

// courseSlugs are the lessons in course order, as the gradebook's columns.
var courseSlugs = []string{"codebase", "dependencies", "config", "backing-services", "build-release-run", "processes",
	"port-binding", "concurrency", "disposability", "dev-prod-parity", "logs", "admin-processes"}

// TestInstructorJourney: with students' attempts stored, an instructor
// signs in, finds them in the gradebook, reads a quiz's item statistics
// with their charts and downloads the gradebook as CSV.
func TestInstructorJourney(t *testing.T) {
	s := startSite(t)
	accounts := devidp.DemoAccounts()
	ada, brook := accounts[0], accounts[1]
	adaGrade := s.seedAttempt(t, ada, journeySlug, func(i int, _ *quiz.Question) bool { return i%2 == 0 })
	s.seedAttempt(t, brook, journeySlug, func(int, *quiz.Question) bool { return true })
	s.seedAttempt(t, brook, "logs", func(i int, _ *quiz.Question) bool { return i > 0 })

	b := newBrowser(t, s)
	b.open("/instructor")
	b.signInAs("instructor-ines")
	b.wantPath("/instructor")
	if role := b.text(`[data-testid="viewer-role"]`); !strings.Contains(strings.ToLower(role), "instructor") {
		t.Errorf("Ines signed in with role %q, want instructor", role)
	}
	b.checkPage("instructor")
	b.screenshot("instructor")

	// The gradebook has a row for Ada with her graded score for the quiz.
	b.follow(`nav[aria-label="Instructor"] a[href="/instructor/gradebook"]`)
	b.wantPath("/instructor/gradebook")
	type row struct {
		Name   string   `json:"name"`
		Email  string   `json:"email"`
		Grades []string `json:"grades"`
	}
	rows := eval[[]row](b, `[...document.querySelectorAll('[data-testid="gradebook-row"]')].map(tr => ({
		name: tr.querySelector('[data-testid="student-link"]').innerText.trim(),
		email: tr.querySelector('[data-testid="email"]').innerText.trim(),
		grades: [...tr.querySelectorAll('[data-testid="grade"]')].map(td => td.innerText.trim())}))`)
	i := slices.IndexFunc(rows, func(r row) bool { return r.Email == ada.Email })
	if i < 0 {
		t.Fatalf("the gradebook has no row for %s: %+v", ada.Email, rows)
	}
	col := slices.Index(courseSlugs, journeySlug)
	if got := rows[i].Grades; len(got) != len(courseSlugs) || !strings.HasPrefix(got[col], percent(adaGrade)) {
		t.Errorf("Ada's gradebook row %q, want %s in the %s column (of %d)", got, percent(adaGrade), journeySlug, len(courseSlugs))
	}
	b.checkPage("gradebook")
	b.screenshot("gradebook")

	// Item statistics of the quiz, from the overview: the charts draw.
	b.open("/instructor")
	b.follow(`[data-testid="lesson-row"][data-lesson="` + journeySlug + `"] a[href="/instructor/quizzes/` + journeySlug + `"]`)
	b.wantPath("/instructor/quizzes/" + journeySlug)
	type box struct {
		Title string  `json:"title"`
		W     float64 `json:"w"`
		H     float64 `json:"h"`
		Bars  int     `json:"bars"`
	}
	charts := eval[[]box](b, `[...document.querySelectorAll("svg")].filter(svg => svg.querySelector(":scope > title")).map(svg => {
		const r = svg.getBoundingClientRect();
		return {title: svg.querySelector(":scope > title").textContent, w: r.width, h: r.height, bars: svg.querySelectorAll("rect").length};
	})`)
	if len(charts) == 0 {
		t.Fatal("the statistics page has no titled SVG chart")
	}
	for _, c := range charts {
		if c.W <= 0 || c.H <= 0 || c.Bars == 0 {
			t.Errorf("chart %q draws %d bars in a %.0f×%.0f box, want bars in a visible box", c.Title, c.Bars, c.W, c.H)
		}
	}
	if n := b.count(`[data-testid="question-row"]`); n == 0 {
		t.Error("the statistics page lists no questions")
	}
	b.checkPage("statistics")
	b.screenshot("statistics")

	// The gradebook's CSV link downloads it.
	b.open("/instructor/gradebook")
	records := b.downloadCSV(`a[href="/instructor/gradebook.csv"]`)
	wantHeader := append(append([]string{"email", "name"}, courseSlugs...), "total")
	if !slices.Equal(records[0], wantHeader) {
		t.Fatalf("CSV header %q, want %q", records[0], wantHeader)
	}
	var adaRow []string
	emails := map[string]bool{}
	for _, r := range records[1:] {
		if len(r) != len(wantHeader) {
			t.Errorf("CSV row %q has %d fields, want %d", r, len(r), len(wantHeader))
			continue
		}
		emails[r[0]] = true
		if r[0] == ada.Email {
			adaRow = r
		}
	}
	if adaRow == nil || !emails[brook.Email] {
		t.Fatalf("the CSV lacks a row for %s or %s: %q", ada.Email, brook.Email, records)
	}
	// CSV cells are percentages with at most two decimals.
	if got, err := strconv.ParseFloat(adaRow[2+col], 64); adaRow[1] != ada.Name || err != nil || math.Abs(got-adaGrade*100) > 0.006 {
		t.Errorf("Ada's CSV row %q, want name %q and %.2f for %s", adaRow, ada.Name, adaGrade*100, journeySlug)
	}
}

// downloadCSV clicks the link, lets the browser save what it downloads
// into a temporary folder, and parses the file as CSV.
func (b *tab) downloadCSV(css string) [][]string {
	b.t.Helper()
	dir := b.t.TempDir()
	b.run("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
		})
		return err
	}))
	b.run("click "+css, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
	deadline := time.Now().Add(actionTimeout)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".crdownload") {
				continue
			}
			f, err := os.Open(filepath.Join(dir, e.Name()))
			if err != nil {
				b.t.Fatal(err)
			}
			defer f.Close()
			records, err := csv.NewReader(f).ReadAll()
			if err != nil {
				b.t.Fatalf("the downloaded %s is not CSV: %v", e.Name(), err)
			}
			if len(records) == 0 {
				b.t.Fatalf("the downloaded %s is empty", e.Name())
			}
			return records
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("clicking %s downloaded nothing within %s", css, actionTimeout)
	return nil
}

// seedAttempt stores a graded attempt of the quiz for the account, as
// submitting it would, and returns the student's grade for the quiz.
func (s *site) seedAttempt(t *testing.T, acc devidp.Account, slug string, right func(int, *quiz.Question) bool) float64 {
	t.Helper()
	ctx := context.Background()
	u, err := s.store.UpsertUser(ctx, s.Issuer, acc.Subject, acc.Email, acc.Name)
	if err != nil {
		t.Fatal(err)
	}
	q := s.banks[slug]
	tok := quiz.NewToken(q, u.ID, time.Now().Add(-10*time.Minute))
	a := attempt{Token: tok, Quiz: q, Paper: q.Paper(tok.Seed)}
	answers, err := quiz.DecodeAnswers(a.Paper, a.plan(right))
	if err != nil {
		t.Fatal(err)
	}
	res := quiz.Grade(a.Paper, answers)
	body, err := q.Body()
	if err != nil {
		t.Fatal(err)
	}
	na := store.NewAttempt{
		Attempt: store.Attempt{
			ID: tok.AttemptID, UserID: u.ID, Quiz: slug, Version: q.Version,
			Seed: int64(tok.Seed), StartedAt: tok.Started, Score: res.Score, MaxScore: res.Max,
		},
		VersionBody: body,
	}
	for i, it := range res.Items {
		answer, err := json.Marshal(it.Answer)
		if err != nil {
			t.Fatal(err)
		}
		na.Responses = append(na.Responses, store.Response{Position: i, Question: it.QuestionID, Answer: answer, Score: it.Score, MaxScore: it.Max})
	}
	if _, _, err := s.store.SaveAttempt(ctx, na, q.Settings); err != nil {
		t.Fatalf("seed %s's attempt of %s: %v", acc.Name, slug, err)
	}
	var fractions []float64
	as, err := s.store.AttemptsOf(ctx, u.ID, slug)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		fractions = append(fractions, a.Fraction())
	}
	return q.Settings.GradeAcross(fractions)
}
