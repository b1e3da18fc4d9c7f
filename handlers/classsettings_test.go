package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/quiz"
)

func TestQuizSettingsTable(t *testing.T) {
	a := newClassPagesApp(t) // cs101 is in Europe/Berlin
	path := "/instructor/classes/cs101/quizzes"
	good := fields(
		"config.opens_at", "2026-12-01T09:00", "config.due_at", "2026-12-11T17:00", "config.closes_at", "2026-12-12T17:00",
		"config.attempt_limit", "3", "config.time_limit", "30", "config.pass_mark", "80", "config.grading", "latest",
		"config.late", "penalty", "config.penalty_per_day", "10", "config.penalty_floor", "50",
		"config.right_answers", "never",
		"logs.attempt_limit", "0",
	)
	utc := func(s string) time.Time {
		v, _ := time.Parse(time.RFC3339, s)
		return v
	}

	w := a.get(&a.ivy, path)
	wantStatus(t, w, http.StatusOK)
	if rows := reportNodes(t, w.Body.String(), "quiz-settings-row"); len(rows) != 12 {
		t.Errorf("%d rows, want one per lesson", len(rows))
	}
	if !strings.Contains(w.Body.String(), "Opens at (Europe/Berlin)") {
		t.Error("the table does not name the class's zone")
	}

	bad := []struct {
		name, field, value, wantID, wantMsg string
	}{
		{"close before due", "config.closes_at", "2026-12-10T17:00", "q-config-closes_at", "the closing date must not be before the due date"},
		{"due before opens", "config.opens_at", "2026-12-20T09:00", "q-config-due_at", "the due date must be after the opening date"},
		{"a time the clocks skip", "config.opens_at", "2026-03-29T02:30", "q-config-opens_at", "does not exist in Europe/Berlin"},
		{"not a time", "config.due_at", "Friday", "q-config-due_at", "is not a date and time"},
		{"attempts out of range", "config.attempt_limit", "-1", "q-config-attempt_limit", "from 0 to 1000"},
		{"attempts not a number", "logs.attempt_limit", "three", "q-logs-attempt_limit", "from 0 to 1000"},
		{"pass mark over 100", "config.pass_mark", "101", "q-config-pass_mark", "from 0 to 100"},
		{"unknown grading", "config.grading", "best", "q-config-grading", "choose a grading method"},
		{"unknown late policy", "config.late", "sometimes", "q-config-late", "choose what happens to late submissions"},
		{"unknown right answers", "config.right_answers", "sometimes", "q-config-right_answers", "choose when right answers show"},
		{"penalty without a rate", "config.penalty_per_day", "", "q-config-penalty_per_day", "needs a penalty per day"},
		{"refuse without a due date", "codebase.late", "refuse", "q-codebase-due_at", "needs a due date"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			f := cloneValues(good)
			f.Set(b.field, b.value)
			before := a.state()
			w := a.post(&a.ivy, path, f)
			wantStatus(t, w, http.StatusUnprocessableEntity)
			body := w.Body.String()
			if !strings.Contains(body, b.wantMsg) || !strings.Contains(body, `href="#`+b.wantID+`"`) {
				t.Errorf("want %q linked to #%s:\n%.4000s", b.wantMsg, b.wantID, body)
			}
			if !strings.Contains(body, `value="`+b.value+`"`) && b.value != "" && !strings.Contains(b.field, "grading") && !strings.Contains(b.field, "late") && !strings.Contains(b.field, "right_answers") {
				t.Errorf("the table does not keep what was typed (%q)", b.value)
			}
			if a.state() != before {
				t.Error("a table with a problem saved something")
			}
		})
	}

	w = a.post(&a.ivy, path, good)
	wantStatus(t, w, http.StatusSeeOther)
	s, ok := a.dir.Setting(a.cs101.ID, "config")
	if !ok {
		t.Fatal("no setting for config")
	}
	if !s.OpensAt.Equal(utc("2026-12-01T08:00:00Z")) || !s.DueAt.Equal(utc("2026-12-11T16:00:00Z")) || !s.ClosesAt.Equal(utc("2026-12-12T16:00:00Z")) {
		t.Errorf("dates %v %v %v, want them read in Europe/Berlin", s.OpensAt, s.DueAt, s.ClosesAt)
	}
	if *s.AttemptLimit != 3 || *s.TimeLimit != 30*time.Minute || *s.PassMark != 0.8 || *s.Grading != quiz.Latest {
		t.Errorf("setting %+v", s)
	}
	if s.Late != (quiz.LatePolicy{Mode: quiz.LatePenalty, PerDay: 0.1, Floor: 0.5}) {
		t.Errorf("late %+v", s.Late)
	}
	// Right answers never show; the other review options stay the quiz's.
	def := courseQuizzes(t)["config"].Settings.Review
	def.RightAnswers = quiz.ShowNever
	if s.Review == nil || *s.Review != def {
		t.Errorf("review %+v, want the quiz's own with right answers never", s.Review)
	}
	if l, ok := a.dir.Setting(a.cs101.ID, "logs"); !ok || *l.AttemptLimit != 0 || l.DueAt != nil {
		t.Errorf("logs: %+v %v", l, ok)
	}
	if _, ok := a.dir.Setting(a.cs101.ID, "codebase"); ok {
		t.Error("a blank row was stored")
	}
	// The table shows what was saved, in the class's zone.
	body := a.get(&a.ivy, path+"?done=saved").Body.String()
	for _, want := range []string{`value="2026-12-11T17:00"`, `value="80"`, `<option value="latest" selected>`, `<option value="never" selected>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the saved table lacks %s", want)
		}
	}
	// A blank row clears the class's setting; other rows keep theirs.
	f := cloneValues(good)
	for k := range f {
		if strings.HasPrefix(k, "config.") {
			f.Del(k)
		}
	}
	wantStatus(t, a.post(&a.ivy, path, f), http.StatusSeeOther)
	if _, ok := a.dir.Setting(a.cs101.ID, "config"); ok {
		t.Error("a cleared row is still set")
	}
	if _, ok := a.dir.Setting(a.cs101.ID, "logs"); !ok {
		t.Error("clearing one row cleared another")
	}
}

func TestAccommodations(t *testing.T) {
	a := newClassPagesApp(t) // cs101 is in Europe/Berlin
	ctx := context.Background()
	path := "/instructor/classes/cs101/accommodations"
	sam := strconv.FormatInt(a.sam.id, 10)

	w := a.get(&a.tom, path)
	wantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), `<option value="`+sam+`"`) || strings.Contains(w.Body.String(), `<option value="`+strconv.FormatInt(a.tom.id, 10)+`"`) {
		t.Error("the student list should hold sam and no staff")
	}

	for _, c := range []struct {
		name string
		who  student
	}{{"someone in no class", a.stu}, {"a student of another class", a.olga}, {"a TA of the class", a.tom}} {
		t.Run(c.name, func(t *testing.T) {
			before := a.state()
			w := a.post(&a.tom, path, fields("user", strconv.FormatInt(c.who.id, 10), "extra_minutes", "30"))
			wantStatus(t, w, http.StatusUnprocessableEntity)
			if !strings.Contains(w.Body.String(), "Not a student of this class") {
				t.Errorf("body:\n%s", w.Body)
			}
			if a.state() != before {
				t.Error("saved")
			}
		})
	}
	for _, c := range []struct{ name, field, value, want string }{
		{"factor past 10", "time_factor", "11", "from 1 to 10"},
		{"close before due", "closes_at", "2026-12-01T09:00", "must not be before the due date"},
		{"unknown quiz", "quiz", "nope", "Choose a quiz from the list"},
		{"changes nothing", "extra_minutes", "0", "changes nothing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := fields("user", sam, "quiz", "logs", "extra_minutes", "15", "due_at", "2026-12-11T17:00")
			f.Set(c.field, c.value)
			if c.name == "changes nothing" {
				f.Del("due_at")
			}
			before := a.state()
			w := a.post(&a.tom, path, f)
			wantStatus(t, w, http.StatusUnprocessableEntity)
			if !strings.Contains(w.Body.String(), c.want) {
				t.Errorf("body lacks %q:\n%s", c.want, w.Body)
			}
			if a.state() != before {
				t.Error("saved")
			}
		})
	}

	wantStatus(t, a.post(&a.tom, path, fields("user", sam, "quiz", "", "time_factor", "1.5", "extra_attempts", "2", "note", "letter on file")), http.StatusSeeOther)
	wantStatus(t, a.post(&a.ivy, path, fields("user", sam, "quiz", "logs", "extra_minutes", "15", "due_at", "2026-12-11T17:00", "closes_at", "2026-12-13T17:00")), http.StatusSeeOther)
	accs := a.dir.Accommodations(a.cs101.ID, a.sam.id)
	if all := accs[""]; all.TimeFactor != 1.5 || all.ExtraAttempts != 2 || all.Note != "letter on file" {
		t.Errorf("all quizzes: %+v", all)
	}
	if l := accs["logs"]; l.ExtraMinutes != 15 || l.DueAt == nil || !l.DueAt.Equal(time.Date(2026, 12, 11, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("logs: %+v", l)
	}
	body := a.get(&a.tom, path).Body.String()
	rows := reportTexts(t, body, "accommodation-row")
	if len(rows) != 2 || !strings.Contains(rows[0], "All quizzes× 1.5") || !strings.Contains(rows[1], "Fri 11 Dec 2026, 17:00 Europe/Berlin") {
		t.Errorf("rows %q", rows)
	}
	// Replacing keeps one per quiz.
	wantStatus(t, a.post(&a.tom, path, fields("user", sam, "quiz", "logs", "extra_minutes", "20")), http.StatusSeeOther)
	if l := a.dir.Accommodations(a.cs101.ID, a.sam.id)["logs"]; l.ExtraMinutes != 20 || l.DueAt != nil {
		t.Errorf("replaced: %+v", l)
	}
	// Delete, and delete again (gone: 404, nothing changes).
	del := fields("user", sam, "quiz", "logs")
	wantStatus(t, a.post(&a.tom, path+"/delete", del), http.StatusSeeOther)
	if _, ok := a.dir.Accommodations(a.cs101.ID, a.sam.id)["logs"]; ok {
		t.Error("not deleted")
	}
	wantStatus(t, a.post(&a.tom, path+"/delete", del), http.StatusNotFound)
	// Removing the student removes their accommodations.
	if err := a.store.RemoveMember(ctx, a.cs101.ID, a.sam.id); err != nil {
		t.Fatal(err)
	}
	a.reload(a.cs101.ID)
	if got := a.dir.Accommodations(a.cs101.ID, a.sam.id); len(got) != 0 {
		t.Errorf("a removed student keeps %v", got)
	}
}
