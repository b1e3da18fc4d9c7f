package seal

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

var (
	oldKey   = []byte("old-secret-key-0123456789abcdef-0123")
	newKey   = []byte("new-secret-key-0123456789abcdef-0123")
	otherKey = []byte("someone-elses-key-0123456789abcdef-0")
)

type note struct {
	Text string `json:"t"`
	N    int    `json:"n"`
}

var spec = Spec{Purpose: "test note", Name: "note", MaxAge: time.Hour, MaxLength: 1024}

func mustNew[T any](t *testing.T, s Spec, keys ...[]byte) *Codec[T] {
	t.Helper()
	c, err := New[T](keys, s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoundTripAndRefusals(t *testing.T) {
	c := mustNew[note](t, spec, newKey)
	want := note{Text: "secret words", N: 7}
	v, err := c.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v, "secret") {
		t.Errorf("sealed value %q shows its contents", v)
	}
	if got, err := c.Decode(v); err != nil || got != want {
		t.Fatalf("Decode = %+v, %v; want %+v", got, err, want)
	}

	foreign, _ := mustNew[note](t, spec, otherKey).Encode(want)
	otherName := spec
	otherName.Name = "another"
	renamed, _ := mustNew[note](t, otherName, newKey).Encode(want)
	otherPurpose := spec
	otherPurpose.Purpose = "another purpose"
	repurposed, _ := mustNew[note](t, otherPurpose, newKey).Encode(want)
	tests := []struct{ name, value string }{
		{"tampered", v[:len(v)/2] + flip(v[len(v)/2]) + v[len(v)/2+1:]},
		{"truncated", v[:len(v)-10]},
		{"signed with a foreign key", foreign},
		{"sealed under another name", renamed},
		{"sealed for another purpose", repurposed},
		{"garbage", "MTcz|eyJ9|AAAA"},
		{"empty", ""},
		{"too large", strings.Repeat("A", spec.MaxLength+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := c.Decode(tt.value); !errors.Is(err, ErrRefused) {
				t.Errorf("Decode = %+v, %v; want an error wrapping ErrRefused", got, err)
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

func TestRotation(t *testing.T) {
	want := note{Text: "x", N: 1}
	old, err := mustNew[note](t, spec, oldKey).Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustNew[note](t, spec, newKey, oldKey)
	if got, err := rotated.Decode(old); err != nil || got != want {
		t.Errorf("new,old refused a value sealed with old: %+v, %v", got, err)
	}
	fresh, err := rotated.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mustNew[note](t, spec, newKey).Decode(fresh); err != nil {
		t.Errorf("a value sealed under new,old does not open with new: %v", err)
	}
	if _, err := mustNew[note](t, spec, oldKey).Decode(fresh); err == nil {
		t.Error("a value sealed under new,old opened with old alone; want the first key to seal")
	}
}

func TestMaxAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew[note](t, spec, newKey)
		v, err := c.Encode(note{N: 1})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(spec.MaxAge - time.Minute)
		if _, err := c.Decode(v); err != nil {
			t.Errorf("refused before MaxAge: %v", err)
		}
		time.Sleep(2 * time.Minute)
		if _, err := c.Decode(v); !errors.Is(err, ErrRefused) {
			t.Errorf("after MaxAge: err = %v, want ErrRefused", err)
		}
	})
}

func TestMaxLengthOnEncode(t *testing.T) {
	c := mustNew[note](t, spec, newKey)
	if _, err := c.Encode(note{Text: strings.Repeat("x", spec.MaxLength)}); err == nil {
		t.Error("Encode of a value over MaxLength succeeded")
	}
}

func TestSignOnly(t *testing.T) {
	s := spec
	s.SignOnly = true
	c := mustNew[note](t, s, newKey)
	v, err := c.Encode(note{Text: "plain words"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mustNew[note](t, spec, newKey).Decode(v); err == nil {
		t.Error("a signed-only value opened as an encrypted one")
	}
	if got, err := c.Decode(v[:len(v)-3] + "AAA"); !errors.Is(err, ErrRefused) {
		t.Errorf("tampered signed value: %+v, %v; want ErrRefused", got, err)
	}
}

func TestNewRefuses(t *testing.T) {
	if _, err := New[note](nil, spec); err == nil {
		t.Error("New with no keys succeeded")
	}
	if _, err := New[note]([][]byte{newKey}, Spec{Purpose: "p", Name: "n"}); err == nil {
		t.Error("New with no MaxAge or MaxLength succeeded")
	}
}
