package browser

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/twelve-course/twelve/internal/devidp"
	"github.com/twelve-course/twelve/quiz"
)

// classSlug and otherClassSlug are the classes the class journey creates.
const (
	classSlug      = "spring"
	className      = "Twelve-Factor, spring"
	otherClassSlug = "autumn"
	otherClassName = "Twelve-Factor, autumn"
)

// TestClassJourney: an instructor creates a class, uploads a roster with a
// bad row (the preview names the problem; the confirm adds the good rows
// only), gives one quiz a due date and a 10-minute time limit, and gives a
// student half as much time again. The student joins by the class's link,
// sees her own 15 minutes and the due date, and takes the quiz in the
// class. The class's gradebook lists her; another class's does not. Every
// class page passes axe.
func TestClassJourney(t *testing.T) {
	s := startSite(t)
	ada := devidp.DemoAccounts()[0]

	// Ines is course staff (the instructors group): she creates a class.
	ines := newBrowser(t, s)
	ines.open("/instructor/classes")
	ines.signInAs("instructor-ines")
	ines.wantPath("/instructor/classes")
	if n := ines.count(`[data-testid="class-row"]`); n != 0 {
		t.Fatalf("a fresh site lists %d classes, want none", n)
	}
	ines.checkPage("classes")
	ines.screenshot("classes")
	ines.createClass(className, classSlug)
	overview := "/instructor/classes/" + classSlug
	ines.wantPath(overview)
	if h := ines.text("h1"); !strings.Contains(h, className) {
		t.Errorf("the new class's page is headed %q, want its name %q", h, className)
	}
	joinURL := ines.text(`[data-testid="join-url"]`)
	join, err := url.Parse(joinURL)
	if err != nil || !strings.HasPrefix(join.Path, "/join/") {
		t.Fatalf("the class's join link is %q, want an address /join/CODE", joinURL)
	}
	ines.checkPage("class overview")
	ines.screenshot("class-overview")

	// The roster: the preview flags the bad row and adds nothing; the
	// confirm adds the two good rows as invites (neither has signed in).
	ines.visit(`nav[aria-label="Class"] a[href="` + overview + `/roster"]`)
	ines.wantPath(overview + "/roster")
	ines.fill(`[data-testid="roster-form"]`, "Roster CSV", "email,name\n"+
		"brook@example.edu,Brook Taylor\n"+
		"not-an-email,Nobody\n"+
		"carol@example.edu,Carol Danvers\n")
	ines.submit(`[data-testid="roster-form"]`)
	type rosterRow struct {
		Email  string `json:"email"`
		Status string `json:"status"`
	}
	preview := eval[[]rosterRow](ines, `[...document.querySelectorAll('[data-testid="roster-row"]')].map(tr => ({
		email: tr.querySelector('[data-testid="roster-email"]').innerText.trim(),
		status: tr.querySelector('[data-testid="roster-status"]').innerText.trim()}))`)
	if len(preview) != 3 {
		t.Fatalf("the roster preview shows %d rows %+v, want 3", len(preview), preview)
	}
	for _, r := range preview {
		bad := strings.HasPrefix(r.Status, "Error")
		if want := r.Email == "not-an-email"; bad != want || (bad && !strings.Contains(r.Status, "not an email address")) {
			t.Errorf("roster preview row %s: status %q, want an error saying it is not an email address on the bad row only", r.Email, r.Status)
		}
	}
	if got := ines.count(`[data-testid="invite-row"]`); got != 0 {
		t.Errorf("the preview shows %d invites, want none: a preview adds no one", got)
	}
	ines.checkPage("roster preview")
	ines.screenshot("roster-preview")
	ines.submit(`[data-testid="roster-confirm"]`)
	ines.open(overview)
	invites := eval[[]string](ines, `[...document.querySelectorAll('[data-testid="invite-row"] th')].map(th => th.innerText.trim())`)
	slices.Sort(invites)
	if want := []string{"brook@example.edu", "carol@example.edu"}; !slices.Equal(invites, want) {
		t.Errorf("after the confirm the class invites %q, want %q (the bad row left out)", invites, want)
	}

	// The quiz settings: a due date a week away and a 10-minute time limit
	// for one quiz. The class is in UTC, so the form's times are UTC.
	due := time.Now().UTC().Add(7 * 24 * time.Hour).Truncate(time.Minute)
	ines.visit(`nav[aria-label="Class"] a[href="` + overview + `/quizzes"]`)
	ines.wantPath(overview + "/quizzes")
	row := `[data-testid="quiz-settings-row"][data-quiz="` + journeySlug + `"]`
	ines.fill(row, "Due at", due.Format("2006-01-02T15:04"))
	ines.fill(row, "Time limit in minutes", "10")
	ines.submit(`[data-testid="quiz-settings-form"]`)
	if n := ines.count(`[data-testid="class-notice"]`); n != 1 {
		t.Errorf("saving the quiz settings shows no notice (at %s)", ines.location())
	}
	ines.open(overview + "/quizzes")
	if got := ines.value(row, "Due at"); got != due.Format("2006-01-02T15:04") {
		t.Errorf("the saved due date reads %q, want %q", got, due.Format("2006-01-02T15:04"))
	}
	if got := ines.value(row, "Time limit in minutes"); got != "10" {
		t.Errorf("the saved time limit reads %q, want 10", got)
	}
	ines.checkPage("quiz settings")
	ines.screenshot("quiz-settings")

	// Ada, in her own browser, opens the join link: it names the class,
	// offers one button, and joins her.
	student := newBrowser(t, s)
	student.load("open the join link", chromedp.Navigate(s.URL+join.Path))
	student.signInAs("student-ada")
	student.wantPath(join.Path)
	if got := student.text("main"); !strings.Contains(got, className) {
		t.Errorf("the join page says %q, want the class's name %q", got, className)
	}
	if n := student.count(`main button`); n != 1 {
		t.Errorf("the join page has %d buttons, want one", n)
	}
	student.checkPage("join")
	student.screenshot("join")
	student.visit(`main form button`)

	// Ines sees her among the members, and gives her half as much time
	// again on that quiz.
	ines.open(overview)
	members := eval[[]string](ines, `[...document.querySelectorAll('[data-testid="member-row"] [data-testid="member-email"]')].map(td => td.innerText.trim())`)
	if !slices.Contains(members, ada.Email) {
		t.Errorf("after joining by the link, Ada is not among the class's members %q", members)
	}
	ines.visit(`nav[aria-label="Class"] a[href="` + overview + `/accommodations"]`)
	ines.wantPath(overview + "/accommodations")
	ines.choose(`[data-testid="accommodation-form"]`, "Student", ada.Name)
	ines.choose(`[data-testid="accommodation-form"]`, "Quiz", "Config")
	ines.fill(`[data-testid="accommodation-form"]`, "Time factor", "1.5")
	ines.submit(`[data-testid="accommodation-form"]`)
	ines.open(overview + "/accommodations")
	if got := ines.text(`[data-testid="accommodation-row"]`); !strings.Contains(got, ada.Name) || !strings.Contains(got, "1.5") {
		t.Errorf("the accommodations list %q, want Ada's 1.5× time", got)
	}
	ines.checkPage("accommodations")
	ines.screenshot("accommodations")

	// Ada's home shows the class, the quiz's due date and her extra time.
	student.open("/")
	mine := `[data-testid="my-classes"] [data-testid="class"][data-class="` + classSlug + `"]`
	if got := student.text(mine + ` [data-testid="class-name"]`); got != className {
		t.Errorf("Ada's home shows class %q, want %q", got, className)
	}
	quizRow := mine + ` [data-testid="class-quiz"][data-quiz="` + journeySlug + `"]`
	if got := student.text(quizRow + ` [data-testid="due"]`); !strings.Contains(got, due.Format("2 Jan")) || !strings.Contains(got, due.Format("15:04")) {
		t.Errorf("Ada's home shows the %s quiz due %q, want %s", journeySlug, got, due.Format("2 Jan, 15:04"))
	}
	if got := student.text(mine + ` [data-testid="accommodations"]`); !strings.Contains(got, "1.5×") || !strings.Contains(got, "Config") {
		t.Errorf("Ada's home says %q about her accommodations, want her 1.5× time on Config", got)
	}
	student.checkPage("student class home")
	student.screenshot("student-class-home")
	student.open("/me")
	student.checkPage("student class progress")

	// She takes the quiz in the class: its token carries her 15 minutes
	// and the due date, and the page says she has 15 minutes.
	student.open("/")
	student.visit(quizRow + ` [data-testid="class-quiz-link"]`)
	student.wantPath("/lessons/" + journeySlug + "/quiz")
	a := student.currentAttempt(journeySlug)
	if a.Token.Class == 0 {
		t.Fatal("the attempt is not in the class: its token has no class")
	}
	if got := a.Token.Deadline.Sub(a.Token.Started); got != 15*time.Minute {
		t.Errorf("the attempt's time limit is %s, want 15m (10 minutes × 1.5)", got)
	}
	if !a.Token.Due.Equal(due) {
		t.Errorf("the attempt is due %s, want %s", a.Token.Due, due)
	}
	if got := student.text(`[data-testid="time-allowed"]`); got != "15 minutes" {
		t.Errorf("the quiz page gives Ada %q to answer, want 15 minutes", got)
	}
	if got, want := student.text(`[data-testid="deadline"]`), a.Token.Deadline.UTC().Format("15:04"); !strings.Contains(got, want) {
		t.Errorf("the quiz page says submit by %q, want %s", got, want)
	}
	student.checkPage("class quiz")
	student.screenshot("class-quiz")
	plan := a.plan(func(int, *quiz.Question) bool { return true })
	want := student.grade(a, plan)
	if passed := student.answerByKeyboard(plan); len(passed) != len(a.Paper.Items) {
		t.Fatalf("the keyboard passed %d questions, want all %d", len(passed), len(a.Paper.Items))
	}
	if status := student.pressLoad(kb.Enter); status != 200 {
		t.Fatalf("submitting the class attempt: status %d (at %s): %s", status, student.location(), student.text("main h1"))
	}
	student.wantPath("/attempts/" + a.Token.AttemptID)

	// The class's gradebook lists Ada with her grade.
	ines.open(overview)
	ines.visit(`[data-testid="class-gradebook-link"]`)
	ines.wantPath(overview + "/gradebook")
	rows := ines.gradebookRows()
	i := slices.IndexFunc(rows, func(r gradebookRow) bool { return r.Email == ada.Email })
	if i < 0 {
		t.Fatalf("the class's gradebook has no row for %s: %+v", ada.Email, rows)
	}
	col := slices.Index(courseSlugs, journeySlug)
	if got := rows[i].Grades; len(got) != len(courseSlugs) || !strings.HasPrefix(got[col], percent(want.Fraction())) {
		t.Errorf("Ada's row in the class's gradebook %q, want %s in the %s column", got, percent(want.Fraction()), journeySlug)
	}
	ines.checkPage("class gradebook")
	ines.screenshot("class-gradebook")
	// The class's item statistics and Ada's page in the class.
	ines.open(overview + "/quizzes/" + journeySlug)
	if got := ines.text("main h1"); !strings.Contains(got, "Config") {
		t.Errorf("the class's statistics page is headed %q", got)
	}
	ines.checkPage("class statistics")
	ines.open(overview + "/gradebook")
	ines.visit(`[data-testid="gradebook-row"] [data-testid="student-link"]`)
	if got := ines.text("main"); !strings.Contains(got, ada.Name) {
		t.Errorf("the class's student page does not name %s", ada.Name)
	}
	ines.checkPage("class student")

	// Another class's gradebook does not.
	ines.open("/instructor/classes")
	ines.createClass(otherClassName, otherClassSlug)
	ines.wantPath("/instructor/classes/" + otherClassSlug)
	ines.open("/instructor/classes")
	if n := ines.count(`[data-testid="class-row"]`); n != 2 {
		t.Errorf("the class list shows %d classes, want 2", n)
	}
	ines.checkPage("classes, two")
	ines.open("/instructor/classes/" + otherClassSlug + "/gradebook")
	if rows := ines.gradebookRows(); len(rows) != 0 {
		t.Errorf("the gradebook of %s, which no student joined, lists %+v", otherClassSlug, rows)
	}
	ines.checkPage("class gradebook, empty")

	// Ada joins the second class too: a quiz start now asks which class
	// the attempt is for.
	ines.open("/instructor/classes/" + otherClassSlug)
	other, err := url.Parse(ines.text(`[data-testid="join-url"]`))
	if err != nil {
		t.Fatal(err)
	}
	student.open(other.Path)
	student.visit(`main form button`)
	student.open("/lessons/" + journeySlug + "/quiz")
	if n := student.count(`[data-testid="class-choice"] a`); n != 2 {
		t.Errorf("the class chooser offers %d classes, want 2", n)
	}
	student.checkPage("class choice")
}

