package main

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/twelve-course/twelve/store/storetest"
)

// TestRateLimitPerClientBehindRouter: through the real server, as Heroku's
// router reaches it (from loopback, each client's address appended to
// X-Forwarded-For), one client that floods /login is refused with 429 and
// Retry-After, writing a hop of its own in front does not give it a fresh
// budget, and another client behind the same router still signs in.
func TestRateLimitPerClientBehindRouter(t *testing.T) {
	_, base := startWeb(t, baseEnv(storetest.NewURL(t)))
	get := func(xff string) *http.Response {
		t.Helper()
		req, err := http.NewRequest("GET", base+"/login", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	const flooder, other = "203.0.113.7", "198.51.100.9"
	limited := 0
	for i := 1; i <= 2000; i++ {
		if resp := get(flooder); resp.StatusCode == http.StatusTooManyRequests {
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			limited = i
			break
		}
	}
	if limited == 0 {
		t.Fatal("2000 sign-in requests from one client were all served")
	}
	t.Logf("client %s limited at request %d", flooder, limited)
	// The budget refills at a few requests a second, so a slow machine may
	// let one through now and then; a fresh budget would let all through.
	const tries = 20
	start, served := time.Now(), 0
	for i := range tries {
		if get(fmt.Sprintf("10.9.9.%d, 192.0.2.%d, %s", i, i, flooder)).StatusCode != http.StatusTooManyRequests {
			served++
		}
	}
	if most := 1 + int(5*time.Since(start).Seconds()); served > most {
		t.Errorf("with hops of its own in front, the limited client was served %d of %d times, want at most %d (its refill)", served, tries, most)
	}
	if resp := get(other); resp.StatusCode == http.StatusTooManyRequests {
		t.Errorf("another client behind the same router = 429")
	}
}
