package classes

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"

	"github.com/twelve-course/twelve/store"
)

// scaleSource is the scale: 1,000 classes of 100 students and
// one of 20,000, each student in one class.
func scaleSource() *fakeSource {
	src := &fakeSource{classes: map[int64]store.ClassSnapshot{}}
	user := int64(0)
	add := func(id int64, n int) {
		s := store.ClassSnapshot{Class: store.Class{ID: id, Slug: fmt.Sprintf("demo-%d", id), Name: fmt.Sprintf("Demo %d", id), TimeZone: "UTC"}}
		s.Members = make([]store.Member, n)
		for i := range s.Members {
			user++
			s.Members[i] = store.Member{ClassID: id, UserID: user, Role: store.RoleStudent}
		}
		src.classes[id] = s
	}
	for id := int64(1); id <= 1000; id++ {
		add(id, 100)
	}
	add(1001, 20000)
	return src
}

// BenchmarkDirectoryReload is the cost, in every web process, of one
// change to a class of 100 (a student joins).
func BenchmarkDirectoryReload(b *testing.B) {
	d := New(scaleSource(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	if err := d.Load(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Reload(ctx, 7); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDirectoryMemoryAtScale logs the heap the directory holds at the
// issue's scale (no assertion: a figure for docs/classes.md).
func TestDirectoryMemoryAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 120,000 memberships")
	}
	src := scaleSource()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := New(src, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := d.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	classes, members, _ := d.Held()
	t.Logf("%d classes, %d memberships: %.1f MB of heap", classes, members, float64(after.HeapAlloc-before.HeapAlloc)/1e6)
	runtime.KeepAlive(d)
	runtime.KeepAlive(src) // the snapshots are the source's, counted before
}
