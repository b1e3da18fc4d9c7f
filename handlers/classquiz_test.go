package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

// classQuizApp is the quiz app with a class directory the test reloads
// after writing classes through the store, as a web process does when it
// hears of a change.
type classQuizApp struct {
	*quizApp
	dir *classes.Directory
}

func newClassQuizApp(t *testing.T) *classQuizApp {
	t.Helper()
	var dir *classes.Directory
	a := newQuizApp(t, "", nil, nil, func(d *Deps) {
		dir = classes.New(classes.FromStore(d.Store), d.Logger)
		d.Classes = dir
	})
	if err := dir.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &classQuizApp{quizApp: a, dir: dir}
}

// class creates a class with the students as members.
func (a *classQuizApp) class(slug string, students ...student) store.Class {
	a.t.Helper()
	ctx := context.Background()
	c, err := a.store.CreateClass(ctx, store.Class{Slug: slug, Name: "Class " + slug, TimeZone: "Europe/Berlin"})
	if err != nil {
		a.t.Fatal(err)
	}
	for _, s := range students {
		if _, err := a.store.AddMember(ctx, c.ID, s.id, store.RoleStudent, store.ViaAdmin); err != nil {
			a.t.Fatal(err)
		}
	}
	a.reload(c.ID)
	return c
}

