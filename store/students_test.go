package store_test

import (
	"context"
	"testing"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// TestReportsListStudentsOnly: instructors, by the role recorded at their
// last sign-in or by an admin grant, are left out of the gradebook, its
// export and the cohort figures, even when they tried a quiz.
func TestReportsListStudentsOnly(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	ada, err := st.UpsertUser(ctx, "https://idp.test", "ada", "ada@example.edu", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	inesSignIn := store.SignIn{Issuer: "https://idp.test", Subject: "ines", Email: "ines@example.edu", Name: "Ines"}
	ines, err := st.RecordSignIn(ctx, inesSignIn, func(bool) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.UpsertUser(ctx, "https://idp.test", "gus", "Gus@Example.edu", "Gus")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{ada.ID, ines.ID} {
		if _, _, err := st.SaveAttempt(ctx, attempt(id, 2), quiz.DefaultSettings()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RecordSignIn(ctx, inesSignIn, func(bool) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GrantInstructor(ctx, "gus@example.edu"); err != nil {
		t.Fatal(err)
	}

	page, err := st.Gradebook(ctx, store.GradebookQuery{Sort: store.GradebookSort{By: "name"}, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != 1 || page.Rows[0].UserID != ada.ID {
		t.Errorf("gradebook rows = %+v, want Ada alone", page.Rows)
	}
	if n, err := st.CountStudents(ctx, "", 0); err != nil || n != 1 {
		t.Errorf("CountStudents = %d, %v; want 1", n, err)
	}
	exported := 0
	if err := st.EachGradebookRow(ctx, func(r store.GradebookRow) error {
		exported++
		if r.UserID != ada.ID {
			t.Errorf("export lists user %d", r.UserID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if exported != 1 {
		t.Errorf("export has %d rows, want 1", exported)
	}
	lessons, cohort, err := st.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cohort.Students != 1 || cohort.Active != 1 || lessons["config"].Students != 1 {
		t.Errorf("overview counts an instructor: cohort %+v, config %+v", cohort, lessons["config"])
	}

	// Back to student: in the gradebook again, with their grades.
	if _, err := st.RecordSignIn(ctx, inesSignIn, func(bool) bool { return false }); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.CountStudents(ctx, "", 0); n != 2 {
		t.Errorf("after demotion CountStudents = %d, want 2", n)
	}
}
