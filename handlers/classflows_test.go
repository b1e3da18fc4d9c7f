package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/store"
)

func TestCreateClass(t *testing.T) {
	a := newClassPagesApp(t)
	ok := fields("name", "Fall <cohort>", "slug", "fall-26", "time_zone", "America/New_York", "starts_on", "2026-09-01", "ends_on", "2026-12-18")
	tests := []struct {
		name      string
		form      map[string]string
		wantField string // the id of the field the error names
		wantMsg   string
	}{
		{"no such time zone", map[string]string{"time_zone": "Europe/Atlantis"}, "create-time_zone", "is not a time zone"},
		{"the server's zone", map[string]string{"time_zone": "Local"}, "create-time_zone", "is not a time zone"},
		{"bad slug", map[string]string{"slug": "Fall 26"}, "create-slug", "lower-case letters"},
		{"slug taken", map[string]string{"slug": "cs101"}, "create-slug", "Another class has the address"},
		{"no name", map[string]string{"name": "  "}, "create-name", "Give the class a name"},
		{"end before start", map[string]string{"ends_on": "2026-08-01"}, "create-ends_on", "before the start date"},
		{"not a date", map[string]string{"starts_on": "soon"}, "create-starts_on", "not a date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := cloneValues(ok)
			for k, v := range tt.form {
				f.Set(k, v)
			}
			before := a.state()
			w := a.post(&a.ines, "/instructor/classes", f)
			wantStatus(t, w, http.StatusUnprocessableEntity)
			body := w.Body.String()
			if !strings.Contains(body, tt.wantMsg) || !strings.Contains(body, `href="#`+tt.wantField+`"`) {
				t.Errorf("the page does not link %q to #%s:\n%s", tt.wantMsg, tt.wantField, body)
			}
			if !strings.Contains(body, `id="`+tt.wantField+`"`) || !strings.Contains(body, `aria-invalid="true"`) {
				t.Errorf("field %s is not marked invalid", tt.wantField)
			}
			if a.state() != before {
				t.Error("a refused create changed the classes")
			}
		})
	}

	w := a.post(&a.ines, "/instructor/classes", ok)
	wantStatus(t, w, http.StatusSeeOther)
	if loc := w.Header().Get("Location"); loc != "/instructor/classes/fall-26?done=created" {
		t.Fatalf("Location %q", loc)
	}
	c := a.class("fall-26")
	if c.Name != "Fall <cohort>" || c.TimeZone != "America/New_York" || c.StartsOn.Format(time.DateOnly) != "2026-09-01" || c.EndsOn.Format(time.DateOnly) != "2026-12-18" {
		t.Errorf("stored %+v", c)
	}
	if len(c.JoinCode) < 22 {
		t.Errorf("join code %q: want at least 128 bits", c.JoinCode)
	}
	// This process sees it at once, without a reload by the test.
	w = a.get(&a.ines, "/instructor/classes/fall-26?done=created")
	wantStatus(t, w, http.StatusOK)
	if got := reportTexts(t, w.Body.String(), "join-url"); len(got) != 1 || got[0] != "http://course.example.test/join/"+c.JoinCode {
		t.Errorf("join link %q", got)
	}
	if !strings.Contains(w.Body.String(), "Fall &lt;cohort&gt;") || strings.Contains(w.Body.String(), "Fall <cohort>") {
		t.Error("the class's name is not escaped")
	}
	if got := reportTexts(t, w.Body.String(), "class-dates"); len(got) != 1 || got[0] != "Tue 1 Sep 2026 to Fri 18 Dec 2026" {
		t.Errorf("dates %q", got)
	}
	if len(reportNodes(t, w.Body.String(), "class-notice")) != 1 {
		t.Error("no notice after creating")
	}
}

