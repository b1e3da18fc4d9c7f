package handlers

import (
	"net/http"
	"testing"
)

// TestSignedInPagesAreNotStored: a page that names who is signed in must
// not be kept by the browser or a proxy (the next person at a shared
// computer could page back to it); signed-out pages keep their caching and
// assets stay immutable either way.
func TestSignedInPagesAreNotStored(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ada := a.signIn("ada", "ada@example.edu")
	tests := []struct {
		name string
		who  *student
		path string
		want string
	}{
		{"home signed in", &ada, "/", "no-store"},
		{"lesson signed in", &ada, "/lessons/config", "no-store"},
		{"factors signed in", &ada, "/factors", "no-store"},
		{"not found signed in", &ada, "/no-such-page", "no-store"},
		{"home signed out", nil, "/", "private, no-cache"},
		{"lesson signed out", nil, "/lessons/config", "private, no-cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := a.get(tt.who, tt.path)
			if got := w.Header().Get("Cache-Control"); got != tt.want {
				t.Errorf("GET %s: Cache-Control = %q, want %q (status %d)", tt.path, got, tt.want, w.Code)
			}
		})
	}
	w := a.get(&ada, "/lessons/config")
	if w.Code != http.StatusOK {
		t.Fatalf("lesson = %d", w.Code)
	}
}
