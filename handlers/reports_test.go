package handlers

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/content"
)

// submit takes the quiz as s, all right or (right false) with no answer.
func (a *quizApp) submit(s student, slug string, right bool) string {
	a.t.Helper()
	_, token := a.start(s, slug)
	form := url.Values{"attempt": {token}}
	if right {
		form = rightAnswers(a.t, courseQuizzes(a.t)[slug], token)
	}
	w := a.post(&s, "/lessons/"+slug+"/quiz", form)
	if w.Code != http.StatusSeeOther {
		a.t.Fatalf("submit %s = %d:\n%s", slug, w.Code, w.Body)
	}
	return w.Header().Get("Location")
}

// reportNodes returns the elements with data-testid id, in document order.
func reportNodes(t *testing.T, body, id string) []*html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []*html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && reportAttr(n, "data-testid") == id {
			out = append(out, n)
		}
	}
	return out
}

func reportAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// reportText is the text of n, spaces collapsed.
func reportText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func reportTexts(t *testing.T, body, id string) []string {
	t.Helper()
	var out []string
	for _, n := range reportNodes(t, body, id) {
		out = append(out, reportText(n))
	}
	return out
}

// TestInstructorRoutesAccess checks every instructor route both ways:
// signed out → sign in, student → 403, instructor → 200; and reviews of
// attempts: the owner and instructors may, other students may not.
func TestInstructorRoutesAccess(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ada := a.signIn("ada", "ada@example.edu")
	brook := a.signIn("brook", "brook@example.edu")
	ines := a.signIn("ines", "ines@example.edu")
	review := a.submit(ada, "config", true)

	routes := []string{
		"/instructor",
		"/instructor/gradebook",
		"/instructor/gradebook?sort=config&dir=desc&q=ad",
		"/instructor/gradebook.csv",
		"/instructor/quizzes/config",
		"/instructor/quizzes/config?attempts=all",
		"/instructor/students/" + strconv.FormatInt(ada.id, 10),
	}
	for _, path := range routes {
		t.Run(path, func(t *testing.T) {
			w := a.get(nil, path)
			if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(path) {
				t.Errorf("signed out: %d to %q, want 303 to sign in and back", w.Code, loc)
			}
			if w := a.get(&ada, path); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "Not allowed") {
				t.Errorf("student: %d, want the 403 page", w.Code)
			}
			if w := a.get(&ines, path); w.Code != http.StatusOK {
				t.Errorf("instructor: %d, want 200:\n%s", w.Code, w.Body)
			}
		})
	}
	t.Run("a granted instructor is re-checked: revoked means 403 at once", func(t *testing.T) {
		gus := a.signIn("gus", "gus@example.edu")
		if _, err := a.store.GrantInstructor(context.Background(), "gus@example.edu"); err != nil {
			t.Fatal(err)
		}
		if w := a.get(&gus, "/instructor/gradebook"); w.Code != http.StatusOK {
			t.Errorf("granted: %d, want 200", w.Code)
		}
		if _, err := a.store.RevokeInstructor(context.Background(), "gus@example.edu"); err != nil {
			t.Fatal(err)
		}
		if w := a.get(&gus, "/instructor/gradebook.csv"); w.Code != http.StatusForbidden {
			t.Errorf("revoked: %d, want 403", w.Code)
		}
	})
	t.Run("attempt reviews", func(t *testing.T) {
		for _, c := range []struct {
			who  *student
			want int
		}{{&ada, http.StatusOK}, {&brook, http.StatusForbidden}, {&ines, http.StatusOK}} {
			if w := a.get(c.who, review); w.Code != c.want {
				t.Errorf("user %d on %s: %d, want %d", c.who.id, review, w.Code, c.want)
			}
		}
		if w := a.get(nil, review); w.Code != http.StatusSeeOther {
			t.Errorf("signed out review: %d, want a redirect to sign in", w.Code)
		}
	})
}