func (a *classQuizApp) reload(id int64) {
	a.t.Helper()
	if err := a.dir.Reload(context.Background(), id); err != nil {
		a.t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestQuizInAClassCarriesItsRules(t *testing.T) {
	a := newClassQuizApp(t)
	ctx := context.Background()
	ada := a.signIn("ada", "ada@example.edu")
	bob := a.signIn("bob", "bob@example.edu")
	c := a.class("evening", ada, bob)
	due := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	if err := a.store.SetQuizSettings(ctx, store.QuizSettings{
		ClassID: c.ID, Quiz: "config", DueAt: &due, TimeLimit: ptr(10 * time.Minute), AttemptLimit: ptr(2),
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.store.SetAccommodation(ctx, store.Accommodation{ClassID: c.ID, UserID: ada.id, TimeFactor: 1.5}); err != nil {
		t.Fatal(err)
	}
	a.reload(c.ID)

	// Ada's token carries the class, the due date and 15 minutes; Bob's 10.
	_, raw := a.start(ada, "config")
	tok := a.token(raw)
	if tok.Class != c.ID || !tok.Due.Equal(due) || tok.Limit != 2 {
		t.Errorf("Ada's token: class %d due %v limit %d; want %d %v 2", tok.Class, tok.Due, tok.Limit, c.ID, due)
	}
	if got := tok.Deadline.Sub(tok.Started); got != 15*time.Minute {
		t.Errorf("Ada's time = %v, want 1.5 × 10 minutes", got)
	}
	if err := a.store.SetQuizSettings(ctx, store.QuizSettings{
		ClassID: c.ID, Quiz: "config", DueAt: &due, TimeLimit: ptr(10 * time.Minute), AttemptLimit: ptr(2), PassMark: ptr(0.55),
	}); err != nil {
		t.Fatal(err)
	}
	a.reload(c.ID)
	form, _ := a.start(ada, "config")
	body := a.get(&ada, form).Body.String()
	if !strings.Contains(body, "55%") {
		t.Error("the quiz page does not give the class's pass mark, 55%")
	}
	wantDue := "In Class evening: due " + classes.FormatIn(due, "Europe/Berlin") + "; accepted later, marked late."
	if !strings.Contains(body, wantDue) {
		t.Errorf("the quiz page does not say %q", wantDue)
	}
	_, rawBob := a.start(bob, "config")
	if got := a.token(rawBob).Deadline.Sub(a.token(rawBob).Started); got != 10*time.Minute {
		t.Errorf("Bob's time = %v, want 10 minutes (no accommodation)", got)
	}

	// Changing the accommodation mid-attempt changes nothing for this
	// attempt: starting again gives the same one, with its 15 minutes.
	if err := a.store.DeleteAccommodation(ctx, c.ID, ada.id, ""); err != nil {
		t.Fatal(err)
	}
	a.reload(c.ID)
	_, again := a.start(ada, "config")
	if a.token(again).AttemptID != tok.AttemptID || !a.token(again).Deadline.Equal(tok.Deadline) {
		t.Errorf("restart gave another attempt or deadline: %+v", a.token(again))
	}

	// The submit is stored in the class, numbered in it, on time.
	q, _ := courseQuizzes(t)["config"], 0
	w := a.post(&ada, "/lessons/config/quiz", rightAnswers(t, q, raw))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("submit = %d: %s", w.Code, w.Body)
	}
	if n := a.count(`SELECT count(*) FROM attempts WHERE user_id = $1 AND class_id = $2 AND attempt_no = 1 AND NOT late`, ada.id, c.ID); n != 1 {
		t.Errorf("class attempts stored = %d, want 1", n)
	}
	gs, err := a.store.ClassGradesOf(ctx, c.ID, ada.id)
	if err != nil || gs["config"].Grade != 1 {
		t.Errorf("class grade = %+v, %v; want 1", gs["config"], err)
	}
	if n := a.count(`SELECT count(*) FROM class_gradebook WHERE class_id = $1 AND user_id = $2 AND attempted = 1`, c.ID, ada.id); n != 1 {
		t.Errorf("class gradebook rows = %d, want 1", n)
	}
}

func TestQuizDatesRefuseWithAClearPage(t *testing.T) {
	a := newClassQuizApp(t)
	ctx := context.Background()
	ada := a.signIn("ada", "ada@example.edu")
	c := a.class("morning", ada)
	opens := time.Now().Add(24 * time.Hour)
	set := func(s store.QuizSettings) {
		t.Helper()
		s.ClassID, s.Quiz = c.ID, "logs"
		if err := a.store.SetQuizSettings(ctx, s); err != nil {
			t.Fatal(err)
		}
		a.reload(c.ID)
	}

	set(store.QuizSettings{OpensAt: &opens})
	w := a.get(&ada, "/lessons/logs/quiz")
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "not open yet") || !strings.Contains(w.Body.String(), "Europe/Berlin") {
		t.Errorf("before it opens: %d\n%s", w.Code, w.Body)
	}

	// A student mid-attempt when the due date passes, under "refuse":
	// what the token carries decides, and nothing is saved.
	due := time.Now().Add(time.Hour)
	set(store.QuizSettings{DueAt: &due, Late: quiz.LatePolicy{Mode: quiz.LateRefuse}})
	_, raw := a.start(ada, "logs")
	if tok := a.token(raw); !tok.Due.Equal(due.Truncate(time.Microsecond)) && !tok.Due.Equal(due) {
		t.Errorf("token due = %v, want %v", tok.Due, due)
	}
	past := time.Now().Add(-time.Hour)
	set(store.QuizSettings{DueAt: &past, Late: quiz.LatePolicy{Mode: quiz.LateRefuse}})
	q := courseQuizzes(t)["logs"]
	if w := a.post(&ada, "/lessons/logs/quiz", rightAnswers(t, q, raw)); w.Code != http.StatusSeeOther {
		t.Errorf("submit of an attempt started before the due date moved = %d, want it stored (the token holds)", w.Code)
	}
	// A new start after the (moved) due date is refused.
	if w := a.get(&ada, "/lessons/logs/quiz"); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "closed") {
		t.Errorf("start after due under refuse = %d\n%s", w.Code, w.Body)
	}
}

func TestLatePenaltyInAClass(t *testing.T) {
	a := newClassQuizApp(t)
	ctx := context.Background()
	ada := a.signIn("ada", "ada@example.edu")
	c := a.class("late", ada)
	// Due an hour and a half ago: 1 started day late, 20% off, floor 50%.
	due := time.Now().Add(-90 * time.Minute)
	if err := a.store.SetQuizSettings(ctx, store.QuizSettings{ClassID: c.ID, Quiz: "logs", DueAt: &due,
		Late: quiz.LatePolicy{Mode: quiz.LatePenalty, PerDay: 0.2, Floor: 0.5}}); err != nil {
		t.Fatal(err)
	}
	a.reload(c.ID)
	_, raw := a.start(ada, "logs")
	q := courseQuizzes(t)["logs"]
	if w := a.post(&ada, "/lessons/logs/quiz", rightAnswers(t, q, raw)); w.Code != http.StatusSeeOther {
		t.Fatalf("late submit = %d", w.Code)
	}
	if n := a.count(`SELECT count(*) FROM attempts WHERE user_id = $1 AND class_id = $2 AND late AND penalty = 0.2 AND score = max_score`, ada.id, c.ID); n != 1 {
		t.Errorf("late attempt with its raw score and a 0.2 penalty: %d rows", n)
	}
	gs, err := a.store.ClassGradesOf(ctx, c.ID, ada.id)
	if err != nil || gs["logs"].Grade < 0.799 || gs["logs"].Grade > 0.801 {
		t.Errorf("class grade = %+v, %v; want 0.8", gs["logs"], err)
	}
}

func TestStudentInTwoClassesChooses(t *testing.T) {
	a := newClassQuizApp(t)
	ada := a.signIn("ada", "ada@example.edu")
	eve := a.signIn("eve", "eve@example.edu")
	one := a.class("one", ada)
	two := a.class("two", ada)
	a.class("other", eve)

	w := a.get(&ada, "/lessons/logs/quiz")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "?class=one") || !strings.Contains(w.Body.String(), "?class=two") {
		t.Fatalf("chooser = %d\n%s", w.Code, w.Body)
	}
	if n := a.count(`SELECT count(*) FROM attempt_starts`); n != 0 {
		t.Errorf("the chooser recorded %d starts", n)
	}
	w = a.get(&ada, "/lessons/logs/quiz?class=two")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("start in class two = %d", w.Code)
	}
	if tok := a.token(strings.SplitN(w.Header().Get("Location"), "attempt=", 2)[1]); tok.Class != two.ID {
		t.Errorf("token class = %d, want %d (not %d)", tok.Class, two.ID, one.ID)
	}
	if w := a.get(&ada, "/lessons/logs/quiz?class=other"); w.Code != http.StatusNotFound {
		t.Errorf("start in a class one is not in = %d, want 404", w.Code)
	}
	// Eve, in one class, starts in it without choosing.
	_, raw := a.start(eve, "logs")
	if a.token(raw).Class == 0 {
		t.Error("Eve's attempt is not in her class")
	}
	// A student in no class keeps the open course.
	nel := a.signIn("nel", "nel@example.edu")
	_, raw = a.start(nel, "logs")
	if tok := a.token(raw); tok.Class != 0 || !tok.Due.IsZero() {
		t.Errorf("open-course token = %+v", tok)
	}
}

