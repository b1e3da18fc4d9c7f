package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/store"
)

// classFixture is a class in Berlin with three quizzes set: codebase due
// in three days with three attempts, config due two days ago and closed yesterday, processes
// opening in two days. Ada has 1.5× time on every quiz and her own, later
// due date for codebase, and one late attempt graded in the class; Bob is
// in the class with neither; Carl is in no class.
type classFixture struct {
	*classApp
	class             store.Class
	berlin            *time.Location
	now               time.Time
	classDue, adaDue  time.Time
	configDue, opens  time.Time
	ada, bob, carl    student
	adaDueText        string
	classDueText      string
	configClosedText  string
	processesOpenText string
}

func newClassFixture(t *testing.T) *classFixture {
	t.Helper()
	f := &classFixture{classApp: newClassApp(t)}
	ctx := context.Background()
	var err error
	if f.berlin, err = time.LoadLocation("Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	f.now = time.Now().Truncate(time.Minute)
	f.classDue = f.now.Add(3 * 24 * time.Hour)
	f.adaDue = f.now.Add(5*24*time.Hour + 90*time.Minute)
	f.configDue = f.now.Add(-47 * time.Hour) // two started days ago
	configCloses := f.now.Add(-24 * time.Hour)
	f.opens = f.now.Add(2 * 24 * time.Hour)
	f.class = f.class_(store.Class{Slug: "fall-26", Name: "Twelve Fall 2026", TimeZone: "Europe/Berlin", JoinCode: fallCode})

	three := 3
	settings := []store.QuizSettings{
		{ClassID: f.class.ID, Quiz: "codebase", DueAt: &f.classDue, AttemptLimit: &three},
		{ClassID: f.class.ID, Quiz: "config", DueAt: &f.configDue, ClosesAt: &configCloses},
		{ClassID: f.class.ID, Quiz: "processes", OpensAt: &f.opens},
	}
	for _, s := range settings {
		if err := f.store.SetQuizSettings(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	f.ada = f.signIn("ada", "ada@example.edu")
	f.bob = f.signIn("bob", "bob@example.edu")
	f.carl = f.signIn("carl", "carl@example.edu")
	for _, s := range []student{f.ada, f.bob} {
		if _, err := f.store.AddMember(ctx, f.class.ID, s.id, store.RoleStudent, store.ViaLink); err != nil {
			t.Fatal(err)
		}
	}
	for _, acc := range []store.Accommodation{
		{ClassID: f.class.ID, UserID: f.ada.id, TimeFactor: 1.5, Note: "staff only: letter of 3 Sep"},
		{ClassID: f.class.ID, UserID: f.ada.id, Quiz: "codebase", DueAt: &f.adaDue},
	} {
		if err := f.store.SetAccommodation(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}
	// Ada's one attempt of codebase in the class, submitted late.
	if _, err := f.store.Pool().Exec(ctx, `INSERT INTO class_grades (class_id, user_id, quiz, attempts, grade, passed, late)
		VALUES ($1, $2, 'codebase', 1, 0.8, true, true)`, f.class.ID, f.ada.id); err != nil {
		t.Fatal(err)
	}
	f.reload(f.class.ID)
	f.adaDueText = classes.FormatAt(f.adaDue, f.berlin)
	f.classDueText = classes.FormatAt(f.classDue, f.berlin)
	f.configClosedText = classes.FormatAt(configCloses, f.berlin)
	f.processesOpenText = classes.FormatAt(f.opens, f.berlin)
	return f
}

// class_ is classApp.class (the fixture's field shadows the method).
func (f *classFixture) class_(c store.Class) store.Class { return f.classApp.class(c) }

// page is a GET of path as s, which must answer 200.
func (f *classFixture) page(s student, path string) signinDoc {
	f.t.Helper()
	w := f.get(&s, path)
	if w.Code != http.StatusOK {
		f.t.Fatalf("GET %s = %d:\n%s", path, w.Code, w.Body)
	}
	return parseSigninDoc(f.t.(*testing.T), w.Body.String())
}

// classQuizRow is the row of quiz slug in the page's class table.
func classQuizRow(d signinDoc, slug string) *html.Node {
	for _, n := range allByTestID(d.root, "class-quiz") {
		if signinAttr(n, "data-quiz") == slug {
			return n
		}
	}
	return nil
}

func allByTestID(n *html.Node, id string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && signinAttr(n, "data-testid") == id {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	if n != nil {
		walk(n)
	}
	return out
}

// textIn is the text of the first element with data-testid=id inside n.
func textIn(n *html.Node, id string) string {
	if n == nil {
		return ""
	}
	t, _ := signinDoc{n}.text(id)
	return t
}

func TestClassesOnHomeAndMe(t *testing.T) {
	f := newClassFixture(t)
	for _, path := range []string{"/", "/me"} {
		t.Run(path, func(t *testing.T) {
			// Ada: her own date, her accommodations, what is left.
			d := f.page(f.ada, path)
			if d.byTestID("my-classes") == nil {
				t.Fatalf("no class section for a student in a class")
			}
			if got := textIn(d.root, "class-zone"); got != "Europe/Berlin" {
				t.Errorf("zone = %q", got)
			}
			row := classQuizRow(d, "codebase")
			if got := textIn(row, "due"); got != f.adaDueText {
				t.Errorf("Ada's due date = %q, want her own %q", got, f.adaDueText)
			}
			if textIn(row, "own-due") == "" {
				t.Error("Ada's own due date is not marked as hers")
			}
			if got, want := textIn(row, "due-in"), dueIn(f.adaDue, time.Now(), f.berlin); got != want || !strings.HasPrefix(got, "due in 5 days") && !strings.HasPrefix(got, "due in 6 days") {
				t.Errorf("time left = %q, want %q (5 or 6 days)", got, want)
			}
			if got := textIn(row, "attempts-left"); got != "2 of 3 attempts left" {
				t.Errorf("attempts left = %q, want 2 of 3 (one used)", got)
			}
			if got := textIn(row, "class-grade"); got != "80%" || textIn(row, "late") != "late" {
				t.Errorf("class grade = %q, late mark %q; want 80%% marked late", got, textIn(row, "late"))
			}
			var notes []string
			for _, n := range allByTestID(d.root, "accommodation") {
				notes = append(notes, textIn(n, "accommodation"))
			}
			wantNotes := []string{
				"You have 1.5× time on every quiz of this class (on a timed quiz).",
				"Your own due date on the quiz of lesson I (Codebase): " + f.adaDueText + ".",
			}
			if strings.Join(notes, "\n") != strings.Join(wantNotes, "\n") {
				t.Errorf("accommodations:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(wantNotes, "\n"))
			}
			if strings.Contains(renderNode(d.root), "letter of 3 Sep") {
				t.Error("the staff's note on the accommodation reached the student")
			}
			config := classQuizRow(d, "config")
			if signinAttr(config, "data-state") != "closed" || !strings.Contains(textIn(config, "closed"), "Closed on "+f.configClosedText+": no more attempts") {
				t.Errorf("config row: state %q, %q", signinAttr(config, "data-state"), textIn(config, "closed"))
			}
			if textIn(config, "class-quiz-link") != "" {
				t.Error("a closed quiz is still linked")
			}
			if got := textIn(config, "due-in"); !strings.HasPrefix(got, "overdue by 2 days") {
				t.Errorf("config time left = %q, want overdue by 2 days", got)
			}
			processes := classQuizRow(d, "processes")
			if signinAttr(processes, "data-state") != "opens" || textIn(processes, "opens") != "Opens "+f.processesOpenText {
				t.Errorf("processes row: state %q, %q", signinAttr(processes, "data-state"), textIn(processes, "opens"))
			}
			if link := (signinDoc{row}).byTestID("class-quiz-link"); link == nil || signinAttr(link, "href") != "/lessons/codebase/quiz?class=fall-26" {
				t.Errorf("codebase quiz link does not carry the class")
			}

			// Bob: the class's date, nothing of Ada's.
			d = f.page(f.bob, path)
			row = classQuizRow(d, "codebase")
			if got := textIn(row, "due"); got != f.classDueText {
				t.Errorf("Bob's due date = %q, want the class's %q", got, f.classDueText)
			}
			if textIn(row, "own-due") != "" || d.byTestID("accommodations") != nil {
				t.Error("Bob's page shows an accommodation he does not have")
			}
			if body := renderNode(d.root); strings.Contains(body, f.adaDueText) || strings.Contains(body, "1.5×") {
				t.Error("Bob's page shows Ada's accommodation")
			}
			if got := textIn(row, "attempts-left"); got != "3 of 3 attempts left" {
				t.Errorf("Bob's attempts left = %q", got)
			}

			// Carl, in no class: the page as it always was.
			d = f.page(f.carl, path)
			if d.byTestID("my-classes") != nil || d.byTestID("calendar") != nil {
				t.Error("a student in no class sees a class section")
			}
			if path == "/me" {
				for _, tt := range []struct {
					s    student
					want string
				}{{f.carl, "/lessons/codebase/quiz"}, {f.bob, "/lessons/codebase/quiz?class=fall-26"}} {
					if got := signinAttr(f.page(tt.s, "/me").byTestID("take-quiz"), "href"); got != tt.want {
						t.Errorf("/me's first quiz link = %q, want %q", got, tt.want)
					}
				}
			}
		})
	}
}

func TestLessonQuizCTAShowsClassDates(t *testing.T) {
	f := newClassFixture(t)
	tests := []struct {
		name, slug string
		s          student
		state      string
		testID     string
		want       string
		link       string
	}{
		{"ada's own due date", "codebase", f.ada, "open", "quiz-due", "Due " + f.adaDueText, "/lessons/codebase/quiz?class=fall-26"},
		{"bob's due date", "codebase", f.bob, "open", "quiz-due", "Due " + f.classDueText, "/lessons/codebase/quiz?class=fall-26"},
		{"closed", "config", f.ada, "closed", "quiz-closed", "Closed on " + f.configClosedText + ": no more attempts", ""},
		{"not open yet", "processes", f.bob, "opens", "quiz-opens", "Opens " + f.processesOpenText, ""},
		{"open, no dates", "logs", f.bob, "open", "quiz-link", "Take the quiz", "/lessons/logs/quiz?class=fall-26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := f.page(tt.s, "/lessons/"+tt.slug)
			cta := d.byTestID("quiz-cta-class")
			if cta == nil || signinAttr(cta, "data-state") != tt.state {
				t.Fatalf("quiz call to action: %v, want state %q", cta, tt.state)
			}
			if got := textIn(cta, tt.testID); !strings.HasPrefix(got, tt.want) {
				t.Errorf("%s = %q, want it to start %q", tt.testID, got, tt.want)
			}
			link := signinDoc{cta}.byTestID("quiz-link")
			switch {
			case tt.link == "" && link != nil:
				t.Errorf("a %s quiz is linked", tt.state)
			case tt.link != "" && (link == nil || signinAttr(link, "href") != tt.link):
				t.Errorf("quiz link = %v, want %q", link, tt.link)
			}
		})
	}
	// Carl, and anyone signed out: the plain link.
	for _, s := range []*student{&f.carl, nil} {
		w := f.get(s, "/lessons/codebase")
		d := parseSigninDoc(t, w.Body.String())
		if link := d.byTestID("quiz-link"); d.byTestID("quiz-cta-class") != nil || link == nil || signinAttr(link, "href") != "/lessons/codebase/quiz" {
			t.Errorf("outside classes, the lesson's quiz link is not the plain one")
		}
	}
}

func renderNode(n *html.Node) string {
	var b strings.Builder
	_ = html.Render(&b, n)
	return b.String()
}

func TestDueIn(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// 10:00 in Berlin on Saturday 5 Dec 2026.
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, berlin)
	tests := []struct {
		name string
		due  time.Time
		want string
	}{
		{"later today", time.Date(2026, 12, 5, 17, 0, 0, 0, berlin), "due today at 17:00"},
		{"tomorrow", time.Date(2026, 12, 6, 9, 0, 0, 0, berlin), "due tomorrow at 09:00"},
		{"tomorrow, under a day away", time.Date(2026, 12, 6, 0, 30, 0, 0, berlin), "due tomorrow at 00:30"},
		{"in 3 days", time.Date(2026, 12, 8, 23, 59, 0, 0, berlin), "due in 3 days"},
		{"a minute ago", now.Add(-time.Minute), "overdue by 1 day"},
		{"at the due time itself: not late yet", now, "due today at 10:00"},
		{"two days and a bit ago", now.Add(-49 * time.Hour), "overdue by 3 days"},
		{"exactly two days ago", now.Add(-48 * time.Hour), "overdue by 2 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dueIn(tt.due, now, berlin); got != tt.want {
				t.Errorf("dueIn = %q, want %q", got, tt.want)
			}
		})
	}
	// The zone decides what "today" is: 23:30 UTC is tomorrow in Berlin.
	lateUTC := time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC)
	if got := dueIn(time.Date(2026, 12, 5, 23, 30, 0, 0, time.UTC), lateUTC, berlin); got != "due tomorrow at 00:30" {
		t.Errorf("across midnight in Berlin: %q", got)
	}
	if got, want := classes.FormatAt(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), berlin), classes.FormatIn(time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), "Europe/Berlin"); got != want || got != "Mon 7 Dec 2026, 09:00 Europe/Berlin" {
		t.Errorf("FormatAt = %q, want %q as classes.FormatIn writes it", got, want)
	}
}

