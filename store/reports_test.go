package store_test

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// The gradebook's columns come from the lessons table; the views number
// lessons by content's course order. They must agree.
func TestLessonsTableFollowsCourseOrder(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	rows, err := st.Pool().Query(context.Background(), `SELECT slug FROM lessons ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(content.Slugs(), got); diff != "" {
		t.Errorf("lessons table (-content.Slugs +table):\n%s", diff)
	}
}

func TestSaveAttemptKeepsReportSummariesCurrent(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	ada := newUser(t, st, "ada")
	quiet := newUser(t, st, "quiet") // signed in, never attempted

	row, err := st.GradebookRowOf(ctx, quiet)
	if err != nil {
		t.Fatalf("a user with no attempt has no gradebook row: %v", err)
	}
	if len(row.Grades) != 0 || row.Total != 0 {
		t.Errorf("fresh gradebook row = %+v, want blank grades and total 0", row)
	}

	s := quiz.DefaultSettings()
	s.Grading = quiz.Latest
	first := attempt(ada, 1) // config: q1 right, q2 wrong: 1 of 2
	if _, _, err := st.SaveAttempt(ctx, first, s); err != nil {
		t.Fatal(err)
	}
	row, err = st.GradebookRowOf(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	// config is lesson 3: grade 1/2, passed false (pass mark 0.7); total 0.5/12.
	if g := row.Grades[2]; g == nil || *g != 0.5 || *row.Passed[2] {
		t.Errorf("config grade = %v passed %v, want 0.5 not passed", deref(row.Grades[2]), deref(row.Passed[2]))
	}
	if row.Grades[0] != nil || len(row.Grades) != 12 {
		t.Errorf("grades = %v, want 12 lessons with only config graded", row.Grades)
	}
	if math.Abs(row.Total-0.5/12) > 1e-12 {
		t.Errorf("total = %v, want %v", row.Total, 0.5/12)
	}

	second := attempt(ada, 2)
	second.Responses[0].Score, second.Responses[1].Score = 1, 1
	if _, _, err := st.SaveAttempt(ctx, second, s); err != nil {
		t.Fatal(err)
	}
	row, _ = st.GradebookRowOf(ctx, ada)
	if *row.Grades[2] != 1 || !*row.Passed[2] || math.Abs(row.Total-1.0/12) > 1e-12 {
		t.Errorf("after a full-marks latest attempt: grade %v passed %v total %v; want 1, true, 1/12", *row.Grades[2], *row.Passed[2], row.Total)
	}

	var got []quiz.ScoredAttempt
	collect := func(a quiz.ScoredAttempt) error {
		got = append(got, slices.Clone(a))
		return nil
	}
	if err := st.EachScoredAttempt(ctx, "config", false, collect); err != nil {
		t.Fatal(err)
	}
	want := []quiz.ScoredAttempt{{{Question: "q1", Fraction: 1, Choices: []string{"a"}}, {Question: "q2", Fraction: 0}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first attempts (-want +got):\n%s", diff)
	}
	got = nil
	if err := st.EachScoredAttempt(ctx, "config", true, collect); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1][1].Fraction != 1 {
		t.Errorf("all attempts = %+v, want both, the second with q2 right", got)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// gbUser is a gradebook test user: a name, and grades by quiz.
type gbUser struct {
	name   string
	grades map[string]float64
	id     int64
	email  string
}

// seedGradebook stores users with one attempt per graded quiz, whose
// fraction is the grade (one question worth 1 point).
func seedGradebook(t *testing.T, st *store.Store, users []gbUser) []gbUser {
	t.Helper()
	ctx := context.Background()
	for i := range users {
		u := &users[i]
		u.email = fmt.Sprintf("user%02d@example.edu", i)
		got, err := st.UpsertUser(ctx, "https://idp.test", fmt.Sprintf("sub-%02d", i), u.email, u.name)
		if err != nil {
			t.Fatal(err)
		}
		u.id = got.ID
		for _, slug := range slices.Sorted(maps.Keys(u.grades)) {
			attemptSeq++
			g := u.grades[slug]
			a := store.NewAttempt{
				Attempt: store.Attempt{
					ID: fmt.Sprintf("00000000-0000-4000-9000-%012d", attemptSeq), UserID: u.id, Quiz: slug,
					Version: "v-" + slug, Seed: 1, StartedAt: time.Now().Add(-time.Minute), Score: g, MaxScore: 1,
				},
				Responses:   []store.Response{{Position: 0, Question: "q", Answer: []byte(`{}`), Score: g, MaxScore: 1}},
				VersionBody: []byte(`{}`),
			}
			if _, _, err := st.SaveAttempt(ctx, a, quiz.DefaultSettings()); err != nil {
				t.Fatal(err)
			}
		}
	}
	return users
}

func TestGradebookKeysetPagination(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	// Names tie case-insensitively and grades tie, so the user id must break
	// ties for pages neither to overlap nor to skip.
	names := []string{"ada", "Ada", "bob", "cyd", "Bob", "dee", "eve", "ada", "fay", "gus", "hal", "ivy", "Eve", "jo", "kit", "lu", "max"}
	var users []gbUser
	for i, n := range names {
		g := map[string]float64{}
		switch i % 4 {
		case 0:
			g["config"], g["codebase"] = 0.5, 1
		case 1:
			g["config"] = 1
		case 2:
			g["config"] = 0.5
		} // case 3: no attempt at all
		users = append(users, gbUser{name: n, grades: g})
	}
	users = seedGradebook(t, st, users)

	checkKeysetPagination(t, st, 0, users)

	t.Run("filter by name or email substring", func(t *testing.T) {
		page, err := st.Gradebook(ctx, store.GradebookQuery{Sort: store.GradebookSort{By: "name"}, Filter: "AD", Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range page.Rows {
			got = append(got, r.Name)
		}
		if diff := cmp.Diff([]string{"ada", "Ada", "ada"}, got); diff != "" {
			t.Errorf("filter AD (-want +got):\n%s", diff)
		}
		page, _ = st.Gradebook(ctx, store.GradebookQuery{Sort: store.GradebookSort{By: "email"}, Filter: "user1", Limit: 50})
		if len(page.Rows) != 7 { // user10 … user16
			t.Errorf("filter user1 matched %d rows, want 7", len(page.Rows))
		}
		page, _ = st.Gradebook(ctx, store.GradebookQuery{Sort: store.GradebookSort{By: "name"}, Filter: "%", Limit: 50})
		if len(page.Rows) != 0 {
			t.Errorf("filter %% matched %d rows, want none: LIKE wildcards must be literal", len(page.Rows))
		}
		n, err := st.CountStudents(ctx, "ad", 0)
		if err != nil || n != 3 {
			t.Errorf("CountStudents(ad) = %d, %v; want 3", n, err)
		}
		if n, _ := st.CountStudents(ctx, "", 5); n != 5 {
			t.Errorf("CountStudents up to 5 = %d", n)
		}
	})

	t.Run("export streams every row", func(t *testing.T) {
		var n int
		err := st.EachGradebookRow(ctx, func(r store.GradebookRow) error { n++; return nil })
		if err != nil || n != len(users) {
			t.Errorf("exported %d rows (%v), want %d", n, err, len(users))
		}
	})
}

// checkKeysetPagination reads a gradebook (class 0: the course's) in every
// sort, both directions, five rows a page forwards and then backwards, and
// compares the rows with users sorted in Go: they must be exactly users.
func checkKeysetPagination(t *testing.T, st *store.Store, class int64, users []gbUser) {
	t.Helper()
	type key struct {
		text string
		num  float64
	}
	sorts := []struct {
		name string
		sort store.GradebookSort
		key  func(u gbUser) key
	}{
		{"name", store.GradebookSort{By: "name"}, func(u gbUser) key { return key{text: lower(u.name)} }},
		{"email", store.GradebookSort{By: "email"}, func(u gbUser) key { return key{text: u.email} }},
		{"total", store.GradebookSort{By: "total"}, func(u gbUser) key { return key{num: (u.grades["config"] + u.grades["codebase"]) / 12} }},
		{"config", store.GradebookSort{By: "lesson", Lesson: 3}, func(u gbUser) key {
			if g, ok := u.grades["config"]; ok {
				return key{num: g}
			}
			return key{num: -1} // blank sorts below 0%
		}},
	}
	for _, s := range sorts {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s desc=%v", s.name, desc), func(t *testing.T) {
				want := slices.Clone(users)
				slices.SortFunc(want, func(a, b gbUser) int {
					ka, kb := s.key(a), s.key(b)
					c := cmpKey(ka.text, kb.text)
					if c == 0 {
						c = cmpKey(ka.num, kb.num)
					}
					if c == 0 {
						c = cmpKey(a.id, b.id)
					}
					if desc {
						c = -c
					}
					return c
				})
				wantIDs := ids(want)
				sort := s.sort
				sort.Desc = desc

				// Forward, five at a time.
				var got []int64
				q := store.GradebookQuery{Class: class, Sort: sort, Limit: 5}
				for pages := 0; ; pages++ {
					page, err := st.Gradebook(context.Background(), q)
					if err != nil {
						t.Fatal(err)
					}
					if pages > 0 != page.HasPrev {
						t.Errorf("page %d: HasPrev = %v", pages, page.HasPrev)
					}
					for _, r := range page.Rows {
						got = append(got, r.UserID)
					}
					if !page.HasNext {
						break
					}
					last := page.Rows[len(page.Rows)-1].Key
					q.After = &last
				}
				if diff := cmp.Diff(wantIDs, got); diff != "" {
					t.Fatalf("forward pages (-want +got):\n%s", diff)
				}

				// Backward from past the end.
				got = nil
				end := store.Cursor{Text: "\U0010FFFF", Number: 1e9, UserID: math.MaxInt64}
				if desc {
					end = store.Cursor{Text: "", Number: -1e9, UserID: 0}
				}
				q = store.GradebookQuery{Class: class, Sort: sort, Limit: 5, Before: &end}
				for {
					page, err := st.Gradebook(context.Background(), q)
					if err != nil {
						t.Fatal(err)
					}
					got = append(ids2(page.Rows), got...)
					if !page.HasPrev {
						break
					}
					first := page.Rows[0].Key
					q.Before = &first
				}
				if diff := cmp.Diff(wantIDs, got); diff != "" {
					t.Errorf("backward pages (-want +got):\n%s", diff)
				}
			})
		}
	}

}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func cmpKey[T int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ids(us []gbUser) []int64 {
	var out []int64
	for _, u := range us {
		out = append(out, u.id)
	}
	return out
}

func ids2(rows []store.GradebookRow) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r.UserID)
	}
	return out
}

func TestOverviewCountsFromGrades(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	seedGradebook(t, st, []gbUser{
		{name: "a", grades: map[string]float64{"config": 1, "codebase": 0.5}},
		{name: "b", grades: map[string]float64{"config": 0.75}},
		{name: "c", grades: map[string]float64{"config": 0.25}},
		{name: "d"},
	})
	byQuiz, cohort, err := st.Overview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := store.LessonSummary{Quiz: "config", Students: 3, Attempts: 3, Passed: 2, Mean: (1 + 0.75 + 0.25) / 3}
	if diff := cmp.Diff(want, byQuiz["config"]); diff != "" {
		t.Errorf("config summary (-want +got):\n%s", diff)
	}
	// Totals: a 1.5/12 = 12.5% (second band), b 6.25% and c 2.08% (first).
	wantCohort := store.Cohort{Students: 4, Active: 3, Completed: 0, MeanTotal: (1.5 + 0.75 + 0.25) / 12 / 3, TotalBands: [10]int{2, 1}}
	if diff := cmp.Diff(wantCohort, cohort, cmpApprox()); diff != "" {
		t.Errorf("cohort (-want +got):\n%s", diff)
	}
}

func cmpApprox() cmp.Option {
	return cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-12 })
}