// createClass fills in and submits the create-a-class form of the class
// list, which the tab shows.
func (b *tab) createClass(name, slug string) {
	b.t.Helper()
	form := `[data-testid="create-class"]`
	b.fill(form, "Name", name)
	b.fill(form, "Address", slug)
	b.fill(form, "Time zone", "UTC")
	b.submit(form)
}

// gradebookRow is one student's row of a gradebook table.
type gradebookRow struct {
	Name   string   `json:"name"`
	Email  string   `json:"email"`
	Grades []string `json:"grades"`
}

func (b *tab) gradebookRows() []gradebookRow {
	b.t.Helper()
	return eval[[]gradebookRow](b, `[...document.querySelectorAll('[data-testid="gradebook-row"]')].map(tr => ({
		name: tr.querySelector('[data-testid="student-link"]')?.innerText.trim() ?? "",
		email: tr.querySelector('[data-testid="email"]')?.innerText.trim() ?? "",
		grades: [...tr.querySelectorAll('[data-testid="grade"]')].map(td => td.innerText.trim())}))`)
}

// control is a CSS selector for the form control, inside the element
// scope selects, whose label begins with label (as a person reads the
// form: visually hidden labels count).
func (b *tab) control(scope, label string) string {
	b.t.Helper()
	sel := eval[string](b, fmt.Sprintf(`(() => {
		const scope = document.querySelector(%q);
		if (!scope) return "";
		const text = el => el.textContent.replace(/\s+/g, " ").trim();
		const l = [...scope.querySelectorAll("label")].find(l => text(l).startsWith(%q));
		if (!l || !l.control || !l.control.id) return "";
		return "#" + CSS.escape(l.control.id);
	})()`, scope, label))
	if sel == "" {
		b.t.Fatalf("at %s, no control labelled %q in %s", b.location(), label, scope)
	}
	return sel
}

