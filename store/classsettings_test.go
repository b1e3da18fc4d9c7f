package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

func ptr[T any](v T) *T { return &v }

func TestQuizSettingsAndAccommodations(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	c := newClass(t, st, "rules")
	ada, bob, carol := newUser(t, st, "ada"), newUser(t, st, "bob"), newUser(t, st, "carol")
	for user, role := range map[int64]string{ada: store.RoleStudent, bob: store.RoleTA} {
		if _, err := st.AddMember(ctx, c.ID, user, role, store.ViaAdmin); err != nil {
			t.Fatal(err)
		}
	}
	due := time.Date(2026, 10, 1, 21, 59, 0, 0, time.UTC)
	full := store.QuizSettings{
		ClassID: c.ID, Quiz: "config",
		OpensAt: ptr(due.Add(-7 * 24 * time.Hour)), DueAt: ptr(due), ClosesAt: ptr(due.Add(72 * time.Hour)),
		AttemptLimit: ptr(3), TimeLimit: ptr(45 * time.Minute), PassMark: ptr(0.6), Grading: ptr(quiz.Latest),
		Review: &quiz.Review{Score: true, RightAnswers: quiz.ShowNever},
		Late:   quiz.LatePolicy{Mode: quiz.LatePenalty, PerDay: 0.1, Floor: 0.5},
	}
	bare := store.QuizSettings{ClassID: c.ID, Quiz: "logs", DueAt: ptr(due)}
	for _, qs := range []store.QuizSettings{full, bare} {
		if err := st.SetQuizSettings(ctx, qs); err != nil {
			t.Fatal(err)
		}
	}
	whole := store.Accommodation{ClassID: c.ID, UserID: ada, TimeFactor: 1.5, ExtraMinutes: 10, Note: "letter of 3 May"}
	one := store.Accommodation{ClassID: c.ID, UserID: ada, Quiz: "config", TimeFactor: 1, ExtraAttempts: 2,
		DueAt: ptr(due.Add(48 * time.Hour)), ClosesAt: ptr(due.Add(96 * time.Hour))}
	for _, a := range []store.Accommodation{whole, one} {
		if err := st.SetAccommodation(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := st.LoadClass(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.QuizSettings{full, bare}, snap.Settings); diff != "" {
		t.Errorf("settings (-set +loaded):\n%s", diff)
	}
	if diff := cmp.Diff([]store.Accommodation{whole, one}, snap.Accommodations); diff != "" {
		t.Errorf("accommodations (-set +loaded):\n%s", diff)
	}
	if len(snap.Members) != 2 || snap.Class.ID != c.ID {
		t.Errorf("snapshot: class %d, %d members; want %d, 2", snap.Class.ID, len(snap.Members), c.ID)
	}

	// Replacing keeps one row; nil fields become NULL again.
	if err := st.SetQuizSettings(ctx, store.QuizSettings{ClassID: c.ID, Quiz: "config"}); err != nil {
		t.Fatal(err)
	}
	if err := st.ClearQuizSettings(ctx, c.ID, "logs"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteAccommodation(ctx, c.ID, ada, ""); err != nil {
		t.Fatal(err)
	}
	snap, _ = st.LoadClass(ctx, c.ID)
	if diff := cmp.Diff([]store.QuizSettings{{ClassID: c.ID, Quiz: "config"}}, snap.Settings); diff != "" {
		t.Errorf("settings after replace and clear (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]store.Accommodation{one}, snap.Accommodations); diff != "" {
		t.Errorf("accommodations after delete (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name string
		a    store.Accommodation
		want error
	}{
		{"not a member", store.Accommodation{ClassID: c.ID, UserID: carol}, store.ErrNotMember},
		{"a TA", store.Accommodation{ClassID: c.ID, UserID: bob}, store.ErrNotMember},
		{"no such class", store.Accommodation{ClassID: c.ID + 100, UserID: ada}, store.ErrNotMember},
		{"factor past 10", store.Accommodation{ClassID: c.ID, UserID: ada, TimeFactor: 11}, store.ErrInvalid},
		{"closes before due", store.Accommodation{ClassID: c.ID, UserID: ada, DueAt: ptr(due), ClosesAt: ptr(due.Add(-time.Hour))}, store.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := st.SetAccommodation(ctx, tc.a); !errors.Is(err, tc.want) {
				t.Errorf("SetAccommodation = %v, want %v", err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		qs   store.QuizSettings
		want error
	}{
		{"pass mark past 100%", store.QuizSettings{ClassID: c.ID, Quiz: "x", PassMark: ptr(1.5)}, store.ErrInvalid},
		{"negative limit", store.QuizSettings{ClassID: c.ID, Quiz: "x", AttemptLimit: ptr(-1)}, store.ErrInvalid},
		{"unknown grading", store.QuizSettings{ClassID: c.ID, Quiz: "x", Grading: ptr(quiz.Method("best"))}, store.ErrInvalid},
		{"unknown late policy", store.QuizSettings{ClassID: c.ID, Quiz: "x", Late: quiz.LatePolicy{Mode: "forgive"}}, store.ErrInvalid},
		{"due before it opens", store.QuizSettings{ClassID: c.ID, Quiz: "x", OpensAt: ptr(due), DueAt: ptr(due.Add(-time.Hour))}, store.ErrInvalid},
		{"no such class", store.QuizSettings{ClassID: c.ID + 100, Quiz: "x"}, store.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := st.SetQuizSettings(ctx, tc.qs); !errors.Is(err, tc.want) {
				t.Errorf("SetQuizSettings = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := st.LoadClass(ctx, c.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LoadClass of no class = %v, want ErrNotFound", err)
	}
}

// TestClassWritesNotify checks that every write to a class is announced
// with the class's id, once.
func TestClassWritesNotify(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	l, err := st.ListenClasses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	ada, bob := newUser(t, st, "ada"), newUser(t, st, "bob")
	var c store.Class
	writes := []struct {
		name  string
		write func() error
	}{
		{"create", func() (err error) {
			c, err = st.CreateClass(ctx, store.Class{Slug: "heard", Name: "Heard"})
			return err
		}},
		{"update", func() error { c.Name = "Heard 2"; c.TimeZone = "UTC"; return st.UpdateClass(ctx, c) }},
		{"join code", func() error { return st.SetJoinCode(ctx, c.ID, codeA) }},
		{"join", func() error { _, _, err := st.JoinClass(ctx, codeA, ada); return err }},
		{"add member", func() error { _, err := st.AddMember(ctx, c.ID, bob, store.RoleTA, store.ViaStaff); return err }},
		{"roster", func() error {
			_, _, err := st.AddRoster(ctx, c.ID, []store.Invite{{Email: "later@example.edu", Role: store.RoleStudent}})
			return err
		}},
		{"invite accepted", func() error {
			_, err := st.RecordSignIn(ctx, store.SignIn{Issuer: "https://idp.test", Subject: "later", Email: "later@example.edu", EmailVerified: true},
				func(bool) bool { return false })
			return err
		}},
		{"quiz settings", func() error {
			return st.SetQuizSettings(ctx, store.QuizSettings{ClassID: c.ID, Quiz: "config", AttemptLimit: ptr(2)})
		}},
		{"clear settings", func() error { return st.ClearQuizSettings(ctx, c.ID, "config") }},
		{"accommodation", func() error {
			return st.SetAccommodation(ctx, store.Accommodation{ClassID: c.ID, UserID: ada, ExtraMinutes: 5})
		}},
		{"delete accommodation", func() error { return st.DeleteAccommodation(ctx, c.ID, ada, "") }},
		{"remove member", func() error { return st.RemoveMember(ctx, c.ID, bob) }},
		{"archive", func() error { return st.SetClassArchived(ctx, c.ID, true) }},
	}
	for _, w := range writes {
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		id, err := l.Next(wait)
		cancel()
		if err != nil || id != c.ID {
			t.Fatalf("after %s: heard %d, %v; want class %d", w.name, id, err, c.ID)
		}
	}
	// A refused write says nothing: the next notification is the one after it.
	if _, _, err := st.JoinClass(ctx, codeA, bob); !errors.Is(err, store.ErrArchived) {
		t.Fatalf("join an archived class = %v", err)
	}
	other := newClass(t, st, "other")
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if id, err := l.Next(wait); err != nil || id != other.ID {
		t.Errorf("after a refused join and another class: heard %d, %v; want %d", id, err, other.ID)
	}
}