// A student of a class starting a quiz without limits: the class, its
// settings and the accommodation come from the directory, so the start
// sends no statement at all, as in the open course.
func TestClassStartSendsNoStatement(t *testing.T) {
	qa, counter, dir := countingApp(t, nil)
	a := &classQuizApp{quizApp: qa, dir: dir}
	ada := a.signIn("ada", "ada@example.edu")
	c := a.class("quiet", ada)
	due := time.Now().Add(24 * time.Hour)
	if err := a.store.SetQuizSettings(context.Background(), store.QuizSettings{ClassID: c.ID, Quiz: "config", DueAt: &due}); err != nil {
		t.Fatal(err)
	}
	if err := a.store.SetAccommodation(context.Background(), store.Accommodation{ClassID: c.ID, UserID: ada.id, DueAt: ptr(due.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	a.reload(c.ID)
	a.get(&ada, "/lessons/config") // the first signed-in request may look the user up

	before := counter.n.Load()
	form, raw := a.start(ada, "config")
	if w := a.get(&ada, form); w.Code != http.StatusOK {
		t.Fatalf("form = %d", w.Code)
	}
	if n := counter.n.Load() - before; n != 0 {
		t.Errorf("starting a quiz without limits in a class sent %d statements; want none", n)
	}
	if tok := a.token(raw); tok.Class != c.ID || !tok.Due.Equal(due.Add(time.Hour).Truncate(time.Microsecond)) && !tok.Due.Equal(due.Add(time.Hour)) {
		t.Errorf("token class %d due %v; want class %d and Ada's own due date", tok.Class, tok.Due, c.ID)
	}
}

func TestClassDatesLine(t *testing.T) {
	class := store.Class{Name: "Evening", TimeZone: "Europe/Berlin"}
	due := time.Date(2026, 12, 11, 16, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		tok  quiz.Token
		want string
	}{
		{quiz.Token{}, ""},
		{quiz.Token{Due: due, Late: quiz.LatePolicy{Mode: quiz.LatePenalty, PerDay: 0.1, Floor: 0.5}},
			"In Evening: due Fri 11 Dec 2026, 17:00 Europe/Berlin; 10% off per day late, down to 50%."},
		{quiz.Token{Due: due, Late: quiz.LatePolicy{Mode: quiz.LateRefuse}, Close: due.Add(24 * time.Hour)},
			"In Evening: due Fri 11 Dec 2026, 17:00 Europe/Berlin; not accepted after that; closes Sat 12 Dec 2026, 17:00 Europe/Berlin."},
		{quiz.Token{Close: due}, "In Evening: closes Fri 11 Dec 2026, 17:00 Europe/Berlin."},
	} {
		if got := classDatesLine(class, tc.tok); got != tc.want {
			t.Errorf("classDatesLine = %q, want %q", got, tc.want)
		}
	}
}
