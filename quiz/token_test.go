package quiz

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/securecookie"
)

func TestTokenRoundTripAndRotation(t *testing.T) {
	q := mustBank(t, sampleBank)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	old := []byte("old-secret-0123456789abcdef0123456789")
	cur := []byte("new-secret-0123456789abcdef0123456789")
	oldSigner, _ := NewSigner([][]byte{old})
	rotated, _ := NewSigner([][]byte{cur, old})
	foreign, _ := NewSigner([][]byte{[]byte("someone-else-0123456789abcdef012345")})

	tok := NewToken(q, 42, now)
	if u, err := uuid.Parse(tok.AttemptID); err != nil || u.Version() != 4 || u.String() != tok.AttemptID {
		t.Errorf("attempt id %q is not a v4 UUID in canonical form", tok.AttemptID)
	}
	raw, err := oldSigner.Encode(tok)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rotated.Decode(raw, now.Add(time.Hour))
	if err != nil {
		t.Fatalf("a token signed with the old key must verify after rotation: %v", err)
	}
	if got != tok {
		t.Errorf("decoded %+v, want %+v", got, tok)
	}
	if _, err := foreign.Decode(raw, now); !errors.Is(err, ErrBadToken) {
		t.Errorf("foreign key: err = %v, want ErrBadToken", err)
	}
	tampered := raw[:len(raw)-3] + "AAA"
	if _, err := rotated.Decode(tampered, now); !errors.Is(err, ErrBadToken) {
		t.Errorf("tampered: err = %v, want ErrBadToken", err)
	}
	if _, err := rotated.Decode(raw, now.Add(TokenLifetime+time.Hour)); !errors.Is(err, ErrExpiredToken) {
		t.Errorf("old token: err = %v, want ErrExpiredToken", err)
	}
	for _, junk := range []string{"", "x", strings.Repeat("A", 5000), "a|b|c"} {
		if _, err := rotated.Decode(junk, now); !errors.Is(err, ErrBadToken) {
			t.Errorf("Decode(%.10q) err = %v, want ErrBadToken", junk, err)
		}
	}
	if a, b := NewToken(q, 1, now), NewToken(q, 1, now); a.AttemptID == b.AttemptID || a.Seed == b.Seed {
		t.Error("two attempts share an id or a seed")
	}
}

func TestTokenDeadlineFollowsTimeLimit(t *testing.T) {
	q := mustBank(t, sampleBank)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if tok := NewToken(q, 1, now); !tok.Deadline.IsZero() {
		t.Errorf("no time limit, deadline %v", tok.Deadline)
	}
	q.Settings.TimeLimit = 20 * time.Minute
	if tok := NewToken(q, 1, now); !tok.Deadline.Equal(now.Add(20 * time.Minute)) {
		t.Errorf("deadline %v, want start + 20m", tok.Deadline)
	}
}

// TestTokenOfEarlierReleases: a token signed the way releases before
// package seal signed it still verifies, so an attempt in progress
// survives the deploy.
func TestTokenOfEarlierReleases(t *testing.T) {
	q := mustBank(t, sampleBank)
	key := []byte("new-secret-0123456789abcdef0123456789")
	now := time.Now()
	hashKey, _ := hkdf.Key(sha256.New, key, nil, "twelve attempt token v1", 64)
	old := securecookie.New(hashKey, nil).SetSerializer(securecookie.JSONEncoder{})
	tok := NewToken(q, 42, now)
	raw, err := old.Encode("attempt", tok)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner([][]byte{key})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Decode(raw, now); err != nil || got != tok {
		t.Errorf("Decode of an earlier release's token = %+v, %v; want %+v", got, err, tok)
	}
}

func TestStartTokenDrawsBySeedOfUserQuizAndNumber(t *testing.T) {
	q := mustBank(t, sampleBank)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	key := []byte("start-secret-0123456789abcdef0123456789")
	s1, _ := NewSigner([][]byte{key})
	s2, _ := NewSigner([][]byte{key, []byte("older-secret-0123456789abcdef01234567")})
	other, _ := NewSigner([][]byte{[]byte("other-secret-0123456789abcdef01234567")})

	a, b := s1.StartToken(q, 7, 1, now), s2.StartToken(q, 7, 1, now.Add(time.Hour))
	if a.Seed != b.Seed || a.No != 1 {
		t.Errorf("attempt 1 of user 7 drew seeds %d and %d (no %d); want one seed, whatever process or time", a.Seed, b.Seed, a.No)
	}
	if a.AttemptID == b.AttemptID {
		t.Error("two recorded starts share an attempt id")
	}
	for name, tok := range map[string]Token{
		"another number": s1.StartToken(q, 7, 2, now),
		"another user":   s1.StartToken(q, 8, 1, now),
		"another key":    other.StartToken(q, 7, 1, now),
	} {
		if tok.Seed == a.Seed {
			t.Errorf("%s draws the same seed", name)
		}
	}
}

func TestStartCountsAndOpen(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		limit   int
		minutes int
		counts  bool
	}{
		{"neither limit", 0, 0, false},
		{"attempt limit", 2, 0, true},
		{"time limit", 0, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			s.AttemptLimit, s.TimeLimit = tt.limit, time.Duration(tt.minutes)*time.Minute
			if got := s.StartCounts(); got != tt.counts {
				t.Errorf("StartCounts = %v, want %v", got, tt.counts)
			}
			tok := Token{Started: now, Deadline: s.Deadline(now)}
			if !s.Open(tok, now.Add(time.Duration(tt.minutes)*time.Minute+s.Grace)) {
				t.Error("closed at its deadline plus grace, want open")
			}
			end := tok.Deadline.Add(s.Grace + time.Second)
			if tok.Deadline.IsZero() {
				end = now.Add(TokenLifetime + time.Second)
			}
			if s.Open(tok, end) {
				t.Errorf("open at %v, want closed", end)
			}
		})
	}
}
