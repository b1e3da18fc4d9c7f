package auth

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/securecookie"
)

var (
	oldKey   = []byte("old-secret-key-0123456789abcdef-0123")
	newKey   = []byte("new-secret-key-0123456789abcdef-0123")
	otherKey = []byte("someone-elses-key-0123456789abcdef-0")
)

func sampleIdentity(expires time.Time) Identity {
	return Identity{
		UserID: 42, Issuer: "https://idp.example", Subject: "student-ada",
		Name: "Ada Lovelace", Email: "ada@example.edu", EmailVerified: true,
		Group: "instructors", Granted: true, SignedInAt: expires.Add(-time.Hour).Round(0).UTC(), IssuedAt: expires.Add(-time.Hour).Round(0).UTC(), Expires: expires.Round(0).UTC(),
	}
}

func TestIdentityCookieRoundTrip(t *testing.T) {
	c := mustCookies(t, newKey)
	want := sampleIdentity(time.Now().Add(time.Hour))
	value, err := c.EncodeIdentity(want)
	if err != nil {
		t.Fatalf("EncodeIdentity: %v", err)
	}
	if strings.Contains(value, "Ada") || strings.Contains(value, "example.edu") {
		t.Errorf("cookie value %q shows its contents; want them encrypted", value)
	}
	got, err := c.DecodeIdentity(value)
	if err != nil {
		t.Fatalf("DecodeIdentity: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DecodeIdentity mismatch (-want +got):\n%s", diff)
	}
}

func TestIdentityCookieRefused(t *testing.T) {
	signer := mustCookies(t, newKey)
	valid, err := signer.EncodeIdentity(sampleIdentity(time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	expired, err := signer.EncodeIdentity(sampleIdentity(time.Now().Add(-time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := mustCookies(t, otherKey).EncodeIdentity(sampleIdentity(time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	flow, err := signer.EncodeFlow(Flow{State: "s", Nonce: "n", Verifier: "v", Expires: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		value string
	}{
		{"tampered", tamper(valid)},
		{"truncated", valid[:len(valid)-10]},
		{"expired", expired},
		{"signed with a foreign key", foreign},
		{"another cookie's value", flow},
		{"garbage", "not-a-cookie"},
		{"empty", ""},
		{"huge", strings.Repeat("A", 5000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := signer.DecodeIdentity(tt.value)
			if !errors.Is(err, ErrCookie) {
				t.Errorf("DecodeIdentity = %+v, %v; want an error wrapping ErrCookie", got, err)
			}
		})
	}
}

// tamper flips one character in the middle of a cookie value.
func tamper(v string) string {
	b := []byte(v)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestKeyRotation(t *testing.T) {
	id := sampleIdentity(time.Now().Add(time.Hour))
	oldValue, err := mustCookies(t, oldKey).EncodeIdentity(id)
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustCookies(t, newKey, oldKey)
	if _, err := rotated.DecodeIdentity(oldValue); err != nil {
		t.Errorf("SECRET_KEY=new,old refused a cookie signed with old: %v", err)
	}
	newValue, err := rotated.EncodeIdentity(id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mustCookies(t, newKey).DecodeIdentity(newValue); err != nil {
		t.Errorf("a cookie issued under new,old is not signed with new: %v", err)
	}
	if _, err := mustCookies(t, oldKey).DecodeIdentity(newValue); err == nil {
		t.Error("a cookie issued under new,old decoded with old alone; want the first key to sign")
	}
}

func TestFlowCookie(t *testing.T) {
	c := mustCookies(t, newKey)
	want := Flow{State: "st", Nonce: "no", Verifier: "pv", RedirectURL: "http://127.0.0.1/auth/callback", Next: "/lessons/config", Expires: time.Now().Add(FlowTTL).Round(0).UTC()}
	value, err := c.EncodeFlow(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.DecodeFlow(value)
	if err != nil {
		t.Fatalf("DecodeFlow: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DecodeFlow mismatch (-want +got):\n%s", diff)
	}

	stale := want
	stale.Expires = time.Now().Add(-time.Second)
	value, err = c.EncodeFlow(stale)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DecodeFlow(value); !errors.Is(err, ErrCookie) {
		t.Errorf("DecodeFlow(older than %v) error = %v, want ErrCookie", FlowTTL, err)
	}
}

func TestHintCookie(t *testing.T) {
	c := mustCookies(t, newKey)
	expires := time.Now().Add(time.Hour)
	value, err := c.EncodeHint("header.payload.signature", expires)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.DecodeHint(value); err != nil || got != "header.payload.signature" {
		t.Errorf("DecodeHint = %q, %v; want the token back", got, err)
	}
	if _, err := c.EncodeHint(strings.Repeat("x", 4000), expires); err == nil {
		t.Error("EncodeHint of a 4000-byte token succeeded; want it refused as too large for a cookie")
	}
}

func TestNoKeys(t *testing.T) {
	if c, err := NewCookies(nil); err == nil {
		t.Errorf("NewCookies with no keys = %v; want an error", c)
	}
}

func mustCookies(tb testing.TB, keys ...[]byte) *Cookies {
	tb.Helper()
	c, err := NewCookies(keys)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestIdentityCookieOfEarlierReleases: an identity cookie sealed the way
// releases before package seal sealed it still decodes, so deploying this
// signs no one out.
func TestIdentityCookieOfEarlierReleases(t *testing.T) {
	hashKey, _ := hkdf.Key(sha256.New, newKey, nil, "twelve cookie hmac-sha256 v1", 32)
	blockKey, _ := hkdf.Key(sha256.New, newKey, nil, "twelve cookie aes-256 v1", 32)
	old := securecookie.New(hashKey, blockKey).SetSerializer(securecookie.JSONEncoder{})
	want := sampleIdentity(time.Now().Add(time.Hour))
	value, err := old.Encode(IdentityCookie, want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := mustCookies(t, newKey).DecodeIdentity(value)
	if err != nil {
		t.Fatalf("DecodeIdentity of an earlier release's cookie: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestWireName(t *testing.T) {
	tests := []struct {
		name, path string
		https      bool
		want       string
	}{
		{IdentityCookie, "/", false, "twelve_id"},
		{IdentityCookie, "/", true, "__Host-twelve_id"},
		{FlowCookie, FlowPath, true, "__Secure-twelve_signin"},
		{FlowCookie, FlowPath, false, "twelve_signin"},
	}
	for _, tt := range tests {
		if got := WireName(tt.name, tt.path, tt.https); got != tt.want {
			t.Errorf("WireName(%q, %q, %v) = %q, want %q", tt.name, tt.path, tt.https, got, tt.want)
		}
	}
}
