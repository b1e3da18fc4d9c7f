package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/store"
)

// TestClassRoutesAccess checks every instructor class route for every
// kind of person: signed out, a student of the class, its TA, an
// instructor of another class, its instructor and course staff. A refused
// write changes nothing.
func TestClassRoutesAccess(t *testing.T) {
	a := newClassPagesApp(t)
	const out = 0 // who[out] is signed out
	who := []*student{nil, &a.sam, &a.tom, &a.olga, &a.ivy, &a.ines}
	names := []string{"signed out", "student", "TA", "other class's instructor", "instructor", "course staff"}
	// extra is a member removed by an allowed removal; a new one each time.
	extraN := 0
	newExtra := func() url.Values {
		extraN++
		s := a.signIn("extra"+strconv.Itoa(extraN), "extra"+strconv.Itoa(extraN)+"@example.edu")
		a.addMember(a.cs101, s, store.RoleStudent)
		return fields("user", strconv.FormatInt(s.id, 10))
	}
	base := "/instructor/classes/cs101"
	type route struct {
		method, path string
		form         func() url.Values
		want         [6]int // by person, after signed out
	}
	read := [6]int{http.StatusSeeOther, 403, 200, 403, 200, 200}
	manageGet := [6]int{http.StatusSeeOther, 403, 403, 403, 200, 200}
	manage := [6]int{401, 403, 403, 403, 303, 303}
	routes := []route{
		{"GET", "/instructor/classes", nil, [6]int{303, 403, 200, 200, 200, 200}},
		{"POST", "/instructor/classes", func() url.Values {
			extraN++
			return fields("name", "New", "slug", "new-"+strconv.Itoa(extraN), "time_zone", "UTC")
		}, [6]int{401, 403, 403, 403, 403, 303}},
		{"GET", base, nil, read},
		{"POST", base, func() url.Values { return fields("name", "CS 101", "time_zone", "Europe/Berlin") }, manage},
		{"POST", base + "/archive", func() url.Values { return fields("archived", "false") }, manage},
		{"POST", base + "/join-link", func() url.Values { return fields("action", "on") }, manage},
		{"POST", base + "/staff", func() url.Values { return fields("email", "newta@example.edu", "role", "ta") }, manage},
		{"POST", base + "/members/remove", newExtra, manage},
		{"POST", base + "/invites/withdraw", func() url.Values {
			extraN++
			email := "invited" + strconv.Itoa(extraN) + "@example.edu"
			if _, _, err := a.store.AddRoster(context.Background(), a.cs101.ID, []store.Invite{{Email: email, Role: store.RoleStudent}}); err != nil {
				t.Fatal(err)
			}
			a.reload(a.cs101.ID)
			return fields("email", email)
		}, manage},
		{"GET", base + "/roster", nil, manageGet},
		{"POST", base + "/roster", func() url.Values { return fields("action", "confirm", "csv", "email\nnew@example.edu\n") }, manage},
		// cs101 is an LMS course (makeLMSCourse) whose launches offered no
		// roster service: those who may sync are told so.
		{"POST", base + "/lms/roster", func() url.Values { return url.Values{} }, [6]int{401, 403, 403, 403, 400, 400}},
		// cs102 is no LMS course: its instructor (olga) and staff get 404.
		{"POST", "/instructor/classes/cs102/lms/roster", func() url.Values { return url.Values{} }, [6]int{401, 403, 403, 404, 403, 404}},
		{"GET", base + "/quizzes", nil, manageGet},
		{"POST", base + "/quizzes", func() url.Values { return fields("config.attempt_limit", "3") }, manage},
		{"GET", base + "/accommodations", nil, read},
		{"POST", base + "/accommodations", func() url.Values {
			return fields("user", strconv.FormatInt(a.sam.id, 10), "extra_minutes", "15")
		}, [6]int{401, 403, 303, 403, 303, 303}},
		{"POST", base + "/accommodations/delete", func() url.Values {
			ctx := context.Background()
			if err := a.store.SetAccommodation(ctx, store.Accommodation{ClassID: a.cs101.ID, UserID: a.sam.id, Quiz: "logs", ExtraAttempts: 1}); err != nil {
				t.Fatal(err)
			}
			a.reload(a.cs101.ID)
			return fields("user", strconv.FormatInt(a.sam.id, 10), "quiz", "logs")
		}, [6]int{401, 403, 303, 403, 303, 303}},
		{"GET", base + "/lms", nil, read},
		{"POST", base + "/lms/retry", nil, manage},
	}
	makeLMSCourse(t, a.store, a.cs101.ID)
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			for i, s := range who {
				var w *httptest.ResponseRecorder
				var body url.Values
				if r.form != nil {
					body = r.form()
				}
				before := a.state()
				if r.method == "GET" {
					w = a.get(s, r.path)
				} else {
					w = a.post(s, r.path, body)
				}
				if w.Code != r.want[i] {
					t.Errorf("%s: status %d, want %d; body:\n%.1500s", names[i], w.Code, r.want[i], w.Body)
				}
				switch {
				case i == out && r.method == "GET":
					if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "/login?next=") {
						t.Errorf("signed out: Location %q, want sign-in", loc)
					}
				case r.method == "POST" && w.Code >= 400:
					if after := a.state(); after != before {
						t.Errorf("%s: a refused %s changed the classes:\nbefore %s\nafter  %s", names[i], r.path, before, after)
					}
				}
			}
		})
	}
}
