package handlers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twelve-course/twelve/auth"
)

// TestIdentityCacheNeverOutlivesTheIdentity: a verified cookie is
// remembered, but not past its identity's expiry nor past the cache's
// lifetime, and a refused one is not remembered at all.
func TestIdentityCacheNeverOutlivesTheIdentity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cookies := mustCookies(t, []byte("cache-test-secret-0123456789abcdef-0123"))
		var cache identityCache
		short, err := cookies.EncodeIdentity(auth.Identity{UserID: 1, Subject: "s", SignedInAt: time.Now(), IssuedAt: time.Now(), Expires: time.Now().Add(30 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if id, err := cache.decode(cookies, short); err != nil || id.UserID != 1 {
			t.Fatalf("fresh cookie: %+v, %v", id, err)
		}
		time.Sleep(29 * time.Second)
		if id, err := cache.decode(cookies, short); err != nil || id.UserID != 1 {
			t.Fatalf("cached cookie: %+v, %v", id, err)
		}
		time.Sleep(2 * time.Second)
		if _, err := cache.decode(cookies, short); err == nil {
			t.Error("an expired identity was still accepted from the cache")
		}
		if _, err := cache.decode(cookies, short[:len(short)-2]+"xx"); err == nil {
			t.Error("a tampered cookie was accepted")
		}
		if len(cache.m) != 1 {
			t.Errorf("cache holds %d entries, want only the one verified cookie", len(cache.m))
		}

		// An entry is trusted for identityCacheTTL, then verified again:
		// here by a process that no longer holds the key it was signed with.
		long, err := cookies.EncodeIdentity(auth.Identity{UserID: 2, Subject: "s", SignedInAt: time.Now(), IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cache.decode(cookies, long); err != nil {
			t.Fatal(err)
		}
		rotated := mustCookies(t, []byte("another-secret-0123456789abcdef-0123456"))
		time.Sleep(identityCacheTTL - time.Second)
		if _, err := cache.decode(rotated, long); err != nil {
			t.Errorf("within the cache's lifetime: %v, want the remembered identity", err)
		}
		time.Sleep(2 * time.Second)
		if _, err := cache.decode(rotated, long); err == nil {
			t.Error("an entry was trusted past the cache's lifetime")
		}
	})
}

// BenchmarkIdentityDecode compares reading an identity cookie with and
// without the cache; BenchmarkSignedInLessonPage puts the difference in
// proportion.
//
//	go test ./handlers -run '^$' -bench 'IdentityDecode|SignedInLessonPage' -benchmem
func BenchmarkIdentityDecode(b *testing.B) {
	cookies := mustCookies(b, []byte("bench-secret-0123456789abcdef-0123456789"))
	value, err := cookies.EncodeIdentity(auth.Identity{
		UserID: 42, Issuer: "https://idp.example.edu", Subject: "student-ada", Name: "Ada Lovelace",
		Email: "ada@example.edu", EmailVerified: true, SignedInAt: time.Now(), IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cookies.DecodeIdentity(value); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		var cache identityCache
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cache.decode(cookies, value); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSignedInLessonPage(b *testing.B) {
	app := newCourseAppLogging(b, nil, nil, io.Discard)
	cookie, err := mustCookies(b, []byte("course-test-secret-0123456789abcdef-0123")).EncodeIdentity(auth.Identity{
		UserID: 42, Issuer: "https://idp.example.edu", Subject: "student-ada", Name: "Ada Lovelace",
		Email: "ada@example.edu", EmailVerified: true, SignedInAt: time.Now(), IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour),
	})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/lessons/codebase", nil).WithContext(context.Background())
	req.AddCookie(&http.Cookie{Name: auth.IdentityCookie, Value: cookie})
	w := httptest.NewRecorder()
	app.e.ServeHTTP(w, req)
	if !strings.Contains(w.Body.String(), `data-testid="viewer-name"`) {
		b.Fatal("the lesson page is not signed in")
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		app.e.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("GET /lessons/codebase = %d", w.Code)
		}
	}
}
