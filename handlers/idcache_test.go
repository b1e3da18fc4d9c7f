package handlers

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/twelve-course/twelve/auth"
)

// TestIdentityCacheNeverOutlivesTheIdentity: a verified cookie is
// remembered, but not past its identity's expiry, and a refused one is not
// remembered at all.
func TestIdentityCacheNeverOutlivesTheIdentity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cookies := auth.NewCookies([][]byte{[]byte("cache-test-secret-0123456789abcdef-0123")})
		var cache identityCache
		short, err := cookies.EncodeIdentity(auth.Identity{UserID: 1, Subject: "s", Expires: time.Now().Add(300 * time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
		if id, err := cache.decode(cookies, short); err != nil || id.UserID != 1 {
			t.Fatalf("fresh cookie: %+v, %v", id, err)
		}
		if id, err := cache.decode(cookies, short); err != nil || id.UserID != 1 {
			t.Fatalf("cached cookie: %+v, %v", id, err)
		}
		time.Sleep(350 * time.Millisecond) // synctest time: no real wait
		if _, err := cache.decode(cookies, short); err == nil {
			t.Error("an expired identity was still accepted from the cache")
		}
		if _, err := cache.decode(cookies, short[:len(short)-2]+"xx"); err == nil {
			t.Error("a tampered cookie was accepted")
		}
		if len(cache.m) != 1 {
			t.Errorf("cache holds %d entries, want only the one verified cookie", len(cache.m))
		}
	})
}
