package classes

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twelve-course/twelve/internal/backoff"
	"github.com/twelve-course/twelve/internal/follow"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

// Source is what a Directory reads: the store's class snapshots and the
// notifications of their changes (cmd/twelve adapts *store.Store).
type Source interface {
	LoadClasses(ctx context.Context) ([]store.ClassSnapshot, error)
	LoadClass(ctx context.Context, id int64) (store.ClassSnapshot, error)
	Listen(ctx context.Context) (Listener, error)
}

// Listener hears the ids of changed classes, from the moment it was made.
// An error from Next means it is lost: close it and listen again.
type Listener interface {
	Next(ctx context.Context) (int64, error)
	Close(ctx context.Context) error
}

// Refresh is how often a Directory reloads every class even when it heard
// of no change: a backstop, since a change is announced as it commits.
const Refresh = 5 * time.Minute

// Directory is one process's copy of every class. Its methods are safe
// for concurrent use; a reload replaces a class's entry whole, so a reader
// sees a class as it was before a change or after it, never half of both.
type Directory struct {
	src    Source
	logger *slog.Logger
	retry  *backoff.Backoff

	mu      sync.RWMutex
	byID    map[int64]*entry
	bySlug  map[string]*entry
	members map[int64][]int64 // class ids by user
	at      time.Time         // when every class was last read

	ready chan struct{} // closed by the first load
	once  sync.Once
}

// entry is one class as loaded.
type entry struct {
	class    store.Class
	roles    map[int64]string                          // role by user
	settings map[string]*store.QuizSettings            // by quiz
	acc      map[int64]map[string]*store.Accommodation // by user, then quiz ("" for every quiz)
	students int
}

// Membership is a user's place in a class, as the directory holds it.
type Membership struct {
	Class store.Class
	Role  string
}

// New makes an empty directory that reads src; Load or Run fills it.
func New(src Source, logger *slog.Logger) *Directory {
	return &Directory{
		src: src, logger: logger, retry: backoff.New(500*time.Millisecond, 30*time.Second, nil),
		ready: make(chan struct{}),
		byID:  map[int64]*entry{}, bySlug: map[string]*entry{},
		members: map[int64][]int64{},
	}
}