func TestOverviewNumbers(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ada := a.signIn("ada", "ada@example.edu")
	bob := a.signIn("bob", "bob@example.edu")
	a.signIn("cy", "cy@example.edu") // signed in, never attempted
	ines := a.signIn("ines", "ines@example.edu")
	a.submit(ada, "config", true)   // 100%
	a.submit(bob, "config", false)  // 0%
	a.submit(bob, "config", true)   // then 100%: highest is 100%
	a.submit(ada, "codebase", true) // 100%

	w := a.get(&ines, "/instructor")
	body := w.Body.String()
	for id, want := range map[string]string{
		"cohort-students":  "4", // everyone who signed in, the instructor too
		"cohort-active":    "2",
		"cohort-completed": "0",
	} {
		if got := reportTexts(t, body, id); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	// Totals: ada 2/12 = 16.67%, bob 1/12 = 8.33%; mean 12.5% → "13%".
	if got := reportTexts(t, body, "cohort-total"); len(got) != 1 || !strings.HasPrefix(got[0], "13%") {
		t.Errorf("mean total = %q, want 13%%", got)
	}
	rows := map[string][]string{}
	for _, tr := range reportNodes(t, body, "lesson-row") {
		var cells []string
		for _, id := range []string{"students", "attempts", "passed", "pass-rate", "mean"} {
			for d := range tr.Descendants() {
				if d.Type == html.ElementNode && reportAttr(d, "data-testid") == id {
					cells = append(cells, reportText(d))
				}
			}
		}
		rows[reportAttr(tr, "data-lesson")] = cells
	}
	want := map[string][]string{
		"codebase":     {"1", "1", "1", "100%", "100%"},
		"dependencies": {"0", "0", "0", "—", "—"},
		"config":       {"2", "3", "2", "100%", "100%"},
	}
	for slug, cells := range want {
		if diff := cmp.Diff(cells, rows[slug]); diff != "" {
			t.Errorf("%s row (-want +got):\n%s", slug, diff)
		}
	}
	if len(rows) != 12 {
		t.Errorf("%d lesson rows, want 12", len(rows))
	}
	if n := strings.Count(body, `role="img"`); n != 3 {
		t.Errorf("%d charts with role=img, want 3", n)
	}
	for _, want := range []string{`<title id="pass-rate-title">Pass rate by lesson</title>`, `<desc id="pass-rate-desc">`, `aria-labelledby="pass-rate-title pass-rate-desc"`, `data-testid="total-bands"`} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %s", want)
		}
	}
}

