package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/store"
)

func TestRosterUpload(t *testing.T) {
	a := newClassPagesApp(t)
	ctx := context.Background()
	path := "/instructor/classes/cs101/roster"
	roster := "\ufeffEmail,Name,Role,Student number\r\n" +
		"stu@example.edu,Stu Dent,,17\r\n" +
		"new@example.edu,New <b>Person</b>,student,18\r\n" +
		"not-an-email,Bad,,19\r\n" +
		"\r\n" +
		"NEW@example.edu,Twice,,20\r\n" +
		"ta@example.edu,Tess,TA,21\r\n" +
		"prof@example.edu,,professor,22\r\n"

	t.Run("preview changes nothing and reports every row", func(t *testing.T) {
		before := a.state()
		w := a.post(&a.ivy, path, fields("action", "preview", "csv", roster))
		wantStatus(t, w, http.StatusOK)
		body := w.Body.String()
		status := reportTexts(t, body, "roster-status")
		want := []string{
			"OK: will be added",
			"OK: will be added",
			"Error: “not-an-email” is not an email address",
			"Error: the same email as line 3",
			"OK: will be added",
			"Error: unknown role “professor”: use student, ta or instructor",
		}
		if strings.Join(status, "|") != strings.Join(want, "|") {
			t.Errorf("statuses:\n%q\nwant\n%q", status, want)
		}
		if strings.Contains(body, "<b>Person</b>") {
			t.Error("a roster's name reached the page unescaped")
		}
		if got := reportTexts(t, body, "roster-summary"); len(got) != 1 || !strings.HasPrefix(got[0], "3 rows are ready to add; 3 rows have a problem") {
			t.Errorf("summary %q", got)
		}
		if len(reportNodes(t, body, "roster-confirm")) != 1 {
			t.Error("no confirm form")
		}
		if a.state() != before {
			t.Error("a preview changed the class")
		}
	})
	t.Run("confirm adds only the good rows", func(t *testing.T) {
		w := a.post(&a.ivy, path, fields("action", "confirm", "csv", roster))
		wantStatus(t, w, http.StatusSeeOther)
		if loc := w.Header().Get("Location"); loc != "/instructor/classes/cs101?added=1&invited=2" {
			t.Errorf("Location %q", loc)
		}
		if r := a.dir.Role(a.cs101.ID, a.stu.id); r != store.RoleStudent {
			t.Errorf("stu's role %q, want student", r)
		}
		invites, err := a.store.ClassInvites(ctx, a.cs101.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, i := range invites {
			got = append(got, i.Email+" "+i.Role+" "+i.Name)
		}
		if want := "new@example.edu student New <b>Person</b>|ta@example.edu ta Tess"; strings.Join(got, "|") != want {
			t.Errorf("invites %q, want %q", got, want)
		}
		w = a.get(&a.ivy, "/instructor/classes/cs101?added=1&invited=2")
		if got := reportTexts(t, w.Body.String(), "class-notice"); len(got) != 1 || got[0] != "1 person was added to the class; 2 people were invited and will join at their first sign-in." {
			t.Errorf("notice %q", got)
		}
		w = a.get(&a.ivy, "/instructor/classes/cs101?added=<script>")
		if strings.Contains(w.Body.String(), "<script>") {
			t.Error("the notice reflects its query")
		}
	})
	t.Run("a file upload, with only bad rows, adds nothing", func(t *testing.T) {
		before := a.state()
		w := a.postMultipart(&a.ivy, path, map[string]string{"action": "confirm"}, "file", "roster.csv", "email\nnope\nalso nope@\n")
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "No row of this roster can be added") {
			t.Errorf("body:\n%s", w.Body)
		}
		if a.state() != before {
			t.Error("a roster of bad rows changed the class")
		}
	})
	t.Run("a file upload previews and confirms", func(t *testing.T) {
		file := "EMAIL\nfile1@example.edu\nfile2@example.edu\n"
		w := a.postMultipart(&a.ivy, path, map[string]string{"action": "preview"}, "file", "roster.csv", file)
		wantStatus(t, w, http.StatusOK)
		if got := reportTexts(t, w.Body.String(), "roster-email"); strings.Join(got, ",") != "file1@example.edu,file2@example.edu" {
			t.Errorf("preview of the file: %q", got)
		}
		// The confirm form carries the text back.
		w = a.postMultipart(&a.ivy, path, map[string]string{"action": "confirm", "csv": file}, "", "", "")
		wantStatus(t, w, http.StatusSeeOther)
		invites, _ := a.store.ClassInvites(ctx, a.cs101.ID)
		if len(invites) != 4 {
			t.Errorf("%d invites, want 4", len(invites))
		}
	})
	for _, c := range []struct{ name, csv, want string }{
		{"no email column", "name\nAda\n", "no email column"},
		{"empty", "", "no rows"},
		{"broken quotes", "email\n\"a@example.edu\n", "not valid CSV"},
		{"binary", "email\n\x00\x01", "not text"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := a.state()
			w := a.postMultipart(&a.ivy, path, map[string]string{"action": "confirm"}, "file", "r.csv", c.csv)
			if c.csv == "" {
				w = a.post(&a.ivy, path, fields("action", "confirm", "csv", ""))
			}
			wantStatus(t, w, http.StatusUnprocessableEntity)
			if !strings.Contains(w.Body.String(), c.want) {
				t.Errorf("body does not say %q:\n%s", c.want, w.Body)
			}
			if a.state() != before {
				t.Error("changed")
			}
		})
	}
}
