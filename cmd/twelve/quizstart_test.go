package main

import (
	"context"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// TestLimitedStartAcrossProcesses: lesson VI's quiz is timed and limited in
// the drill build. Started on one web process, started again on another,
// and again after the first is stopped and started anew, it is the same
// attempt — id, seed, deadline — recorded once.
func TestLimitedStartAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	dbURL := storetest.NewURL(t)
	pool, err := store.Open(ctx, dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)
	u, err := st.UpsertUser(ctx, "https://idp.test", "ada", "ada@example.edu", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	cookies, err := auth.NewCookies([][]byte{[]byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	identity, err := cookies.EncodeIdentity(auth.Identity{UserID: u.ID, Issuer: "https://idp.test", Subject: "ada",
		Name: "Ada", Email: "ada@example.edu", EmailVerified: true,
		SignedInAt: time.Now(), IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := quiz.NewSigner([][]byte{[]byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := func(base string) quiz.Token {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/lessons/processes/quiz", nil)
		req.AddCookie(&http.Cookie{Name: auth.IdentityCookie, Value: identity})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc == nil {
			t.Fatalf("start on %s = %d to %q, want 303 to the form", base, resp.StatusCode, resp.Header.Get("Location"))
		}
		tok, err := signer.Decode(loc.Query().Get("attempt"), time.Now())
		if err != nil {
			t.Fatalf("start on %s: token: %v", base, err)
		}
		return tok
	}
	same := func(where string, got, want quiz.Token) {
		t.Helper()
		if got.AttemptID != want.AttemptID || got.Seed != want.Seed || !got.Deadline.Equal(want.Deadline) || got.No != 1 {
			t.Errorf("start %s = %+v, want the same attempt %+v", where, got, want)
		}
	}

	first, baseA := startWeb(t, baseEnv(dbURL))
	_, baseB := startWeb(t, baseEnv(dbURL))
	tok := start(baseA)
	if tok.No != 1 || !tok.Deadline.Equal(tok.Started.Add(10*time.Minute)) {
		t.Fatalf("first start = %+v, want attempt 1 due ten minutes after it began", tok)
	}
	same("on another process", start(baseB), tok)

	first.Signal(t, syscall.SIGTERM)
	if err := first.Wait(t, 30*time.Second); err != nil {
		t.Fatalf("stopping the first process: %v", err)
	}
	_, baseC := startWeb(t, baseEnv(dbURL))
	same("on a process started since", start(baseC), tok)

	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM attempt_starts`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d starts recorded (%v), want 1", n, err)
	}
}
