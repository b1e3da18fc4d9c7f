package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/internal/seal"
)

var (
	key      = []byte("feed-secret-key-0123456789abcdef-0123")
	oldKey   = []byte("old-feed-key-0123456789abcdef-012345")
	otherKey = []byte("someone-elses-key-0123456789abcdef-0")
)

func mustTokens(t *testing.T, keys ...[]byte) *FeedTokens {
	t.Helper()
	f, err := NewFeedTokens(keys)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFeedTokenRoundTrip(t *testing.T) {
	f := mustTokens(t, key)
	want := FeedToken{UserID: 42, Generation: 3}
	raw, err := f.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Decode(raw)
	if err != nil || got != want {
		t.Fatalf("Decode = %+v, %v; want %+v", got, err, want)
	}
	if got.Revoked(3) {
		t.Error("a token of the current generation is revoked")
	}
	if !got.Revoked(4) {
		t.Error("a token of generation 3 is not revoked once the user's generation is 4")
	}
}

// TestFeedTokenRefused: altered, foreign, repurposed and malformed tokens
// are all ErrBadToken.
func TestFeedTokenRefused(t *testing.T) {
	f := mustTokens(t, key)
	raw, err := f.Encode(FeedToken{UserID: 42, Generation: 0})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := mustTokens(t, otherKey).Encode(FeedToken{UserID: 42})
	if err != nil {
		t.Fatal(err)
	}
	// The same key and the same shape, sealed for another purpose.
	other, err := seal.New[FeedToken]([][]byte{key}, seal.Spec{
		Purpose: "attempt token", Name: "calendar", MaxAge: time.Hour, MaxLength: 512, SignOnly: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	repurposed, err := other.Encode(FeedToken{UserID: 42})
	if err != nil {
		t.Fatal(err)
	}
	// A genuine signature over a token naming no user.
	codec, err := seal.New[FeedToken]([][]byte{key}, seal.Spec{
		Purpose: "calendar feed", Name: "calendar", MaxAge: FeedLifetime, MaxLength: 512, SignOnly: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	nobody, err := codec.Encode(FeedToken{UserID: 0})
	if err != nil {
		t.Fatal(err)
	}
	mid := len(raw) / 2
	tests := []struct{ name, raw string }{
		{"tampered", raw[:mid] + flip(raw[mid]) + raw[mid+1:]},
		{"truncated", raw[:len(raw)-4]},
		{"signed with a foreign key", foreign},
		{"sealed for another purpose", repurposed},
		{"no user", nobody},
		{"empty", ""},
		{"garbage", "not-a-token"},
		{"too long", strings.Repeat("A", 4096)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := f.Decode(tt.raw); !errors.Is(err, ErrBadToken) {
				t.Errorf("Decode = %+v, %v; want ErrBadToken", got, err)
			}
		})
	}
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}

// TestFeedTokenRotation: a link signed before a new key was put first
// still works while the old key is listed.
func TestFeedTokenRotation(t *testing.T) {
	want := FeedToken{UserID: 7, Generation: 1}
	old, err := mustTokens(t, oldKey).Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := mustTokens(t, key, oldKey).Decode(old); err != nil || got != want {
		t.Errorf("after rotation: %+v, %v; want %+v", got, err, want)
	}
	if _, err := mustTokens(t, key).Decode(old); !errors.Is(err, ErrBadToken) {
		t.Errorf("with the old key removed: %v; want ErrBadToken", err)
	}
}

func TestFeedTokenEncodeRefuses(t *testing.T) {
	f := mustTokens(t, key)
	for _, tok := range []FeedToken{{UserID: 0}, {UserID: -1}, {UserID: 1, Generation: -1}} {
		if raw, err := f.Encode(tok); err == nil {
			t.Errorf("Encode(%+v) = %q; want an error", tok, raw)
		}
	}
	if _, err := NewFeedTokens(nil); err == nil {
		t.Error("NewFeedTokens with no keys succeeded")
	}
}
