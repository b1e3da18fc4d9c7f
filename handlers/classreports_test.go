package handlers

import (
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

// classReportsApp is two classes, sec-a and sec-b, with attempts in each
// and in the open course; course staff ines; tara a TA of sec-a, ivan an
// instructor of sec-b, sam a student of sec-a (all signed in).
type classReportsApp struct {
	*quizApp
	ines, tara, ivan, sam student
	// Bulk-loaded students by name: ada and bob in sec-a, cy in sec-b, dan
	// in no class.
	ids map[string]int64
}

func newClassReportsApp(t *testing.T) *classReportsApp {
	t.Helper()
	ctx := context.Background()
	var dir *classes.Directory
	a := &classReportsApp{quizApp: newQuizApp(t, "", nil, nil, func(d *Deps) {
		dir = classes.New(classes.FromStore(d.Store), slog.New(slog.DiscardHandler))
		d.Classes = dir
	})}
	st := a.store
	ids, err := st.BulkCreateClasses(ctx, []store.BulkClass{{Slug: "sec-a", Name: "Section A"}, {Slug: "sec-b", Name: "Section B"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveQuizVersions(ctx, []store.QuizVersion{{Hash: "v-config", Quiz: "config", Body: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	n := 0
	mk := func(score float64) store.NewAttempt {
		n++
		t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour)
		return store.NewAttempt{Attempt: store.Attempt{ID: fmt.Sprintf("00000000-0000-4000-c000-%012d", n), Quiz: "config", Version: "v-config",
			StartedAt: t0, SubmittedAt: t0.Add(7 * time.Minute), Score: score, MaxScore: 1},
			Responses: []store.Response{{Position: 0, Question: "q", Answer: []byte(`{"choices":["a"]}`), Score: score, MaxScore: 1}}}
	}
	bulk := []store.BulkStudent{
		{Name: "ada", Class: ids[0], Attempts: []store.NewAttempt{mk(1)}},
		{Name: "bob", Class: ids[0], Attempts: []store.NewAttempt{mk(0), mk(0.5)}},
		{Name: "cy", Class: ids[1], Attempts: []store.NewAttempt{mk(1)}},
		{Name: "dan", Attempts: []store.NewAttempt{mk(0.25)}},
	}
	for i := range bulk {
		bulk[i].Issuer, bulk[i].Subject, bulk[i].Email = "demo:", bulk[i].Name, bulk[i].Name+"@demo.example"
	}
	if err := st.BulkSaveAttempts(ctx, bulk, map[string]quiz.Settings{"config": quiz.DefaultSettings()}); err != nil {
		t.Fatal(err)
	}
	a.ids = map[string]int64{}
	for _, s := range bulk {
		u, err := st.UpsertUser(ctx, "demo:", s.Subject, s.Email, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		a.ids[s.Name] = u.ID
	}
	a.ines = a.signIn("ines", "ines@example.edu")
	a.tara = a.signIn("tara", "tara@example.edu")
	a.ivan = a.signIn("ivan", "ivan@example.edu")
	a.sam = a.signIn("sam", "sam@example.edu")
	for _, m := range []struct {
		class int64
		user  int64
		role  string
	}{{ids[0], a.tara.id, "ta"}, {ids[1], a.ivan.id, "instructor"}, {ids[0], a.sam.id, "student"}} {
		if _, err := st.Pool().Exec(ctx, `INSERT INTO class_members (class_id, user_id, role, via) VALUES ($1, $2, $3, 'admin')`, m.class, m.user, m.role); err != nil {
			t.Fatal(err)
		}
	}
	if err := dir.Load(ctx); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestClassReportsAccess(t *testing.T) {
	a := newClassReportsApp(t)
	for _, page := range []string{"gradebook", "gradebook.csv", "gradebook-canvas.csv", "gradebook-moodle.csv", "quizzes/config", "students/" + strconv.FormatInt(a.sam.id, 10)} {
		t.Run(page, func(t *testing.T) {
			for _, c := range []struct {
				who   string
				s     *student
				class string
				want  int
			}{
				{"course staff", &a.ines, "sec-a", http.StatusOK},
				{"course staff", &a.ines, "sec-b", http.StatusOK},
				{"TA of sec-a", &a.tara, "sec-a", http.StatusOK},
				{"TA of sec-a", &a.tara, "sec-b", http.StatusForbidden},
				{"instructor of sec-b", &a.ivan, "sec-a", http.StatusForbidden},
				{"instructor of sec-b", &a.ivan, "sec-b", http.StatusOK},
				{"student of sec-a", &a.sam, "sec-a", http.StatusForbidden},
				{"course staff", &a.ines, "no-such-class", http.StatusNotFound},
			} {
				path := "/instructor/classes/" + c.class + "/" + page
				if page == "students/"+strconv.FormatInt(a.sam.id, 10) && c.class == "sec-b" && c.want == http.StatusOK {
					c.want = http.StatusNotFound // sam is not a student of sec-b
				}
				if w := a.get(c.s, path); w.Code != c.want {
					t.Errorf("%s on %s: %d, want %d", c.who, path, w.Code, c.want)
				}
			}
			if w := a.get(nil, "/instructor/classes/sec-a/"+page); w.Code != http.StatusSeeOther {
				t.Errorf("signed out: %d, want a redirect to sign in", w.Code)
			}
		})
	}
}

func TestClassGradebookPage(t *testing.T) {
	a := newClassReportsApp(t)
	body := a.get(&a.tara, "/instructor/classes/sec-a/gradebook").Body.String()
	var names, links []string
	for _, n := range reportNodes(t, body, "student-link") {
		names = append(names, reportText(n))
		links = append(links, reportAttr(n, "href"))
	}
	if diff := cmp.Diff([]string{"ada", "bob", "sam"}, names); diff != "" {
		t.Errorf("sec-a's rows (-want +got):\n%s", diff)
	}
	if want := "/instructor/classes/sec-a/students/" + strconv.FormatInt(a.ids["ada"], 10); len(links) == 0 || links[0] != want {
		t.Errorf("first student link %q, want %q", links, want)
	}
	if got := reportTexts(t, body, "gradebook-count"); len(got) != 1 || got[0] != "3 students" {
		t.Errorf("count = %q, want 3 students", got)
	}
	if got := reportTexts(t, body, "report-class"); len(got) != 1 || got[0] != "Class: Section A" {
		t.Errorf("class line = %q", got)
	}
	for _, n := range reportNodes(t, body, "sort-config") {
		if href := reportAttr(n, "href"); href != "/instructor/classes/sec-a/gradebook?sort=config" {
			t.Errorf("sort link %q stays outside the class", href)
		}
	}
	if !strings.Contains(body, `action="/instructor/classes/sec-a/gradebook"`) || !strings.Contains(body, `href="/instructor/classes/sec-a/gradebook.csv"`) {
		t.Error("the filter form or the CSV link leaves the class")
	}

	sorted := a.get(&a.tara, "/instructor/classes/sec-a/gradebook?sort=config&dir=desc").Body.String()
	if got := reportTexts(t, sorted, "student-link"); !cmp.Equal(got, []string{"ada", "bob", "sam"}) {
		t.Errorf("by config, desc: %q, want ada (100%%), bob (50%%), sam (blank)", got)
	}
	filtered := a.get(&a.tara, "/instructor/classes/sec-a/gradebook?q=BO").Body.String()
	if got := reportTexts(t, filtered, "student-link"); !cmp.Equal(got, []string{"bob"}) {
		t.Errorf("filter BO: %q, want bob", got)
	}
	if got := reportTexts(t, filtered, "gradebook-count"); len(got) != 1 || got[0] != "1 student match “BO”" {
		t.Errorf("filtered count = %q", got)
	}
	b := a.get(&a.ines, "/instructor/classes/sec-b/gradebook").Body.String()
	if got := reportTexts(t, b, "student-link"); !cmp.Equal(got, []string{"cy"}) {
		t.Errorf("sec-b's rows: %q, want cy alone", got)
	}
	for path, want := range map[string]int{
		"/instructor/classes/sec-a/gradebook?sort=nope":               http.StatusBadRequest,
		"/instructor/classes/sec-a/gradebook?after=x":                 http.StatusBadRequest,
		"/instructor/classes/sec-a/gradebook?dir=sideways":            http.StatusBadRequest,
		"/instructor/classes/sec-a/gradebook?sort=config&after=0.5~1": http.StatusOK,
	} {
		if w := a.get(&a.tara, path); w.Code != want {
			t.Errorf("%s = %d, want %d", path, w.Code, want)
		}
	}
}

func TestClassGradebookCSV(t *testing.T) {
	a := newClassReportsApp(t)
	w := a.get(&a.tara, "/instructor/classes/sec-a/gradebook.csv")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV = %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.Contains(cd, `filename="twelve-sec-a-gradebook-`) {
		t.Errorf("Content-Disposition %q does not name the class", cd)
	}
	records, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := append(append([]string{"email", "name"}, content.Slugs()...), "total")
	if len(records) == 0 || !cmp.Equal(records[0], header) {
		t.Fatalf("header = %q, want %q", records[0], header)
	}
	var emails []string
	for _, r := range records[1:] {
		emails = append(emails, r[0])
	}
	if diff := cmp.Diff([]string{"ada@demo.example", "bob@demo.example", "sam@example.edu"}, emails); diff != "" {
		t.Errorf("sec-a's CSV rows (-want +got):\n%s", diff)
	}
	config := 2 + 2 // email, name, codebase, dependencies, config
	if got := records[2][config]; got != "50" {
		t.Errorf("bob's config grade = %q, want 50 (the highest of 0 and 50)", got)
	}
}

func TestClassQuizStatisticsPage(t *testing.T) {
	a := newClassReportsApp(t)
	for _, c := range []struct {
		path string
		want string
	}{
		{"/instructor/classes/sec-a/quizzes/config", "2"},              // ada's and bob's first attempts
		{"/instructor/classes/sec-a/quizzes/config?attempts=all", "3"}, // and bob's second
		{"/instructor/classes/sec-b/quizzes/config", "1"},
		{"/instructor/quizzes/config", "4"}, // the course: dan's too
	} {
		body := a.get(&a.ines, c.path).Body.String()
		if got := reportTexts(t, body, "stat-attempts"); len(got) != 1 || got[0] != c.want {
			t.Errorf("%s: attempts %q, want %s", c.path, got, c.want)
		}
	}
	body := a.get(&a.ines, "/instructor/classes/sec-a/quizzes/config").Body.String()
	if !strings.Contains(body, `href="/instructor/classes/sec-a/quizzes/config?attempts=all"`) {
		t.Error("the switch to all attempts leaves the class")
	}
	for path, want := range map[string]int{
		"/instructor/classes/sec-a/quizzes/no-such-quiz":      http.StatusNotFound,
		"/instructor/classes/sec-a/quizzes/config?attempts=x": http.StatusBadRequest,
	} {
		if w := a.get(&a.ines, path); w.Code != want {
			t.Errorf("%s = %d, want %d", path, w.Code, want)
		}
	}
}

func TestClassStudentPage(t *testing.T) {
	a := newClassReportsApp(t)
	bob := strconv.FormatInt(a.ids["bob"], 10)
	w := a.get(&a.tara, "/instructor/classes/sec-a/students/"+bob)
	if w.Code != http.StatusOK {
		t.Fatalf("bob in sec-a = %d", w.Code)
	}
	body := w.Body.String()
	if got := reportTexts(t, body, "attempt-score"); !cmp.Equal(got, []string{"0 / 1 (0%)", "0.5 / 1 (50%)"}) {
		t.Errorf("bob's attempts in sec-a: %q", got)
	}
	if got := reportTexts(t, body, "student-total"); len(got) != 1 || got[0] != percent(0.5/12) {
		t.Errorf("bob's class total = %q, want %s", got, percent(0.5/12))
	}
	for _, path := range []string{
		"/instructor/classes/sec-a/students/" + strconv.FormatInt(a.ids["cy"], 10),  // sec-b's
		"/instructor/classes/sec-a/students/" + strconv.FormatInt(a.ids["dan"], 10), // in no class
		"/instructor/classes/sec-a/students/" + strconv.FormatInt(a.tara.id, 10),    // staff, not a student
		"/instructor/classes/sec-a/students/abc",
		"/instructor/classes/sec-a/students/999999",
	} {
		if w := a.get(&a.ines, path); w.Code != http.StatusNotFound {
			t.Errorf("%s = %d, want 404", path, w.Code)
		}
	}
}

// The LMS imports hold the class's students only, in each LMS's columns,
// with grades as points out of 100.
func TestClassLMSExports(t *testing.T) {
	a := newClassReportsApp(t)
	for _, tc := range []struct {
		file     string
		lead     []string
		emailCol int
		dataFrom int // the first student row (Canvas has a Points Possible row)
		config   int // the config quiz's column
	}{
		{"gradebook-canvas.csv", []string{"Student", "ID", "SIS User ID", "SIS Login ID", "Section"}, 3, 2, 5 + 2},
		{"gradebook-moodle.csv", []string{"Email address", "Full name"}, 0, 1, 2 + 2},
	} {
		w := a.get(&a.tara, "/instructor/classes/sec-a/"+tc.file)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("%s = %d %q", tc.file, w.Code, w.Header().Get("Content-Type"))
		}
		records, err := csv.NewReader(w.Body).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if !cmp.Equal(records[0][:len(tc.lead)], tc.lead) || len(records[0]) != len(tc.lead)+12 {
			t.Errorf("%s header = %q", tc.file, records[0])
		}
		if !strings.Contains(records[0][tc.config], "Config") {
			t.Errorf("%s: column %d is %q, want the config quiz", tc.file, tc.config, records[0][tc.config])
		}
		var emails []string
		bob := ""
		for _, r := range records[tc.dataFrom:] {
			emails = append(emails, r[tc.emailCol])
			if r[tc.emailCol] == "bob@demo.example" {
				bob = r[tc.config]
			}
		}
		if diff := cmp.Diff([]string{"ada@demo.example", "bob@demo.example", "sam@example.edu"}, emails); diff != "" {
			t.Errorf("%s rows (-want +got):\n%s", tc.file, diff)
		}
		if bob != "50" && bob != "50.00" {
			t.Errorf("%s: bob's config grade = %q, want 50 points of 100", tc.file, bob)
		}
	}
}
