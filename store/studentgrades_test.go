package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// TestStudentClassGrades: one student's grades in the classes asked for,
// by class and quiz; not another student's, not another class's.
func TestStudentClassGrades(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	ada, bob := newUser(t, st, "ada"), newUser(t, st, "bob")
	var ids []int64
	for _, slug := range []string{"fall", "spring", "other"} {
		c, err := st.CreateClass(ctx, store.Class{Slug: slug, Name: slug})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	fall, spring, other := ids[0], ids[1], ids[2]
	rows := []struct {
		class, user int64
		quiz        string
		grade       float64
		late        bool
	}{
		{fall, ada, "config", 0.8, true},
		{fall, ada, "logs", 0.5, false},
		{spring, ada, "config", 0.9, false},
		{other, ada, "config", 0.1, false},
		{fall, bob, "config", 0.3, false},
	}
	for _, r := range rows {
		if _, err := st.Pool().Exec(ctx, `INSERT INTO class_grades (class_id, user_id, quiz, attempts, grade, passed, late)
			VALUES ($1, $2, $3, 1, $4, $5, $6)`, r.class, r.user, r.quiz, r.grade, r.grade >= 0.7, r.late); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.StudentClassGrades(ctx, ada, []int64{fall, spring})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]map[string]store.StudentClassGrade{
		fall: {
			"config": {ClassID: fall, Quiz: "config", Attempts: 1, Grade: 0.8, Passed: true, Late: true},
			"logs":   {ClassID: fall, Quiz: "logs", Attempts: 1, Grade: 0.5},
		},
		spring: {"config": {ClassID: spring, Quiz: "config", Attempts: 1, Grade: 0.9, Passed: true}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("StudentClassGrades (-want +got):\n%s", diff)
	}
	if got, err := st.StudentClassGrades(ctx, ada, nil); err != nil || len(got) != 0 {
		t.Errorf("no classes: %v, %v; want none", got, err)
	}
}
