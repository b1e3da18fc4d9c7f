package store_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// classGradebookRow is a student's row of a class's gradebook: the grade of
// the lesson "config" (nil: none) and how many lessons have one.
func classGradebookRow(t *testing.T, st *store.Store, class, user int64) (config *float64, attempted int) {
	t.Helper()
	err := st.Pool().QueryRow(context.Background(), `
SELECT gb.grades[(SELECT position FROM lessons WHERE slug = 'config')], gb.attempted
FROM class_gradebook gb WHERE gb.class_id = $1 AND gb.user_id = $2`, class, user).Scan(&config, &attempted)
	if err != nil {
		t.Fatalf("class gradebook row of %d in %d: %v", user, class, err)
	}
	return config, attempted
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSaveAttemptInClasses(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	a, b := newClass(t, st, "a"), newClass(t, st, "b")
	ada, bob := newUser(t, st, "ada"), newUser(t, st, "bob")
	for _, m := range []struct{ class, user int64 }{{a.ID, ada}, {b.ID, ada}, {a.ID, bob}} {
		if _, err := st.AddMember(ctx, m.class, m.user, store.RoleStudent, store.ViaAdmin); err != nil {
			t.Fatal(err)
		}
	}
	// A joined student with no attempt has a blank row.
	if g, n := classGradebookRow(t, st, a.ID, bob); g != nil || n != 0 {
		t.Errorf("bob's blank row: config %v, %d attempted; want none", g, n)
	}

	course := quiz.DefaultSettings() // highest, pass 70%, unlimited
	classA := course
	classA.AttemptLimit, classA.Grading, classA.PassMark = 2, quiz.Latest, 0.6
	save := func(class int64, score float64, late bool, penalty float64, settings quiz.Settings) (store.Attempt, error) {
		t.Helper()
		na := attempt(ada, score) // of 2
		na.ClassID, na.Late, na.Penalty = class, late, penalty
		na.CourseSettings = course
		stored, _, err := st.SaveAttempt(ctx, na, settings)
		return stored, err
	}

	// The open course first: attempt 1, grade 50%.
	if got, err := save(0, 1, false, 0, course); err != nil || got.AttemptNo != 1 || got.ClassID != 0 {
		t.Fatalf("open-course attempt = %+v, %v", got, err)
	}
	// Class a: numbered from 1 again; late, 30% off a full score.
	got, err := save(a.ID, 2, true, 0.3, classA)
	if err != nil {
		t.Fatal(err)
	}
	if got.AttemptNo != 1 || got.ClassID != a.ID || !got.Late || got.Penalty != 0.3 || !near(got.Credited(), 0.7) {
		t.Errorf("first attempt in a = %+v, want no 1, late, penalty 0.3, credited 0.7", got)
	}
	cg, err := st.ClassGradesOf(ctx, a.ID, ada)
	if err != nil {
		t.Fatal(err)
	}
	if g := cg["config"]; g.Attempts != 1 || !near(g.Grade, 0.7) || !g.Passed || !g.Late {
		t.Errorf("class grade after a late attempt = %+v, want 1 attempt, 0.7, passed (60%%), late", g)
	}
	if g, n := classGradebookRow(t, st, a.ID, ada); g == nil || !near(*g, 0.7) || n != 1 {
		t.Errorf("class gradebook: config %v, %d attempted; want 0.7, 1", g, n)
	}
	// Class a again, on time, 50%: the class grades the latest.
	if got, err := save(a.ID, 1, false, 0, classA); err != nil || got.AttemptNo != 2 {
		t.Fatalf("second attempt in a = %+v, %v", got, err)
	}
	cg, _ = st.ClassGradesOf(ctx, a.ID, ada)
	if g := cg["config"]; g.Attempts != 2 || !near(g.Grade, 0.5) || g.Passed || g.Late {
		t.Errorf("class grade = %+v, want 2 attempts, 0.5 (the latest), not passed, not late", g)
	}
	// The class's limit counts its attempts only.
	if _, err := save(a.ID, 2, false, 0, classA); !errors.Is(err, store.ErrAttemptLimit) {
		t.Errorf("third attempt in a = %v, want ErrAttemptLimit", err)
	}
	if got, err := save(b.ID, 0.5, false, 0, course); err != nil || got.AttemptNo != 1 {
		t.Errorf("first attempt in b = %+v, %v; want number 1", got, err)
	}

	// The course-wide grade covers every attempt, by the quiz's own rules,
	// with the penalty credited: highest of 0.5, 0.7, 0.5, 0.25.
	gs, err := st.GradesOf(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	if g := gs["config"]; g.Attempts != 4 || !near(g.Grade, 0.7) || !g.Passed {
		t.Errorf("course-wide grade = %+v, want 4 attempts, 0.7, passed", g)
	}
	row, err := st.GradebookRowOf(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	if row.Total == 0 {
		t.Errorf("course gradebook row not refreshed: %+v", row)
	}
	as, err := st.AttemptsOf(ctx, ada, "config")
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		Class int64
		No    int
		Late  bool
	}
	var keys []key
	for _, at := range as {
		keys = append(keys, key{at.ClassID, at.AttemptNo, at.Late})
	}
	// Ordered by quiz and attempt number, as before classes.
	want := []key{{0, 1, false}, {a.ID, 1, true}, {b.ID, 1, false}, {a.ID, 2, false}}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	// The other classes' grades are their own.
	if cg, _ := st.ClassGradesOf(ctx, b.ID, ada); cg["config"].Attempts != 1 || !near(cg["config"].Grade, 0.25) {
		t.Errorf("class b grade = %+v", cg["config"])
	}
	if g, n := classGradebookRow(t, st, a.ID, bob); g != nil || n != 0 {
		t.Errorf("bob's row changed with ada's attempts: %v, %d", g, n)
	}
	// Made staff, ada leaves the class gradebook; a student again, or
	// back after leaving, she has her class grade there again.
	if _, err := st.AddMember(ctx, a.ID, ada, store.RoleTA, store.ViaStaff); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, `SELECT count(*) FROM class_gradebook WHERE class_id = $1 AND user_id = $2`, a.ID, ada); n != 0 {
		t.Errorf("a TA keeps a class gradebook row")
	}
	if _, err := st.AddMember(ctx, a.ID, ada, store.RoleStudent, store.ViaStaff); err != nil {
		t.Fatal(err)
	}
	if g, n := classGradebookRow(t, st, a.ID, ada); g == nil || !near(*g, 0.5) || n != 1 {
		t.Errorf("student again: config %v, %d attempted; want 0.5, 1", g, n)
	}
	if err := st.RemoveMember(ctx, a.ID, ada); err != nil {
		t.Fatal(err)
	}
	if err := st.SetJoinCode(ctx, a.ID, codeA); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.JoinClass(ctx, codeA, ada); err != nil {
		t.Fatal(err)
	}
	if g, n := classGradebookRow(t, st, a.ID, ada); g == nil || !near(*g, 0.5) || n != 1 {
		t.Errorf("rejoined: config %v, %d attempted; want 0.5, 1", g, n)
	}
}

func classStart(user int64, q *quiz.Quiz, class int64, due time.Time, now time.Time) store.NewStart {
	ns := newStart(user, q, now)
	ns.ClassID = class
	ns.Make = func(no int) quiz.Token {
		tok := startSigner.StartToken(q, user, no, now)
		tok.Class, tok.Due, tok.Limit = class, due, q.Settings.AttemptLimit
		tok.Late = quiz.LatePolicy{Mode: quiz.LatePenalty, PerDay: 0.1, Floor: 0.5}
		return tok
	}
	return ns
}

func TestStartAttemptPerClass(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	a, b := newClass(t, st, "a"), newClass(t, st, "b")
	ada := newUser(t, st, "ada")
	q := limitedQuiz(1, 30)
	now := time.Now()
	due := now.Add(24 * time.Hour).Truncate(time.Microsecond)

	inA, created, err := st.StartAttempt(ctx, classStart(ada, q, a.ID, due, now))
	if err != nil || !created || inA.No != 1 || inA.Class != a.ID {
		t.Fatalf("start in a = %+v, %v, %v", inA, created, err)
	}
	inB, _, err := st.StartAttempt(ctx, classStart(ada, q, b.ID, due, now))
	if err != nil || inB.No != 1 || inB.AttemptID == inA.AttemptID {
		t.Fatalf("start in b = %+v, %v; want its own attempt 1", inB, err)
	}
	open, _, err := st.StartAttempt(ctx, newStart(ada, q, now))
	if err != nil || open.No != 1 || open.Class != 0 || open.AttemptID == inA.AttemptID {
		t.Fatalf("start in the open course = %+v, %v; want its own attempt 1", open, err)
	}
	// Starting again in a returns a's open attempt with the rules it
	// began with, whatever the rules are now.
	again, created, err := st.StartAttempt(ctx, classStart(ada, q, a.ID, due.Add(time.Hour), now))
	if err != nil || created || again.AttemptID != inA.AttemptID || !again.Due.Equal(due) || again.Late != inA.Late || again.Limit != 1 {
		t.Fatalf("start again in a = %+v, %v, %v; want the open attempt, due %v", again, created, err, due)
	}

	// A submit must agree with its start, class rules included.
	tampered := submitted(inA, 2)
	tampered.ClassID = a.ID
	tampered.Rules = store.RulesOf(inA)
	tampered.Rules.Due = due.Add(48 * time.Hour)
	if _, _, err := st.SaveAttempt(ctx, tampered, q.Settings); !errors.Is(err, store.ErrStartMismatch) {
		t.Errorf("submit with another due date = %v, want ErrStartMismatch", err)
	}
	wrongClass := submitted(inA, 2)
	wrongClass.ClassID, wrongClass.Rules = b.ID, store.RulesOf(inA)
	if _, _, err := st.SaveAttempt(ctx, wrongClass, q.Settings); !errors.Is(err, store.ErrStartMismatch) {
		t.Errorf("submit in another class = %v, want ErrStartMismatch", err)
	}
	na := submitted(inA, 2)
	na.ClassID, na.Rules = a.ID, store.RulesOf(inA)
	if got, _, err := st.SaveAttempt(ctx, na, q.Settings); err != nil || got.ClassID != a.ID || got.AttemptNo != 1 {
		t.Fatalf("submit in a = %+v, %v", got, err)
	}
	if n := count(t, st, `SELECT count(*) FROM attempt_starts WHERE class_id = $1`, a.ID); n != 1 {
		t.Errorf("starts recorded in a = %d, want 1", n)
	}
	// a's one attempt is used; b's is still open.
	if _, _, err := st.StartAttempt(ctx, classStart(ada, q, a.ID, due, now)); !errors.Is(err, store.ErrAttemptLimit) {
		t.Errorf("second start in a = %v, want ErrAttemptLimit", err)
	}
	if tok, created, err := st.StartAttempt(ctx, classStart(ada, q, b.ID, due, now)); err != nil || created || tok.AttemptID != inB.AttemptID {
		t.Errorf("start in b after a's submit = %+v, %v, %v; want b's open attempt", tok, created, err)
	}
}