func TestEditArchiveAndJoinLink(t *testing.T) {
	a := newClassPagesApp(t)
	ctx := context.Background()
	base := "/instructor/classes/cs101"

	t.Run("edit: bad zone changes nothing", func(t *testing.T) {
		before := a.state()
		w := a.post(&a.ivy, base, fields("name", "Renamed", "time_zone", "Mars/Olympus"))
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "“Mars/Olympus” is not a time zone") {
			t.Errorf("no message:\n%s", w.Body)
		}
		if a.state() != before {
			t.Error("changed")
		}
	})
	t.Run("edit", func(t *testing.T) {
		wantStatus(t, a.post(&a.ivy, base, fields("name", "CS 101 (spring)", "time_zone", "Asia/Tokyo", "ends_on", "2027-01-31")), http.StatusSeeOther)
		c := a.class("cs101")
		if c.Name != "CS 101 (spring)" || c.TimeZone != "Asia/Tokyo" || c.Slug != "cs101" || c.EndsOn.Format(time.DateOnly) != "2027-01-31" {
			t.Errorf("stored %+v", c)
		}
		if d, _ := a.dir.BySlug("cs101"); d.Name != "CS 101 (spring)" {
			t.Errorf("the directory still has %q", d.Name)
		}
	})
	t.Run("join link: rotate, off, on", func(t *testing.T) {
		old := a.class("cs101").JoinCode
		wantStatus(t, a.post(&a.ivy, base+"/join-link", fields("action", "rotate")), http.StatusSeeOther)
		rotated := a.class("cs101").JoinCode
		if rotated == "" || rotated == old {
			t.Fatalf("rotate: %q → %q", old, rotated)
		}
		if _, _, err := a.store.JoinClass(ctx, old, a.stu.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("joining by the old code: %v, want not found", err)
		}
		wantStatus(t, a.post(&a.ivy, base+"/join-link", fields("action", "off")), http.StatusSeeOther)
		if c := a.class("cs101"); c.JoinCode != "" {
			t.Errorf("off: code %q", c.JoinCode)
		}
		w := a.get(&a.ivy, base)
		if len(reportNodes(t, w.Body.String(), "join-off")) != 1 {
			t.Error("the page does not say the link is off")
		}
		wantStatus(t, a.post(&a.ivy, base+"/join-link", fields("action", "on")), http.StatusSeeOther)
		on := a.class("cs101").JoinCode
		if on == "" || on == rotated {
			t.Errorf("on: %q", on)
		}
		// On again keeps the link just shared.
		wantStatus(t, a.post(&a.ivy, base+"/join-link", fields("action", "on")), http.StatusSeeOther)
		if again := a.class("cs101").JoinCode; again != on {
			t.Errorf("a second on replaced the link: %q → %q", on, again)
		}
		before := a.state()
		wantStatus(t, a.post(&a.ivy, base+"/join-link", fields("action", "explode")), http.StatusBadRequest)
		if a.state() != before {
			t.Error("an unknown action changed something")
		}
	})
	t.Run("archive refuses joins; unarchive", func(t *testing.T) {
		wantStatus(t, a.post(&a.ivy, base+"/archive", fields("archived", "true")), http.StatusSeeOther)
		c := a.class("cs101")
		if !c.Archived() {
			t.Fatal("not archived")
		}
		if _, _, err := a.store.JoinClass(ctx, c.JoinCode, a.stu.id); !errors.Is(err, store.ErrArchived) {
			t.Errorf("join of an archived class: %v, want ErrArchived", err)
		}
		w := a.get(&a.ines, base)
		if len(reportNodes(t, w.Body.String(), "archived-badge")) != 1 {
			t.Error("no archived badge")
		}
		wantStatus(t, a.post(&a.ivy, base+"/archive", fields("archived", "false")), http.StatusSeeOther)
		if a.class("cs101").Archived() {
			t.Error("still archived")
		}
		if _, added, err := a.store.JoinClass(ctx, c.JoinCode, a.stu.id); err != nil || !added {
			t.Errorf("join after unarchive: %v, %v", added, err)
		}
	})
}

