package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

var bulkSeq int

// bulkGradebook makes bulk students from gradebook users: one attempt per
// graded quiz whose fraction is the grade, all in class (0: none). Names
// and emails are those seedGradebook would give; prefix keeps subjects
// apart between calls.
func bulkGradebook(prefix string, class int64, users []gbUser) []store.BulkStudent {
	var out []store.BulkStudent
	for i := range users {
		u := &users[i]
		u.email = fmt.Sprintf("%s%02d@example.edu", prefix, i)
		s := store.BulkStudent{Issuer: "demo:", Subject: fmt.Sprintf("%s-%02d", prefix, i), Email: u.email, Name: u.name,
			SignedUp: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Class: class}
		for _, slug := range slices.Sorted(maps.Keys(u.grades)) {
			bulkSeq++
			g := u.grades[slug]
			t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(bulkSeq) * time.Minute)
			s.Attempts = append(s.Attempts, store.NewAttempt{
				Attempt: store.Attempt{ID: fmt.Sprintf("00000000-0000-4000-b000-%012d", bulkSeq), Quiz: slug, Version: "v-" + slug,
					Seed: 1, StartedAt: t0, SubmittedAt: t0.Add(time.Minute), Score: g, MaxScore: 1},
				Responses: []store.Response{{Position: 0, Question: "q", Answer: []byte(`{"choices":["a"]}`), Score: g, MaxScore: 1}},
			})
		}
		out = append(out, s)
	}
	return out
}

// classFixture is a store with two classes, A and B, and students in each
// and in none; it returns A's and B's ids and their users (with ids).
func classFixture(t *testing.T) (st *store.Store, a, b int64, inA, inB []gbUser) {
	t.Helper()
	ctx := context.Background()
	st = store.New(storetest.NewPool(t))
	var versions []store.QuizVersion
	for _, slug := range []string{"codebase", "config", "logs"} {
		versions = append(versions, store.QuizVersion{Hash: "v-" + slug, Quiz: slug, Body: []byte(`{}`)})
	}
	if err := st.SaveQuizVersions(ctx, versions); err != nil {
		t.Fatal(err)
	}
	ids, err := st.BulkCreateClasses(ctx, []store.BulkClass{{Slug: "demo-001", Name: "A"}, {Slug: "demo-big", Name: "B"}})
	if err != nil {
		t.Fatal(err)
	}
	a, b = ids[0], ids[1]
	// Names tie case-insensitively and grades tie, as in the course's
	// pagination test.
	names := []string{"ada", "Ada", "bob", "cyd", "Bob", "dee", "eve", "ada", "fay", "gus", "hal", "ivy", "Eve", "jo", "kit", "lu", "max"}
	for i, n := range names {
		g := map[string]float64{}
		switch i % 4 {
		case 0:
			g["config"], g["codebase"] = 0.5, 1
		case 1:
			g["config"] = 1
		case 2:
			g["config"] = 0.5
		}
		inA = append(inA, gbUser{name: n, grades: g})
	}
	inB = []gbUser{{name: "ada", grades: map[string]float64{"config": 0.25, "logs": 1}}, {name: "zed"}}
	none := []gbUser{{name: "ada", grades: map[string]float64{"config": 0.9}}, {name: "nobody"}}
	students := append(append(bulkGradebook("a", a, inA), bulkGradebook("b", b, inB)...), bulkGradebook("n", 0, none)...)
	settings := map[string]quiz.Settings{"codebase": quiz.DefaultSettings(), "config": quiz.DefaultSettings(), "logs": quiz.DefaultSettings()}
	if err := st.BulkSaveAttempts(ctx, students, settings); err != nil {
		t.Fatal(err)
	}
	byEmail := map[string]int64{}
	for _, r := range dump(t, st, `SELECT email, id FROM users`) {
		byEmail[r[0].(string)] = r[1].(int64)
	}
	for _, us := range [][]gbUser{inA, inB} {
		for i := range us {
			us[i].id = byEmail[us[i].email]
		}
	}
	return st, a, b, inA, inB
}