// Load reads every class.
func (d *Directory) Load(ctx context.Context) error {
	snaps, err := d.src.LoadClasses(ctx)
	if err != nil {
		return err
	}
	byID := make(map[int64]*entry, len(snaps))
	for _, s := range snaps {
		byID[s.Class.ID] = newEntry(s)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.byID = byID
	d.bySlug = make(map[string]*entry, len(byID))
	d.members = make(map[int64][]int64, len(d.members))
	for _, e := range byID {
		d.index(e)
	}
	d.at = time.Now()
	d.once.Do(func() { close(d.ready) })
	return nil
}

// Reload reads one class again, after a change to it; a class that is
// gone is forgotten.
func (d *Directory) Reload(ctx context.Context, id int64) error {
	s, err := d.src.LoadClass(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var fresh *entry
	if err == nil {
		fresh = newEntry(s)
	}
	// Only this class's entries change: a reload costs what the class's
	// size does, whatever the number of classes.
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.byID[id]; ok {
		d.unindex(old)
		delete(d.byID, id)
	}
	if fresh != nil {
		d.byID[id] = fresh
		d.index(fresh)
	}
	return nil
}

// Run keeps the directory current until ctx ends: it listens for class
// changes, reloads each changed class, and reloads everything after a
// lost connection and every Refresh. It returns when ctx ends.
func (d *Directory) Run(ctx context.Context) {
	follow.Run(ctx, follow.Follower[int64]{
		What: "class directory", Stale: "classes may be stale until it is",
		Listen:  func(ctx context.Context) (follow.Changes[int64], error) { return d.src.Listen(ctx) },
		Load:    d.Load,
		Changed: d.Reload,
		Quiet:   Refresh, Retry: d.retry, Logger: d.logger,
	})
}

func newEntry(s store.ClassSnapshot) *entry {
	e := &entry{
		class:    s.Class,
		roles:    make(map[int64]string, len(s.Members)),
		settings: make(map[string]*store.QuizSettings, len(s.Settings)),
		acc:      map[int64]map[string]*store.Accommodation{},
	}
	for _, m := range s.Members {
		e.roles[m.UserID] = m.Role
		if m.Role == store.RoleStudent {
			e.students++
		}
	}
	for i := range s.Settings {
		e.settings[s.Settings[i].Quiz] = &s.Settings[i]
	}
	for i := range s.Accommodations {
		a := &s.Accommodations[i]
		if e.acc[a.UserID] == nil {
			e.acc[a.UserID] = map[string]*store.Accommodation{}
		}
		e.acc[a.UserID][a.Quiz] = a
	}
	return e
}

// index adds e to the lookups; d.mu is held.
func (d *Directory) index(e *entry) {
	d.bySlug[e.class.Slug] = e
	for uid := range e.roles {
		d.members[uid] = append(d.members[uid], e.class.ID)
	}
}

// unindex takes e out of the lookups; d.mu is held.
func (d *Directory) unindex(e *entry) {
	if d.bySlug[e.class.Slug] == e {
		delete(d.bySlug, e.class.Slug)
	}
	for uid := range e.roles {
		ids := slices.DeleteFunc(d.members[uid], func(id int64) bool { return id == e.class.ID })
		if len(ids) == 0 {
			delete(d.members, uid)
		} else {
			d.members[uid] = ids
		}
	}
}

// Ready is closed once the directory has been filled for the first time.
func (d *Directory) Ready() <-chan struct{} { return d.ready }

// Loaded reports whether the directory has been filled once.
func (d *Directory) Loaded() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return !d.at.IsZero()
}

// Class returns the class with id.
func (d *Directory) Class(id int64) (store.Class, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	e, ok := d.byID[id]
	if !ok {
		return store.Class{}, false
	}
	return e.class, true
}

// BySlug returns the class with slug.
func (d *Directory) BySlug(slug string) (store.Class, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	e, ok := d.bySlug[slug]
	if !ok {
		return store.Class{}, false
	}
	return e.class, true
}

// All returns every class, by name.
func (d *Directory) All() []store.Class {
	d.mu.RLock()
	out := make([]store.Class, 0, len(d.byID))
	for _, e := range d.byID {
		out = append(out, e.class)
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b store.Class) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Students is how many students class id has.
func (d *Directory) Students(id int64) int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if e, ok := d.byID[id]; ok {
		return e.students
	}
	return 0
}

// Memberships returns the classes user is a member of, by name.
func (d *Directory) Memberships(user int64) []Membership {
	d.mu.RLock()
	out := make([]Membership, 0, len(d.members[user]))
	for _, id := range d.members[user] {
		if e, ok := d.byID[id]; ok {
			out = append(out, Membership{Class: e.class, Role: e.roles[user]})
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b Membership) int { return strings.Compare(a.Class.Name, b.Class.Name) })
	return out
}

// Role returns user's role in class id, or "" when they are not a member.
func (d *Directory) Role(id, user int64) string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if e, ok := d.byID[id]; ok {
		return e.roles[user]
	}
	return ""
}

// Teaches reports whether user is an instructor or TA of some class. It
// is asked on every signed-in request (the header's link), so it builds
// nothing.
func (d *Directory) Teaches(user int64) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, id := range d.members[user] {
		if e, ok := d.byID[id]; ok && (e.roles[user] == store.RoleInstructor || e.roles[user] == store.RoleTA) {
			return true
		}
	}
	return false
}

// StudentClasses returns the classes user takes quizzes in: those they
// are a student of and that are not archived, by name.
func (d *Directory) StudentClasses(user int64) []store.Class {
	var out []store.Class
	for _, m := range d.Memberships(user) {
		if m.Role == store.RoleStudent && !m.Class.Archived() {
			out = append(out, m.Class)
		}
	}
	return out
}

// Rules resolves the rules of user's attempts of q in class id (0: the
// open course, whose rules are the quiz's own).
func (d *Directory) Rules(id, user int64, q *quiz.Quiz) Rules {
	if id == 0 {
		return Rules{Settings: q.Settings}
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	e, ok := d.byID[id]
	if !ok {
		return Rules{Class: id, Settings: q.Settings}
	}
	acc := e.acc[user]
	return Resolve(id, q.Settings, e.settings[q.Slug], acc[""], acc[q.Slug])
}

// Setting returns class id's own setting for quiz slug, if any.
func (d *Directory) Setting(id int64, slug string) (store.QuizSettings, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if e, ok := d.byID[id]; ok {
		if s, ok := e.settings[slug]; ok {
			return *s, true
		}
	}
	return store.QuizSettings{}, false
}

// Accommodations returns class id's accommodations of user, by quiz ("":
// every quiz).
func (d *Directory) Accommodations(id, user int64) map[string]store.Accommodation {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := map[string]store.Accommodation{}
	if e, ok := d.byID[id]; ok {
		for q, a := range e.acc[user] {
			out[q] = *a
		}
	}
	return out
}

// Held is how many classes and memberships the directory holds and when
// it last read every class (the zero time before it has).
func (d *Directory) Held() (classes, members int, loadedAt time.Time) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, e := range d.byID {
		members += len(e.roles)
	}
	return len(d.byID), members, d.at
}