// TestLateAttemptOnMe: a late attempt in a class is marked late, with
// what the penalty took off, on /me, and its class grade on home.
func TestLateAttemptOnMe(t *testing.T) {
	f := newClassFixture(t)
	q := courseQuizzes(t)["logs"]
	_, _, err := f.store.SaveAttempt(context.Background(), store.NewAttempt{
		Attempt: store.Attempt{
			ID: "00000000-0000-4000-8000-000000000042", UserID: f.ada.id, Quiz: "logs", Version: q.Version,
			Seed: 7, StartedAt: time.Now().Add(-time.Hour), Score: 4, MaxScore: 5,
			ClassID: f.class.ID, Late: true, Penalty: 0.2,
		},
		Responses:   []store.Response{{Position: 0, Question: "q1", Answer: []byte(`{"raw":"x"}`), Score: 4, MaxScore: 5}},
		VersionBody: []byte(`{"slug":"logs"}`),
	}, q.Settings)
	if err != nil {
		t.Fatal(err)
	}
	me := f.page(f.ada, "/me")
	var attempt *html.Node
	for _, n := range allByTestID(me.root, "my-grade") {
		if signinAttr(n, "data-lesson") == "logs" {
			attempt = (signinDoc{n}).byTestID("my-attempt")
		}
	}
	if attempt == nil {
		t.Fatal("/me lists no attempt of logs")
	}
	if got := textIn(attempt, "penalty"); got != "20% off for lateness: 64%" || textIn(attempt, "late") != "late" {
		t.Errorf("late attempt shows %q, late mark %q", got, textIn(attempt, "late"))
	}
	if !strings.Contains(renderNode(attempt), "in Twelve Fall 2026") {
		t.Error("the attempt does not name its class")
	}
	row := classQuizRow(f.page(f.ada, "/"), "logs")
	if got := textIn(row, "class-grade"); got != "64%" || textIn(row, "late") != "late" {
		t.Errorf("home: class grade %q, late %q; want 64%% marked late", got, textIn(row, "late"))
	}
	if row := classQuizRow(f.page(f.bob, "/"), "logs"); textIn(row, "class-grade") != "—" {
		t.Error("Bob's home shows Ada's grade")
	}
}