func TestClassGradebookReadsOneClass(t *testing.T) {
	ctx := context.Background()
	st, a, b, inA, inB := classFixture(t)

	checkKeysetPagination(t, st, a, inA)
	checkKeysetPagination(t, st, b, inB)

	t.Run("filter within the class", func(t *testing.T) {
		counts := []struct {
			class  int64
			filter string
			upTo   int
			want   int
		}{
			{a, "", 0, len(inA)},
			{a, "ad", 0, 3},
			{a, "", 5, 5},
			{b, "ad", 0, 1},
			{b, "", 0, 2},
			{0, "ad", 0, 5}, // the course: three in A, one in B, one in none
			{a, "example.edu", 0, len(inA)},
			{a, "example.edu", 4, 4},
			{a, "zz", 0, 0},
		}
		// Both ways of counting a class's matches: few users match, or many.
		// Each way of filtering a class: a small class, few users matching,
		// many users matching.
		for _, few := range [][2]int{{2000, 5000}, {2, 5000}, {2, 2}} {
			defer store.SetClassFilter(few[0], few[1])()
			for _, sort := range []store.GradebookSort{{By: "name"}, {By: "total", Desc: true}} {
				page, err := st.Gradebook(ctx, store.GradebookQuery{Class: a, Sort: sort, Filter: "AD", Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				got := ids2(page.Rows)
				slices.Sort(got)
				if diff := cmp.Diff([]int64{inA[0].id, inA[1].id, inA[7].id}, got); diff != "" {
					t.Errorf("%v: class A by %s filtered by AD (-want +got):\n%s", few, sort.By, diff)
				}
			}
			page, n, err := st.GradebookAndCount(ctx, store.GradebookQuery{Class: a, Sort: store.GradebookSort{By: "name"}, Filter: "AD", Limit: 2}, 1001)
			if err != nil || len(page.Rows) != 2 || !page.HasNext || page.Rows[0].UserID != inA[0].id || n != 3 {
				t.Errorf("%v: a first page of 2 filtered by AD, and the count: %+v, %d, %v; want 2 rows of 3", few, page, n, err)
			}
			for _, c := range counts {
				if n, err := st.CountStudentsIn(ctx, c.class, c.filter, c.upTo); err != nil || n != c.want {
					t.Errorf("%v: CountStudentsIn(%d, %q, %d) = %d, %v; want %d", few, c.class, c.filter, c.upTo, n, err, c.want)
				}
			}
		}
	})

	t.Run("export streams the class's rows by name", func(t *testing.T) {
		var got []string
		err := st.EachGradebookRowIn(ctx, b, func(r store.GradebookRow) error { got = append(got, r.Name); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"ada", "zed"}, got); diff != "" {
			t.Errorf("class B export (-want +got):\n%s", diff)
		}
	})

	t.Run("one student's row, members only", func(t *testing.T) {
		row, err := st.GradebookRowIn(ctx, b, inB[0].id)
		if err != nil {
			t.Fatal(err)
		}
		if g := row.Grades[10]; g == nil || *g != 1 || *row.Grades[2] != 0.25 {
			t.Errorf("B's ada: grades %v", row.Grades)
		}
		if _, err := st.GradebookRowIn(ctx, b, inA[0].id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a student of A in B's gradebook: %v, want ErrNotFound", err)
		}
		if _, err := st.GradebookRowIn(ctx, 0, inA[0].id); err != nil {
			t.Errorf("the course gradebook has everyone: %v", err)
		}
	})

	t.Run("overview of a class", func(t *testing.T) {
		byQuiz, cohort, err := st.OverviewIn(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]store.LessonSummary{
			"config": {Quiz: "config", Students: 1, Attempts: 1, Passed: 0, Mean: 0.25},
			"logs":   {Quiz: "logs", Students: 1, Attempts: 1, Passed: 1, Mean: 1},
		}
		if diff := cmp.Diff(want, byQuiz); diff != "" {
			t.Errorf("B's lessons (-want +got):\n%s", diff)
		}
		wantCohort := store.Cohort{Students: 2, Active: 1, MeanTotal: 1.25 / 12, TotalBands: [10]int{0, 1}}
		if diff := cmp.Diff(wantCohort, cohort, cmpApprox()); diff != "" {
			t.Errorf("B's cohort (-want +got):\n%s", diff)
		}
		_, all, err := st.OverviewIn(ctx, 0)
		if err != nil || all.Students != len(inA)+len(inB)+2 {
			t.Errorf("course cohort: %d students (%v), want every one", all.Students, err)
		}
	})

	t.Run("item statistics of a class", func(t *testing.T) {
		for _, c := range []struct {
			class int64
			quiz  string
			want  int
		}{
			{a, "config", 13}, // i%4 != 3 of 17
			{a, "logs", 0},
			{b, "config", 1},
			{0, "config", 15}, // and one in none
		} {
			n := 0
			if err := st.EachScoredAttemptIn(ctx, c.class, c.quiz, false, func(quiz.ScoredAttempt) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			if n != c.want {
				t.Errorf("EachScoredAttemptIn(%d, %s) gave %d attempts, want %d", c.class, c.quiz, n, c.want)
			}
		}
	})
}

// TestBulkSaveAttemptsFillsClasses checks the class tables a bulk load
// fills against what the database's own definitions compute from them.
func TestBulkSaveAttemptsFillsClasses(t *testing.T) {
	ctx := context.Background()
	st, a, b, inA, inB := classFixture(t)

	if n := count(t, st, `SELECT count(*) FROM class_members WHERE role = 'student'`); n != len(inA)+len(inB) {
		t.Errorf("%d student members, want %d", n, len(inA)+len(inB))
	}
	if n := count(t, st, `SELECT count(*) FROM attempts a JOIN class_members m ON m.user_id = a.user_id WHERE a.class_id <> m.class_id`); n != 0 {
		t.Errorf("%d attempts in a class their student is not in", n)
	}
	if n := count(t, st, `SELECT count(*) FROM attempts WHERE class_id = 0`); n != 1 {
		t.Errorf("%d open-course attempts, want the one of the student in no class", n)
	}
	// Without settings of their own, a class grades as the course does.
	sameGrades := `
SELECT count(*) FROM grades g
FULL JOIN class_grades cg ON cg.user_id = g.user_id AND cg.quiz = g.quiz
WHERE g.user_id IN (SELECT user_id FROM class_members)
  AND (cg.grade IS DISTINCT FROM g.grade OR cg.passed IS DISTINCT FROM g.passed OR cg.attempts IS DISTINCT FROM g.attempts)`
	if n := count(t, st, sameGrades); n != 0 {
		t.Errorf("%d class grades differ from the course's", n)
	}

	gradebook := `SELECT class_id, user_id, grades, passed, total, attempted, passes FROM class_gradebook ORDER BY 1, 2`
	loaded := dump(t, st, gradebook)
	if len(loaded) != len(inA)+len(inB) {
		t.Fatalf("%d class gradebook rows, want one per student member", len(loaded))
	}
	for _, c := range []int64{a, b} {
		// Those with class grades: a joiner without any keeps the blank row
		// the member trigger gives them, as refresh would fill with NULLs.
		if _, err := st.Pool().Exec(ctx, `SELECT refresh_class_gradebook($1, ARRAY(SELECT DISTINCT user_id FROM class_grades WHERE class_id = $1))`, c); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(loaded, dump(t, st, gradebook)); diff != "" {
		t.Errorf("class gradebook as loaded vs refresh_class_gradebook (-loaded +refreshed):\n%s", diff)
	}
	// And the class's row says what the course's says (of students with an
	// attempt: a class row is filled when its student joins, the course's
	// at the first attempt).
	course := dump(t, st, `SELECT gb.user_id, gb.grades, gb.total FROM gradebook gb JOIN class_members m USING (user_id) WHERE gb.attempted > 0 ORDER BY 1`)
	class := dump(t, st, `SELECT user_id, grades, total FROM class_gradebook WHERE attempted > 0 ORDER BY 1`)
	if diff := cmp.Diff(course, class); diff != "" {
		t.Errorf("course vs class gradebook (-course +class):\n%s", diff)
	}
	if _, err := st.BulkCreateClasses(ctx, []store.BulkClass{{Slug: "demo-001", Name: "again"}}); !errors.Is(err, store.ErrSlugTaken) {
		t.Errorf("a taken slug: %v, want ErrSlugTaken", err)
	}
}

func TestDeleteUsersFromEmptiesClasses(t *testing.T) {
	ctx := context.Background()
	classTables := []string{"class_members", "class_grades", "class_gradebook"}
	t.Run("only demo users: class tables emptied, classes kept until deleted", func(t *testing.T) {
		st, _, _, _, _ := classFixture(t)
		if _, err := st.DeleteUsersFrom(ctx, "demo:"); err != nil {
			t.Fatal(err)
		}
		for _, table := range append(classTables, "users", "attempts") {
			if n := count(t, st, `SELECT count(*) FROM `+table); n != 0 {
				t.Errorf("%s keeps %d rows", table, n)
			}
		}
		if n, err := st.DeleteEmptyClasses(ctx, `^demo-([0-9]+|big)$`); err != nil || n != 2 {
			t.Errorf("DeleteEmptyClasses = %d, %v; want 2", n, err)
		}
	})
	t.Run("beside a real member: their class stays", func(t *testing.T) {
		st, a, _, _, _ := classFixture(t)
		real := newUser(t, st, "real")
		if _, err := st.Pool().Exec(ctx, `INSERT INTO class_members (class_id, user_id, role, via) VALUES ($1, $2, 'student', 'link')`, a, real); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteUsersFrom(ctx, "demo:"); err != nil {
			t.Fatal(err)
		}
		for _, table := range classTables {
			if n := count(t, st, `SELECT count(*) FROM `+table+` WHERE user_id <> $1`, real); n != 0 {
				t.Errorf("%s keeps %d rows of demo users", table, n)
			}
		}
		if n, err := st.DeleteEmptyClasses(ctx, `^demo-([0-9]+|big)$`); err != nil || n != 1 {
			t.Errorf("DeleteEmptyClasses = %d, %v; want 1 (the class with a real member stays)", n, err)
		}
		if n := count(t, st, `SELECT count(*) FROM classes WHERE id = $1`, a); n != 1 {
			t.Error("the class with a real member was deleted")
		}
	})
}

func TestClassRecordOfAStudent(t *testing.T) {
	ctx := context.Background()
	st, a, b, inA, _ := classFixture(t)
	ada := inA[0] // config 0.5, codebase 1
	as, err := st.ClassAttemptsOf(ctx, a, ada.id)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[0].Quiz != "codebase" || as[1].Quiz != "config" || as[0].Late || as[0].Penalty != 0 {
		t.Errorf("ada's attempts in A = %+v, want codebase then config, on time", as)
	}
	gs, err := st.ClassGradesOf(ctx, a, ada.id)
	if err != nil {
		t.Fatal(err)
	}
	if g := gs["config"]; g.Grade != 0.5 || g.Attempts != 1 || len(gs) != 2 {
		t.Errorf("ada's grades in A = %+v", gs)
	}
	if as, _ := st.ClassAttemptsOf(ctx, b, ada.id); len(as) != 0 {
		t.Errorf("ada has %d attempts in B, a class she is not in", len(as))
	}
	if gs, _ := st.ClassGradesOf(ctx, b, ada.id); len(gs) != 0 {
		t.Errorf("ada has grades in B: %v", gs)
	}
}
