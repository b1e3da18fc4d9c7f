package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/store/storetest"
)

// binary is the real twelve binary, built for these tests with the `drill`
// tag, which adds a deliberately slow route and makes lesson VI's quiz timed
// and limited to two attempts (drill_on.go).
var binary string

func TestMain(m *testing.M) {
	var err error
	if binary, err = proctest.Build("github.com/twelve-course/twelve/cmd/twelve", "-tags", "drill"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	proctest.RemoveBuilds()
	os.Exit(code)
}

const testSecret = "test-secret-key-0123456789abcdef0123"

// baseEnv is a valid environment for a process on databaseURL, binding any
// free port.
func baseEnv(databaseURL string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + databaseURL,
		"SECRET_KEY=" + testSecret,
		"PORT=0",
	}
}

// startWeb runs `twelve web` and returns it with its base URL, read from
// its "listening" event.
func startWeb(t testing.TB, env []string) (*proctest.Process, string) {
	t.Helper()
	cmd := exec.Command(binary, "web")
	cmd.Env = env
	p := proctest.Start(t, "twelve web", cmd)
	return p, "http://" + p.Addr(t, 15*time.Second)
}

func TestWebRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"short secret", []string{"DATABASE_URL=postgres://localhost/x", "SECRET_KEY=short"}, "twelve: SECRET_KEY must be at least 32 bytes (key 1 has 5)\n"},
		{"no database", []string{"SECRET_KEY=" + testSecret}, "twelve: DATABASE_URL must be set to a PostgreSQL URL (postgres://user:pass@host:5432/db)\n"},
		{"no secret", []string{"DATABASE_URL=postgres://localhost/x"}, "twelve: SECRET_KEY must be set to at least 32 bytes (e.g. openssl rand -hex 32)\n"},
		{"published secret", []string{"DATABASE_URL=postgres://localhost/x", "SECRET_KEY=replace-with-output-of-openssl-rand-hex-32"}, "twelve: SECRET_KEY must be a secret: key 1 is an example published with Twelve's source; generate one with openssl rand -hex 32\n"},
		{"guessable secret", []string{"DATABASE_URL=postgres://localhost/x", "SECRET_KEY=" + strings.Repeat("password", 5)}, "twelve: SECRET_KEY must be random: key 1 is too easy to guess (about 22 bits, want 80); generate one with openssl rand -hex 32\n"},
		{"bad port", []string{"DATABASE_URL=postgres://localhost/x", "SECRET_KEY=" + testSecret, "PORT=http"}, "twelve: PORT must be a whole number from 0 to 65535\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(binary, "web")
			cmd.Env = tt.env
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code == 0 {
				t.Fatalf("exit code = 0 (err %v), want non-zero", err)
			}
			if got := stderr.String(); got != tt.want {
				t.Errorf("stderr = %q, want %q", got, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing: the process must not start half-configured", stdout.String())
			}
		})
	}
}

func TestWebRefusesSchemaBehind(t *testing.T) {
	dbURL := storetest.NewEmptyURL(t)
	var out bytes.Buffer
	cmd := exec.Command(binary, "web")
	cmd.Env = baseEnv(dbURL)
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run()
	if cmd.ProcessState.ExitCode() == 0 {
		t.Fatal("web served on an unmigrated database")
	}
	if !strings.Contains(out.String(), "run `twelve migrate`") {
		t.Errorf("output %q does not tell the operator to run twelve migrate", out.String())
	}
}

func runMigrateProcess(t *testing.T, dbURL string) (string, error) {
	cmd := exec.Command(binary, "migrate")
	cmd.Env = baseEnv(dbURL)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	t.Run("twice in a row", func(t *testing.T) {
		dbURL := storetest.NewEmptyURL(t)
		for i := range 2 {
			if out, err := runMigrateProcess(t, dbURL); err != nil {
				t.Fatalf("migrate run %d: %v\n%s", i+1, err, out)
			}
		}
		checkOneSchema(t, dbURL)
	})
	t.Run("two at once", func(t *testing.T) {
		dbURL := storetest.NewEmptyURL(t)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		outs := make([]string, 2)
		for i := range 2 {
			wg.Go(func() { outs[i], errs[i] = runMigrateProcess(t, dbURL) })
		}
		wg.Wait()
		for i := range 2 {
			if errs[i] != nil {
				t.Errorf("migrate process %d: %v\n%s", i+1, errs[i], outs[i])
			}
		}
		checkOneSchema(t, dbURL)
	})
}

// checkOneSchema asserts each migration was applied exactly once.
func checkOneSchema(t *testing.T, dbURL string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	files, err := filepath.Glob("../../migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files found: %v", err)
	}
	var applied, distinct int
	err = conn.QueryRow(ctx, "SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0").Scan(&applied, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(files) || distinct != len(files) {
		t.Errorf("goose_db_version has %d rows (%d distinct), want %d: one per migration", applied, distinct, len(files))
	}
	for _, table := range []string{"users", "attempts", "responses", "grades", "processes", "quiz_versions"} {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil || !exists {
			t.Errorf("table %s missing after migrate (err %v)", table, err)
		}
	}
}

func TestGracefulStopFinishesRequestsInFlight(t *testing.T) {
	dbURL := storetest.NewURL(t)
	env := append(baseEnv(dbURL), "DRAIN_TIMEOUT=10s")
	p, base := startWeb(t, env)

	const inFlight = 5
	type result struct {
		status int
		body   string
		err    error
	}
	results := make(chan result, inFlight)
	for range inFlight {
		go func() {
			resp, err := http.Get(base + "/_drill/sleep?ms=1500")
			if err != nil {
				results <- result{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			results <- result{status: resp.StatusCode, body: string(b), err: err}
		}()
	}
	// Once every request is in its handler, stop the process the way
	// Heroku does: SIGTERM, possibly twice.
	sleeping := 0
	if p.WaitEvent(10*time.Second, func(ev proctest.Event) bool {
		if ev["msg"] == "drill sleeping" {
			sleeping++
		}
		return sleeping == inFlight
	}) == nil {
		t.Fatalf("%d of %d requests reached their handler", sleeping, inFlight)
	}
	p.Signal(t, syscall.SIGTERM)
	if p.WaitEvent(10*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "stopped accepting" }) == nil {
		t.Fatal("no stopped accepting event after SIGTERM")
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)

	// A new connection after SIGTERM is refused: the listener is closed.
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("a new request after SIGTERM got %d, want the connection refused", resp.StatusCode)
	}
	for range inFlight {
		r := <-results
		if r.err != nil || r.status != http.StatusOK || r.body != "slept 1500ms" {
			t.Errorf("in-flight request: status %d body %q err %v, want 200 \"slept 1500ms\"", r.status, r.body, r.err)
		}
	}
	if err := p.Wait(t, 15*time.Second); err != nil {
		t.Fatalf("process exit: %v, want exit 0", err)
	}
	logs := p.Out.String()
	for _, want := range []string{`"msg":"draining"`, `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if n := strings.Count(logs, `"path":"/_drill/sleep","status":200`); n != inFlight {
		t.Errorf("logged %d completed slow requests, want %d", n, inFlight)
	}
}