// TestClassPagesStayCheap: the lesson page tells a student in a class
// its quiz's dates without asking the database, and home asks it one
// question more than for a student in no class.
func TestClassPagesStayCheap(t *testing.T) {
	a, counter, dir := countingApp(t, nil)
	ctx := context.Background()
	class, err := a.store.CreateClass(ctx, store.Class{Slug: "fall-26", Name: "Fall", TimeZone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(72 * time.Hour)
	if err := a.store.SetQuizSettings(ctx, store.QuizSettings{ClassID: class.ID, Quiz: "config", DueAt: &due}); err != nil {
		t.Fatal(err)
	}
	ada, carl := a.signIn("ada", "ada@example.edu"), a.signIn("carl", "carl@example.edu")
	if _, err := a.store.AddMember(ctx, class.ID, ada.id, store.RoleStudent, store.ViaLink); err != nil {
		t.Fatal(err)
	}
	if err := dir.Load(ctx); err != nil {
		t.Fatal(err)
	}
	statements := func(s student, path string) (int64, signinDoc) {
		t.Helper()
		a.get(&s, path) // the first signed-in request may look the user up
		before := counter.n.Load()
		w := a.get(&s, path)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, w.Code)
		}
		return counter.n.Load() - before, parseSigninDoc(t, w.Body.String())
	}
	n, d := statements(ada, "/lessons/config")
	if d.byTestID("quiz-due") == nil {
		t.Fatal("the lesson page does not show the class's due date")
	}
	if n != 0 {
		t.Errorf("the lesson page sent %d statements for a student in a class, want none", n)
	}
	inNone, _ := statements(carl, "/")
	inClass, d := statements(ada, "/")
	if d.byTestID("my-classes") == nil {
		t.Fatal("home does not show the class")
	}
	t.Logf("home: %d statements in a class, %d in none", inClass, inNone)
	if inClass > inNone+1 {
		t.Errorf("home sent %d statements for a student in a class, %d for one in none: want at most one more", inClass, inNone)
	}
}