func TestGradebookPages(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ines := a.signIn("ines", "ines@example.edu")
	var students []student
	for i := range 60 {
		students = append(students, a.signIn(fmt.Sprintf("s%02d", i), fmt.Sprintf("s%02d@example.edu", i)))
	}
	a.submit(students[7], "config", true)
	a.submit(students[8], "config", false)

	// Walk every page by name: 61 people, 50 a page, no overlap, no gap.
	var names []string
	seen := map[string]bool{}
	path := "/instructor/gradebook"
	for pages := 0; path != ""; pages++ {
		w := a.get(&ines, path)
		if w.Code != http.StatusOK {
			t.Fatalf("%s = %d:\n%s", path, w.Code, w.Body)
		}
		body := w.Body.String()
		for _, n := range reportTexts(t, body, "student-link") {
			if seen[n] {
				t.Errorf("%s listed twice", n)
			}
			seen[n] = true
			names = append(names, n)
		}
		path = ""
		if next := reportNodes(t, body, "next-page"); len(next) == 1 {
			path = reportAttr(next[0], "href")
		}
		if pages > 3 {
			t.Fatal("too many pages")
		}
	}
	if len(names) != 61 || names[0] != "ines" && names[0] != "s00" {
		t.Errorf("walked %d names starting %q, want 61", len(names), names[:1])
	}
	if got := reportTexts(t, a.get(&ines, "/instructor/gradebook").Body.String(), "gradebook-count"); len(got) != 1 || got[0] != "61 students" {
		t.Errorf("count = %q, want 61 students", got)
	}

	// Sorted by config, highest first: s07 (100%, passed), s08 (0%), then blanks.
	body := a.get(&ines, "/instructor/gradebook?sort=config&dir=desc").Body.String()
	top := reportTexts(t, body, "student-link")[:3]
	if diff := cmp.Diff([]string{"s07", "s08"}, top[:2]); diff != "" {
		t.Errorf("sorted by config desc (-want +got):\n%s", diff)
	}
	rows := reportNodes(t, body, "gradebook-row")
	cells := func(tr *html.Node) []string {
		var out []string
		for d := range tr.Descendants() {
			if d.Type == html.ElementNode && reportAttr(d, "data-testid") == "grade" {
				out = append(out, reportText(d))
			}
		}
		return out
	}
	if c := cells(rows[0]); len(c) != 12 || c[2] != "100% ✓ passed" || c[0] != "" {
		t.Errorf("s07's cells = %q, want config 100%% passed and blanks", c)
	}
	if c := cells(rows[1]); c[2] != "0%" {
		t.Errorf("s08's config cell = %q, want 0%% (not passed)", c[2])
	}
	if !strings.Contains(body, `aria-sort="descending"`) {
		t.Error("the sorted column has no aria-sort")
	}

	// Filter, and page past the end then back.
	body = a.get(&ines, "/instructor/gradebook?q=S0").Body.String()
	if got := reportTexts(t, body, "student-link"); len(got) != 10 || got[0] != "s00" {
		t.Errorf("filter S0 = %q, want s00 … s09", got)
	}
	for _, bad := range []string{"?sort=password", "?dir=sideways", "?after=nonsense", "?sort=total&after=abc~1", "?after=a~1&before=b~2"} {
		if w := a.get(&ines, "/instructor/gradebook"+bad); w.Code != http.StatusBadRequest {
			t.Errorf("%s = %d, want 400", bad, w.Code)
		}
	}
}