func TestClassOverviewRoster(t *testing.T) {
	a := newClassPagesApp(t)
	// sam passes one lesson in the class.
	if _, err := a.store.Pool().Exec(context.Background(), `
INSERT INTO class_grades (class_id, user_id, quiz, attempts, grade, passed) VALUES ($1, $2, 'codebase', 1, 1, true)`, a.cs101.ID, a.sam.id); err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.Pool().Exec(context.Background(), `SELECT refresh_class_gradebook($1, ARRAY[$2::bigint])`, a.cs101.ID, a.sam.id); err != nil {
		t.Fatal(err)
	}
	w := a.get(&a.ines, "/instructor/classes/cs101")
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	// Members by name: ivy, sam, tom; only students have progress.
	for _, c := range []struct{ id, want string }{
		{"member-attempted", "—,1 of 12,—"}, {"member-passed", "—,1 of 12,—"}, {"member-total", "—,8%,—"},
		{"member-email", "ivy@example.edu,sam@example.edu,tom@example.edu"},
	} {
		if got := strings.Join(reportTexts(t, body, c.id), ","); got != c.want {
			t.Errorf("%s: %q, want %q", c.id, got, c.want)
		}
	}
	if got := reportTexts(t, body, "member-role"); strings.Join(got, ",") != "instructor,student,teaching assistant" {
		t.Errorf("roles %q", got)
	}
	if len(reportNodes(t, body, "class-switcher")) != 1 {
		t.Error("course staff see no class switcher")
	}
	if len(reportNodes(t, body, "class-gradebook-link")) != 1 {
		t.Error("no link to the class's gradebook")
	}
	// The TA reads the page but gets no forms.
	w = a.get(&a.tom, "/instructor/classes/cs101")
	if body := w.Body.String(); len(reportNodes(t, body, "edit-class")) != 0 || len(reportNodes(t, body, "class-switcher")) != 0 || strings.Contains(body, "/join-link") {
		t.Error("a TA sees the instructors' forms or the switcher")
	}
	// The switcher goes to a class, or to all students.
	if w := a.get(&a.ines, "/instructor/classes?class=cs102"); w.Header().Get("Location") != "/instructor/classes/cs102" {
		t.Errorf("switch: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := a.get(&a.ines, "/instructor/classes?class="); w.Header().Get("Location") != "/instructor/gradebook" {
		t.Errorf("switch to all: %q", w.Header().Get("Location"))
	}
	wantStatus(t, a.get(&a.ines, "/instructor/classes?class=nope"), http.StatusNotFound)
	// The class list: all classes for staff, one's own for others.
	if got := reportTexts(t, a.get(&a.ines, "/instructor/classes").Body.String(), "class-row"); len(got) != 2 {
		t.Errorf("staff see %q", got)
	}
	w = a.get(&a.olga, "/instructor/classes")
	if got := reportTexts(t, w.Body.String(), "class-row"); len(got) != 1 || !strings.Contains(got[0], "CS 102") {
		t.Errorf("olga sees %q", got)
	}
	if len(reportNodes(t, w.Body.String(), "create-class")) != 0 {
		t.Error("a class instructor sees the create form")
	}
}

func TestStaffAndRemoval(t *testing.T) {
	a := newClassPagesApp(t)
	base := "/instructor/classes/cs101"
	ctx := context.Background()
	// An email no one has signed in with is invited.
	w := a.post(&a.ivy, base+"/staff", fields("email", "New.TA@Example.edu", "role", "ta"))
	wantStatus(t, w, http.StatusSeeOther)
	if loc := w.Header().Get("Location"); loc != base+"?added=0&invited=1" {
		t.Errorf("Location %q", loc)
	}
	invites, _ := a.store.ClassInvites(ctx, a.cs101.ID)
	if len(invites) != 1 || invites[0].Email != "new.ta@example.edu" || invites[0].Role != store.RoleTA {
		t.Errorf("invites %+v", invites)
	}
	// The invitation can be withdrawn; withdrawing it again is a 404.
	wantStatus(t, a.post(&a.ivy, base+"/invites/withdraw", fields("email", "new.ta@example.edu")), http.StatusSeeOther)
	if invites, _ := a.store.ClassInvites(ctx, a.cs101.ID); len(invites) != 0 {
		t.Errorf("invites after withdrawing: %+v", invites)
	}
	wantStatus(t, a.post(&a.ivy, base+"/invites/withdraw", fields("email", "new.ta@example.edu")), http.StatusNotFound)
	// Someone who has signed in joins at once; a student is promoted.
	wantStatus(t, a.post(&a.ivy, base+"/staff", fields("email", "stu@example.edu", "role", "instructor")), http.StatusSeeOther)
	wantStatus(t, a.post(&a.ivy, base+"/staff", fields("email", "sam@example.edu", "role", "ta")), http.StatusSeeOther)
	if r := a.dir.Role(a.cs101.ID, a.stu.id); r != store.RoleInstructor {
		t.Errorf("stu's role %q", r)
	}
	if r := a.dir.Role(a.cs101.ID, a.sam.id); r != store.RoleTA {
		t.Errorf("sam's role %q", r)
	}
	// A bad email is shown by its field; nothing changes.
	before := a.state()
	w = a.post(&a.ivy, base+"/staff", fields("email", "not an email", "role", "ta"))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Body.String(), `href="#staff-email"`) {
		t.Error("the error does not link to the email field")
	}
	wantStatus(t, a.post(&a.ivy, base+"/staff", fields("email", "x@example.edu", "role", "student")), http.StatusBadRequest)
	if a.state() != before {
		t.Error("refused staff additions changed the class")
	}
	// A class instructor cannot remove themselves; another can.
	me := fields("user", strconv.FormatInt(a.ivy.id, 10))
	wantStatus(t, a.post(&a.ivy, base+"/members/remove", me), http.StatusForbidden)
	if a.state() != before {
		t.Error("a refused self-removal changed the class")
	}
	wantStatus(t, a.post(&a.ivy, base+"/members/remove", fields("user", "999999")), http.StatusNotFound)
	wantStatus(t, a.post(&a.stu, base+"/members/remove", me), http.StatusSeeOther)
	if r := a.dir.Role(a.cs101.ID, a.ivy.id); r != "" {
		t.Errorf("ivy is still %q", r)
	}
	wantStatus(t, a.get(&a.ivy, base), http.StatusForbidden)
}
