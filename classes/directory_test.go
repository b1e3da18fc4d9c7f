package classes

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

// fakeSource is a Source held in memory, for the directory's own logic;
// the store's side is tested against PostgreSQL in package store.
type fakeSource struct {
	mu      sync.Mutex
	classes map[int64]store.ClassSnapshot
	notes   chan int64
	listens int
	fail    error
}

func (f *fakeSource) LoadClasses(context.Context) ([]store.ClassSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	var out []store.ClassSnapshot
	for _, s := range f.classes {
		out = append(out, s)
	}
	return out, nil
}

func (f *fakeSource) LoadClass(_ context.Context, id int64) (store.ClassSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.classes[id]
	if !ok {
		return store.ClassSnapshot{}, store.ErrNotFound
	}
	return s, nil
}

func (f *fakeSource) Listen(context.Context) (Listener, error) {
	f.mu.Lock()
	f.listens++
	f.mu.Unlock()
	return fakeListener{f.notes}, nil
}

func (f *fakeSource) set(s store.ClassSnapshot) {
	f.mu.Lock()
	f.classes[s.Class.ID] = s
	f.mu.Unlock()
}

type fakeListener struct{ notes chan int64 }

func (l fakeListener) Next(ctx context.Context) (int64, error) {
	select {
	case id := <-l.notes:
		return id, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
func (fakeListener) Close(context.Context) error { return nil }

func snapshot(id int64, slug string, members map[int64]string) store.ClassSnapshot {
	s := store.ClassSnapshot{Class: store.Class{ID: id, Slug: slug, Name: "Class " + slug, TimeZone: "UTC", JoinCode: "code-" + slug + "-0123456789"}}
	for uid, role := range members {
		s.Members = append(s.Members, store.Member{ClassID: id, UserID: uid, Role: role})
	}
	return s
}

func TestDirectoryLookups(t *testing.T) {
	src := &fakeSource{classes: map[int64]store.ClassSnapshot{}}
	a := snapshot(1, "a", map[int64]string{10: store.RoleStudent, 11: store.RoleTA, 12: store.RoleInstructor})
	limit := 3
	a.Settings = []store.QuizSettings{{ClassID: 1, Quiz: "logs", AttemptLimit: &limit}}
	a.Accommodations = []store.Accommodation{{ClassID: 1, UserID: 10, ExtraAttempts: 2}}
	b := snapshot(2, "b", map[int64]string{10: store.RoleStudent})
	b.Class.ArchivedAt = time.Now()
	src.set(a)
	src.set(b)
	d := New(src, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if d.Loaded() {
		t.Fatal("loaded before Load")
	}
	select {
	case <-d.Ready():
		t.Fatal("ready before Load")
	default:
	}
	if err := d.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.Ready():
	default:
		t.Fatal("not ready after Load")
	}
	if c, ok := d.BySlug("a"); !ok || c.ID != 1 {
		t.Errorf("BySlug(a) = %v, %v", c, ok)
	}
	if d.Role(1, 11) != store.RoleTA || d.Role(1, 99) != "" || d.Role(3, 10) != "" {
		t.Error("roles wrong")
	}
	if got := d.StudentClasses(10); len(got) != 1 || got[0].ID != 1 {
		t.Errorf("StudentClasses(10) = %v, want class a only (b is archived)", got)
	}
	if !d.Teaches(11) || !d.Teaches(12) || d.Teaches(10) || d.Teaches(99) {
		t.Error("Teaches: want the TA and the instructor, not the student nor a stranger")
	}
	if d.Students(1) != 1 {
		t.Errorf("Students(1) = %d", d.Students(1))
	}
	q := &quiz.Quiz{Slug: "logs", Settings: quiz.DefaultSettings()}
	if r := d.Rules(1, 10, q); r.Settings.AttemptLimit != 5 || r.Class != 1 {
		t.Errorf("student 10's rules: limit %d class %d, want 3 + 2 extra in class 1", r.Settings.AttemptLimit, r.Class)
	}
	if r := d.Rules(1, 11, q); r.Settings.AttemptLimit != 3 {
		t.Errorf("without accommodation: limit %d, want 3", r.Settings.AttemptLimit)
	}
	if r := d.Rules(0, 10, q); r.Settings != q.Settings || r.Class != 0 {
		t.Error("the open course's rules are not the quiz's own")
	}
}

func TestDirectoryFollowsChanges(t *testing.T) {
	src := &fakeSource{classes: map[int64]store.ClassSnapshot{}, notes: make(chan int64)}
	src.set(snapshot(1, "a", nil))
	d := New(src, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// A change announced is read: the member appears, the new slug resolves.
	changed := snapshot(1, "a-renamed", map[int64]string{10: store.RoleStudent})
	src.set(changed)
	src.notes <- 1 // blocks until Run listens
	waitFor(t, func() bool { _, ok := d.BySlug("a-renamed"); return ok && d.Role(1, 10) == store.RoleStudent })
	if _, ok := d.BySlug("a"); ok {
		t.Error("the old slug still resolves")
	}
	// A class that is gone is forgotten.
	src.mu.Lock()
	delete(src.classes, 1)
	src.mu.Unlock()
	src.notes <- 1
	waitFor(t, func() bool { _, ok := d.Class(1); return !ok })
	if len(d.Memberships(10)) != 0 {
		t.Error("memberships of a forgotten class remain")
	}
}

func TestDirectoryLoadError(t *testing.T) {
	boom := errors.New("database down")
	src := &fakeSource{classes: map[int64]store.ClassSnapshot{}, fail: boom}
	d := New(src, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := d.Load(context.Background()); !errors.Is(err, boom) || d.Loaded() {
		t.Errorf("Load = %v, loaded %v; want the error and not loaded", err, d.Loaded())
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for range 500 {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met within 5 s")
}