func TestGradebookCSV(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ines := a.signIn("ines", "ines@example.edu")
	tricky := map[string]string{
		"eq":    "=HYPERLINK(\"http://evil.example\",\"x\")",
		"plus":  "+1+1",
		"minus": "-2+3",
		"at":    "@SUM(A1)",
		"tab":   "\tTabbed",
		"cr":    "\rReturn",
		"comma": "Doe, \"Jane\"",
		"utf8":  "Zoë Ødegaard",
	}
	for sub, name := range tricky {
		if _, err := a.store.UpsertUser(context.Background(), "https://idp.test", sub, sub+"@example.edu", name); err != nil {
			t.Fatal(err)
		}
	}
	ada := a.signIn("ada", "ada@example.edu")
	a.submit(ada, "config", true)

	w := a.get(&ines, "/instructor/gradebook.csv")
	if w.Code != http.StatusOK {
		t.Fatalf("CSV = %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="twelve-gradebook-`) {
		t.Errorf("Content-Disposition = %q, want an attachment", cd)
	}
	records, err := csv.NewReader(bytes.NewReader(w.Body.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180 CSV: %v\n%s", err, w.Body)
	}
	wantHeader := append(append([]string{"email", "name"}, content.Slugs()...), "total")
	if diff := cmp.Diff(wantHeader, records[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if got, want := len(records)-1, len(tricky)+2; got != want {
		t.Errorf("%d rows, want one per user, %d", got, want)
	}
	byEmail := map[string][]string{}
	for _, r := range records[1:] {
		byEmail[r[0]] = r
	}
	for sub, name := range tricky {
		r := byEmail[sub+"@example.edu"]
		if r == nil {
			t.Errorf("no row for %s", sub)
			continue
		}
		want := name
		if strings.ContainsAny(name[:1], "=+-@\t\r") {
			want = "'" + name
		}
		if r[1] != want {
			t.Errorf("%s: name cell %q, want %q", sub, r[1], want)
		}
		if r[2] != "" || r[len(r)-1] != "0" {
			t.Errorf("%s: grade cells %q, want blank lessons and total 0", sub, r[2:])
		}
	}
	adaRow := byEmail["ada@example.edu"]
	if adaRow[4] != "100" || adaRow[len(adaRow)-1] != "8.33" {
		t.Errorf("ada: config %q total %q, want 100 and 8.33 (1 of 12 lessons)", adaRow[4], adaRow[len(adaRow)-1])
	}
	if !bytes.Contains(w.Body.Bytes(), []byte("Zoë Ødegaard")) {
		t.Error("CSV is not UTF-8")
	}
}

func TestQuizStatisticsPage(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ines := a.signIn("ines", "ines@example.edu")
	ada := a.signIn("ada", "ada@example.edu")
	bob := a.signIn("bob", "bob@example.edu")
	a.submit(ada, "config", true)  // 8/8
	a.submit(bob, "config", false) // 0/8, a first attempt
	a.submit(bob, "config", true)  // 8/8, a second attempt

	first := a.get(&ines, "/instructor/quizzes/config").Body.String()
	for id, want := range map[string]string{"stat-attempts": "2", "stat-mean": "50.00%", "stat-median": "50.00%", "stat-sd": "70.71%"} {
		if got := reportTexts(t, first, id); len(got) != 1 || !strings.HasPrefix(got[0], want) {
			t.Errorf("first attempts: %s = %q, want %s", id, got, want)
		}
	}
	if !strings.Contains(first, "first attempts") || !strings.Contains(first, `href="/instructor/quizzes/config?attempts=all"`) {
		t.Error("page does not say it counts first attempts, or offers no switch to all")
	}
	all := a.get(&ines, "/instructor/quizzes/config?attempts=all").Body.String()
	if got := reportTexts(t, all, "stat-mean"); len(got) != 1 || got[0] != "66.67%" {
		t.Errorf("all attempts: mean = %q, want 66.67%%", got)
	}
	q := courseQuizzes(t)["config"]
	if n := len(reportNodes(t, all, "question-row")); n != len(q.Questions) {
		t.Errorf("%d question rows, want the bank's %d", n, len(q.Questions))
	}
	var drawn int
	for _, s := range reportTexts(t, all, "q-attempts") {
		n, _ := strconv.Atoi(s)
		drawn += n
	}
	if drawn != 3*8 {
		t.Errorf("question attempts sum to %d, want 3 attempts × 8 questions", drawn)
	}
	if !strings.Contains(all, `data-testid="option-stats"`) || !strings.Contains(all, `<svg class="chart-svg"`) {
		t.Error("no option table or score chart")
	}
	for path, want := range map[string]int{
		"/instructor/quizzes/no-such-quiz":          http.StatusNotFound,
		"/instructor/quizzes/config?attempts=later": http.StatusBadRequest,
	} {
		if w := a.get(&ines, path); w.Code != want {
			t.Errorf("%s = %d, want %d", path, w.Code, want)
		}
	}
}

func TestStudentPage(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ines := a.signIn("ines", "ines@example.edu")
	ada := a.signIn("ada", "ada@example.edu")
	r1 := a.submit(ada, "config", false)
	r2 := a.submit(ada, "config", true)
	body := a.get(&ines, "/instructor/students/"+strconv.FormatInt(ada.id, 10)).Body.String()
	if got := reportTexts(t, body, "student-email"); len(got) != 1 || got[0] != "ada@example.edu" {
		t.Errorf("email = %q", got)
	}
	var links []string
	for _, n := range reportNodes(t, body, "review-link") {
		links = append(links, reportAttr(n, "href"))
	}
	if diff := cmp.Diff([]string{r1, r2}, links); diff != "" {
		t.Errorf("review links (-want +got):\n%s", diff)
	}
	if got := reportTexts(t, body, "attempt-score"); len(got) != 2 || got[0] != "0 / 8 (0%)" || got[1] != "8 / 8 (100%)" {
		t.Errorf("scores = %q", got)
	}
	for _, path := range []string{"/instructor/students/999999", "/instructor/students/abc", "/instructor/students/-1"} {
		if w := a.get(&ines, path); w.Code != http.StatusNotFound {
			t.Errorf("%s = %d, want 404", path, w.Code)
		}
	}
}