// fill types value into the control labelled label: text as a person
// types it; dates, times and multi-line text set whole, as a picker or a
// paste would.
func (b *tab) fill(scope, label, value string) {
	b.t.Helper()
	sel := b.control(scope, label)
	kind := eval[string](b, fmt.Sprintf(`(el => el.tagName === "TEXTAREA" ? "textarea" : el.type)(document.querySelector(%q))`, sel))
	switch kind {
	case "date", "datetime-local", "time", "textarea":
		b.run("set "+label, chromedp.SetValue(chromedp.CSS(sel), value))
	default:
		b.run("type into "+label, chromedp.Focus(chromedp.CSS(sel)),
			chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent(kb.Delete),
			chromedp.KeyEvent(value))
	}
}

// value is the current value of the control labelled label.
func (b *tab) value(scope, label string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`document.querySelector(%q).value`, b.control(scope, label)))
}

// choose selects, in the select labelled label, the option whose text
// contains option.
func (b *tab) choose(scope, label, option string) {
	b.t.Helper()
	sel := b.control(scope, label)
	v := eval[string](b, fmt.Sprintf(`(() => {
		const o = [...document.querySelector(%q).options].find(o => o.text.includes(%q));
		return o ? o.value : "\u0000";
	})()`, sel, option))
	if v == "\x00" {
		b.t.Fatalf("at %s, the select %q has no option %q", b.location(), label, option)
	}
	b.run("choose "+option, chromedp.SetValue(chromedp.CSS(sel), v))
}

// submit clicks the submit button of the form and wants the page it leads
// to (after redirects) to answer 200.
func (b *tab) submit(form string) {
	b.t.Helper()
	b.visit(form + ` button[type="submit"]`)
}

// visit clicks the element and wants the page it leads to (after
// redirects) to answer 200; else the test stops, naming the page's heading.
func (b *tab) visit(css string) {
	b.t.Helper()
	if status := b.follow(css); status != 200 {
		b.t.Fatalf("clicking %s: status %d at %s: %q", css, status, b.location(), b.text("main h1"))
	}
}
