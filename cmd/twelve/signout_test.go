package main

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/store/storetest"
)

// TestSignOutReachesEveryWebProcess runs two web processes on one
// database. A cookie signed out on A, or by `twelve admin sign-out`, is
// refused on B as soon as B logs that it heard the sign-out; a sign-out B
// never heard of (NOTIFY missed while its listener was down) is loaded
// when the listener reconnects.
func TestSignOutReachesEveryWebProcess(t *testing.T) {
	dbURL := storetest.NewURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	a, baseA := startWeb(t, baseEnv(dbURL))
	b, baseB := startWeb(t, baseEnv(dbURL))
	for _, p := range []*proctest.Process{a, b} {
		if waitMsg(p, "sign-out listener connected", 1) == nil {
			t.Fatalf("%s: no sign-out listener connected", p.Name)
		}
	}
	cookies, err := auth.NewCookies([][]byte{[]byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	// signIn makes a users row and mints its identity cookie, as a sign-in
	// on any process with the same SECRET_KEY would.
	signIn := func(subject, email string) (int64, string) {
		t.Helper()
		var id int64
		var at time.Time
		err := conn.QueryRow(ctx, `INSERT INTO users (issuer, subject, email, name) VALUES ('https://idp.test', $1, $2, $1)
			ON CONFLICT (issuer, subject) DO UPDATE SET last_login_at = now() RETURNING id, last_login_at`, subject, email).Scan(&id, &at)
		if err != nil {
			t.Fatal(err)
		}
		value, err := cookies.EncodeIdentity(auth.Lifetime{Idle: 30 * time.Minute, Max: 12 * time.Hour}.Start(auth.Identity{
			UserID: id, Issuer: "https://idp.test", Subject: subject, Name: subject, Email: email, EmailVerified: true,
		}, at))
		if err != nil {
			t.Fatal(err)
		}
		return id, value
	}
	client := noRedirectClient()
	me := func(base, cookie string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/me", nil)
		req.AddCookie(&http.Cookie{Name: auth.IdentityCookie, Value: cookie})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	heard := func(p *proctest.Process, user int64) {
		t.Helper()
		if p.WaitEvent(10*time.Second, func(ev proctest.Event) bool {
			return ev["msg"] == "sign-out heard" && ev["user_id"] == float64(user)
		}) == nil {
			t.Fatalf("%s did not hear user %d's sign-out within 10 s", p.Name, user)
		}
	}

	t.Run("sign out on A", func(t *testing.T) {
		ada, cookie := signIn("ada", "ada@example.edu")
		if code, _ := me(baseB, cookie); code != http.StatusOK {
			t.Fatalf("before sign-out, B /me = %d, want 200", code)
		}
		req, _ := http.NewRequest(http.MethodPost, baseA+"/logout", nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.AddCookie(&http.Cookie{Name: auth.IdentityCookie, Value: cookie})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST /logout on A = %d, want 303", resp.StatusCode)
		}
		if code, _ := me(baseA, cookie); code != http.StatusSeeOther {
			t.Errorf("on A itself, right after sign-out, /me = %d, want 303", code)
		}
		heard(b, ada)
		code, loc := me(baseB, cookie)
		if code != http.StatusSeeOther || loc != "/signed-out?next=%2Fme&why=everywhere" {
			t.Errorf("after sign-out on A, B /me = %d to %q, want 303 to the signed-out page (why=everywhere)", code, loc)
		}
		_, fresh := signIn("ada", "ada@example.edu")
		if code, _ := me(baseB, fresh); code != http.StatusOK {
			t.Errorf("a new sign-in after the sign-out: B /me = %d, want 200", code)
		}
	})

	t.Run("twelve admin sign-out", func(t *testing.T) {
		ines, cookie := signIn("ines", "ines@example.edu")
		if code, _ := me(baseB, cookie); code != http.StatusOK {
			t.Fatalf("before sign-out, B /me = %d, want 200", code)
		}
		cmd := exec.Command(binary, "admin", "sign-out", "Ines@Example.edu")
		cmd.Env = baseEnv(dbURL)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "signed out: ines@example.edu") {
			t.Fatalf("admin sign-out: %v\n%s", err, out)
		}
		heard(b, ines)
		heard(a, ines)
		for _, base := range []string{baseA, baseB} {
			if code, _ := me(base, cookie); code != http.StatusSeeOther {
				t.Errorf("after admin sign-out, %s /me = %d, want 303", base, code)
			}
		}
	})

	t.Run("missed notification, reloaded on reconnect", func(t *testing.T) {
		brook, cookie := signIn("brook", "brook@example.edu")
		// A sign-out whose notification B never gets.
		if _, err := conn.Exec(ctx, `UPDATE users SET signed_out_at = now() WHERE id = $1`, brook); err != nil {
			t.Fatal(err)
		}
		if code, _ := me(baseB, cookie); code != http.StatusOK {
			t.Fatalf("with the notification missed, B /me = %d; want 200, or this test proves nothing", code)
		}
		if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'twelve sign-out listener'`); err != nil {
			t.Fatal(err)
		}
		for _, p := range []*proctest.Process{a, b} {
			if waitMsg(p, "sign-out listener connected", 2) == nil {
				t.Fatalf("%s: the sign-out listener did not reconnect", p.Name)
			}
		}
		if code, _ := me(baseB, cookie); code != http.StatusSeeOther {
			t.Errorf("after B's listener reconnected, B /me = %d, want 303: the sign-out was not loaded", code)
		}
	})
}

// waitMsg waits up to 15 s for the nth event with msg.
func waitMsg(p *proctest.Process, msg string, nth int) proctest.Event {
	seen := 0
	return p.WaitEvent(15*time.Second, func(ev proctest.Event) bool {
		if ev["msg"] == msg {
			seen++
		}
		return seen == nth
	})
}

func noRedirectClient() *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
