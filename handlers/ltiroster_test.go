package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/store"
)

// TestLTIRosterSync: an instructor launched from the LMS syncs the class
// roster from the LMS's memberships (served ten to a page, so read over
// several); members who never launched join and show in the class
// gradebook as not started; syncing again changes nothing.
func TestLTIRosterSync(t *testing.T) {
	s := newLinksSite(t, ltiplatform.Options{PageSize: 10}, true)
	added := s.lms.AddMembers(25)
	b := s.browser()
	class := s.launch(b, ltiplatform.LaunchOptions{User: "instructor"})
	wantPage(t, class, http.StatusOK)
	path := class.resp.Request.URL.Path
	if !strings.HasPrefix(path, "/instructor/classes/") {
		t.Fatalf("the instructor landed on %s, want the class page", path)
	}
	if got := nodeText(class.doc.one(t, "class-lms-synced")); got != "never" {
		t.Errorf("the class page says the roster was last synced %q, want never", got)
	}
	slug := strings.TrimPrefix(path, "/instructor/classes/")
	id := s.classID(slug)
	if n := s.members(id); n != 1 {
		t.Fatalf("%d members before the sync, want 1 (the instructor)", n)
	}

	synced := s.submit(b, s.form(class, "lms-roster-sync"), s.url)
	wantPage(t, synced, http.StatusOK)
	// Sam and Ria (students), Theo (TA) and the 25 members join.
	want := "28 people were added; 0 members' roles were updated"
	if got := nodeText(synced.doc.one(t, "class-notice")); !strings.Contains(got, want) {
		t.Errorf("the class page says %q, want %q", got, want)
	}
	if n := s.members(id); n != 29 {
		t.Errorf("%d members after the sync, want 29", n)
	}
	if got := nodeText(synced.doc.one(t, "class-lms-synced")); got == "never" {
		t.Error("the class page still says the roster was never synced")
	}

	// The last member, from the last page of the roster, never launched.
	last := added[len(added)-1]
	book := s.get(b, s.url+"/instructor/classes/"+slug+"/gradebook?"+url.Values{"q": {last.Name}}.Encode())
	wantPage(t, book, http.StatusOK)
	rows := book.doc.all("gradebook-row")
	if len(rows) != 1 {
		t.Fatalf("the gradebook has %d rows for %q, want 1", len(rows), last.Name)
	}
	if len(byTestID(rows[0], "not-started")) != 1 || !strings.Contains(nodeText(rows[0]), last.Name) {
		t.Errorf("the gradebook row %q does not show %s as not started", nodeText(rows[0]), last.Name)
	}

	// The LMS grades page offers the same sync.
	lms := s.get(b, s.url+"/instructor/classes/"+slug+"/lms")
	wantPage(t, lms, http.StatusOK)
	if f := s.form(lms, "lms-roster"); f.Action != s.url+"/instructor/classes/"+slug+"/lms/roster" {
		t.Errorf("the LMS page's roster form posts to %s", f.Action)
	}

	again := s.submit(b, s.form(synced, "lms-roster-sync"), s.url)
	wantPage(t, again, http.StatusOK)
	if got := nodeText(again.doc.one(t, "class-notice")); !strings.Contains(got, "0 people were added; 0 members' roles were updated") {
		t.Errorf("a second sync says %q, want nothing added or updated", got)
	}
	if n := s.members(id); n != 29 {
		t.Errorf("%d members after the second sync, want 29", n)
	}
}

// TestLTIRosterSyncFails: when the LMS fails (its token endpoint is
// down), the instructor gets a 502 page with the LMS's answer and nothing
// changes; a student of the class may not sync at all.
func TestLTIRosterSyncFails(t *testing.T) {
	s := newLinksSite(t, ltiplatform.Options{}, true)
	s.lms.AddMembers(3)
	b := s.browser()
	class := s.launch(b, ltiplatform.LaunchOptions{User: "instructor"})
	wantPage(t, class, http.StatusOK)
	slug := strings.TrimPrefix(class.resp.Request.URL.Path, "/instructor/classes/")
	id := s.classID(slug)
	sync := s.form(class, "lms-roster-sync")

	if err := s.lms.Misbehave(ltiplatform.Misbehaviour{Kind: ltiplatform.TokenDown}); err != nil {
		t.Fatal(err)
	}
	failed := s.submit(b, sync, s.url)
	wantPage(t, failed, http.StatusBadGateway)
	if msg := errorMessage(t, failed); !strings.Contains(msg, "Service Unavailable") || !strings.Contains(msg, "Nothing was stored") {
		t.Errorf("the page says %q, want the LMS's answer and that nothing changed", msg)
	}
	if n := s.members(id); n != 1 {
		t.Errorf("%d members after a failed sync, want 1", n)
	}
	s.lms.Clear(ltiplatform.TokenDown)

	student := s.browser()
	wantPage(t, s.launch(student, ltiplatform.LaunchOptions{User: "student", Lesson: "codebase"}), http.StatusOK)
	refused := s.submit(student, sync, s.url)
	wantPage(t, refused, http.StatusForbidden)
	if n := s.members(id); n != 2 {
		t.Errorf("%d members after the student's refused sync, want 2 (instructor and student)", n)
	}
}

func (s *linksSite) classID(slug string) int64 {
	s.t.Helper()
	var id int64
	if err := s.app.pool.QueryRow(context.Background(), "SELECT id FROM classes WHERE slug = $1", slug).Scan(&id); err != nil {
		s.t.Fatal(err)
	}
	return id
}

func (s *linksSite) members(classID int64) int {
	s.t.Helper()
	var n int
	if err := s.app.pool.QueryRow(context.Background(), "SELECT count(*) FROM class_members WHERE class_id = $1", classID).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// TestRosterMembers: only active members with a class role are synced,
// named by their name or else their given and family names.
func TestRosterMembers(t *testing.T) {
	learner := []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"}
	got := rosterMembers([]lti.Member{
		{UserID: "a", Name: "Ann Active", Email: "ann@example.edu", Roles: learner},
		{UserID: "b", GivenName: "Ben", FamilyName: "Given", Status: "Active", Roles: []string{"Instructor"}},
		{UserID: "c", Name: "Cy Gone", Status: "Inactive", Roles: learner},
		{UserID: "d", Name: "Di Deleted", Status: "Deleted", Roles: learner},
		{UserID: "e", FamilyName: "Only", Roles: []string{"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant", "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"}},
		{UserID: "f", Name: "No Role", Roles: []string{"http://purl.imsglobal.org/vocab/lis/v2/institution/person#Staff"}},
	})
	want := []store.LTIMember{
		{UserID: "a", Name: "Ann Active", Email: "ann@example.edu", Role: store.RoleStudent},
		{UserID: "b", Name: "Ben Given", Role: store.RoleInstructor},
		{UserID: "e", Name: "Only", Role: store.RoleTA},
		{UserID: "f", Name: "No Role", Role: ""}, // the store leaves members without a role out
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rosterMembers (-want +got):\n%s", diff)
	}
}
