package auth

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeCookies: whatever a browser sends as Twelve's cookies, decoding
// never panics, refuses with ErrCookie, and accepts only values this key
// signed: a forged or altered identity never decodes.
func FuzzDecodeCookies(f *testing.F) {
	c := mustCookies(f, []byte("fuzz-secret-0123456789abcdef-0123456"))
	id, _ := c.EncodeIdentity(Identity{UserID: 7, Issuer: "https://idp.test", Subject: "ada", Email: "ada@example.edu", Expires: time.Now().Add(time.Hour)})
	flow, _ := c.EncodeFlow(Flow{State: "s", Nonce: "n", Verifier: "v", Next: "/", Expires: time.Now().Add(time.Hour)})
	hint, _ := c.EncodeHint("header.payload.signature", time.Now().Add(time.Hour))
	for _, seed := range []string{id, flow, hint, "", "MTcz|eyJ9|AAAA", id[:len(id)/2], strings.Repeat("A", 4000)} {
		f.Add(seed)
	}
	// Each fuzzing process signs its own seeds (new IV and timestamp), so an
	// accepted value is judged by what it says: only what this key signed.
	f.Fuzz(func(t *testing.T, raw string) {
		if got, err := c.DecodeIdentity(raw); err == nil {
			if got.UserID != 7 || got.Subject != "ada" {
				t.Fatalf("accepted an identity cookie this key did not sign: %q → %+v", raw, got)
			}
		} else if !errors.Is(err, ErrCookie) {
			t.Fatalf("identity: error %v does not wrap ErrCookie", err)
		}
		if got, err := c.DecodeFlow(raw); err == nil && got.State != "s" {
			t.Fatalf("accepted a flow cookie this key did not sign: %q → %+v", raw, got)
		}
		if got, err := c.DecodeHint(raw); err == nil && got != "header.payload.signature" {
			t.Fatalf("accepted a hint cookie this key did not sign: %q → %q", raw, got)
		}
	})
}

// FuzzSafeNext: whatever ?next= holds, SafeNext returns a path on this
// site: never one a browser reads as another origin.
func FuzzSafeNext(f *testing.F) {
	for _, seed := range []string{"/", "/lessons/config?x=1#y", "//evil.example", "/\\evil.example", "https://evil.example/", "/%2F%2Fevil", "/\t/evil", "javascript:alert(1)", "/login?next=/x", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := SafeNext(raw)
		if got != "/" && got != raw {
			t.Fatalf("SafeNext(%q) = %q: neither the input nor /", raw, got)
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\x00\r\n\t") {
			t.Fatalf("SafeNext(%q) = %q, which a browser may read as another origin", raw, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("SafeNext(%q) = %q parses to host %q scheme %q (err %v)", raw, got, u.Host, u.Scheme, err)
		}
		// What a browser resolves it to stays on this site.
		base, _ := url.Parse("https://twelve.example/lessons/")
		if r := base.ResolveReference(u); r.Host != base.Host {
			t.Fatalf("SafeNext(%q) = %q resolves to %s", raw, got, r)
		}
	})
}