// TestQuizLinksInTwoClasses: a student in two classes picks the class of
// an attempt from the lesson page, one link per class, and home links
// each class's quizzes with that class.
func TestQuizLinksInTwoClasses(t *testing.T) {
	f := newClassFixture(t)
	spring := f.class_(store.Class{Slug: "spring-27", Name: "Twelve Spring 2027", TimeZone: "America/New_York"})
	if _, err := f.store.AddMember(context.Background(), spring.ID, f.bob.id, store.RoleStudent, store.ViaLink); err != nil {
		t.Fatal(err)
	}
	f.reload(spring.ID)
	d := f.page(f.bob, "/lessons/codebase")
	var links []string
	for _, cta := range allByTestID(d.root, "quiz-cta-class") {
		if l := (signinDoc{cta}).byTestID("quiz-link"); l != nil {
			links = append(links, signinAttr(l, "href")+" "+textIn(cta, "quiz-link"))
		}
	}
	want := []string{
		"/lessons/codebase/quiz?class=fall-26 Take the quiz in Twelve Fall 2026",
		"/lessons/codebase/quiz?class=spring-27 Take the quiz in Twelve Spring 2027",
	}
	if strings.Join(links, "\n") != strings.Join(want, "\n") {
		t.Errorf("lesson quiz links:\n%s\nwant:\n%s", strings.Join(links, "\n"), strings.Join(want, "\n"))
	}
	home := f.page(f.bob, "/")
	for _, c := range allByTestID(home.root, "class") {
		slug := signinAttr(c, "data-class")
		for _, l := range allByTestID(c, "class-quiz-link") {
			if href := signinAttr(l, "href"); !strings.HasSuffix(href, "?class="+slug) {
				t.Errorf("in class %s, home links a quiz to %s", slug, href)
			}
		}
	}
	if got := signinAttr(f.page(f.bob, "/me").byTestID("take-quiz"), "href"); got != "/lessons/codebase/quiz" {
		t.Errorf("/me's quiz link for a student in two classes = %q, want the plain one (the start asks which class)", got)
	}
	if zones := allByTestID(home.root, "class-zone"); len(zones) != 2 || textIn(zones[1], "class-zone") != "America/New_York" {
		t.Errorf("home does not name each class's own zone")
	}
}
