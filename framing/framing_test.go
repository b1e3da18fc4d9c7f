package framing

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
)

const policy = "default-src 'self'"

func TestOrigin(t *testing.T) {
	tests := []struct {
		name, raw, want string
		ok              bool
	}{
		{"https", "https://LMS.example.edu", "https://lms.example.edu", true},
		{"https with port and slash", "https://lms.example.edu:8443/", "https://lms.example.edu:8443", true},
		{"loopback http", "http://127.0.0.1:9001", "http://127.0.0.1:9001", true},
		{"localhost http", "http://localhost:3000", "http://localhost:3000", true},
		{"ipv6 loopback", "http://[::1]:3000", "http://[::1]:3000", true},
		{"plain http elsewhere", "http://lms.example.edu", "", false},
		{"null origin", "null", "", false},
		{"empty", "", "", false},
		{"path", "https://lms.example.edu/course", "", false},
		{"credentials", "https://a:b@lms.example.edu", "", false},
		{"directive injection", "https://lms.example.edu; script-src *", "", false},
		{"space injection", "https://lms.example.edu *", "", false},
		{"wildcard", "https://*.example.edu", "", false},
		{"other scheme", "javascript://lms.example.edu", "", false},
		{"query", "https://lms.example.edu?x=1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Origin(tt.raw)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Origin(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// origins is a Source with a fixed answer.
type origins struct {
	list []string
	err  error
}

func (o *origins) FrameOrigins(context.Context) ([]string, error) { return o.list, o.err }
func (o *origins) Listen(context.Context) (Listener, error) {
	return nil, errors.New("not listening")
}

func newList(src Source) *List {
	return New(src, policy, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestEmptyListDeniesFraming(t *testing.T) {
	l := newList(&origins{})
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := l.Headers()
	if want := policy + "; frame-ancestors 'none'"; !slices.Equal(h.CSP, []string{want}) {
		t.Errorf("CSP = %q, want %q", h.CSP, want)
	}
	if !slices.Equal(h.FrameOptions, []string{"DENY"}) {
		t.Errorf("X-Frame-Options = %q, want DENY", h.FrameOptions)
	}
}

func TestListNamesValidOriginsOnly(t *testing.T) {
	src := &origins{list: []string{"https://b.example.edu", "https://a.example.edu", "https://a.example.edu/", "http://evil.example", "https://x.example; script-src *"}}
	l := newList(src)
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := l.Headers()
	want := policy + "; frame-ancestors 'self' https://a.example.edu https://b.example.edu"
	if !slices.Equal(h.CSP, []string{want}) {
		t.Errorf("CSP = %q, want %q", h.CSP, want)
	}
	if h.FrameOptions != nil {
		t.Errorf("X-Frame-Options = %q, want none", h.FrameOptions)
	}
	if !h.Allows("https://a.example.edu") || h.Allows("http://evil.example") {
		t.Errorf("Allows: got %v", h.Origins())
	}
	if h.Local() != nil {
		t.Errorf("Local = %q, want none", h.Local())
	}
	if !l.Add("http://127.0.0.1:5557") {
		t.Fatal("a loopback LMS origin was not added")
	}
	if got := l.Headers().Local(); !slices.Equal(got, []string{"http://127.0.0.1:5557"}) {
		t.Errorf("Local = %q, want the loopback LMS", got)
	}
}

func TestLoadFailureKeepsTheList(t *testing.T) {
	src := &origins{list: []string{"https://a.example.edu"}}
	l := newList(src)
	if err := l.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	src.err = errors.New("database down")
	if err := l.Load(context.Background()); err == nil {
		t.Fatal("Load succeeded on a failing source")
	}
	if !l.Headers().Allows("https://a.example.edu") {
		t.Error("a failed load dropped the list")
	}
}

func TestAdd(t *testing.T) {
	l := newList(&origins{})
	if !l.Add("https://lms.example.edu") {
		t.Fatal("Add of a new origin reported false")
	}
	if l.Add("https://LMS.example.edu/") {
		t.Error("Add of a known origin reported true")
	}
	if l.Add("null") {
		t.Error("Add of the null origin reported true")
	}
	if got := l.Headers().Origins(); !slices.Equal(got, []string{"https://lms.example.edu"}) {
		t.Errorf("origins = %q", got)
	}
}

func BenchmarkHeaders(b *testing.B) {
	l := newList(&origins{list: []string{"https://a.example.edu"}})
	if err := l.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = l.Headers().CSP
	}
}
