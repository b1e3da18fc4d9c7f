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

// binary is the real twelve binary, built once for these tests with the
// `drill` tag, which adds only a deliberately slow route.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "twelve-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "twelve")
	build := exec.Command("go", "build", "-tags", "drill", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building twelve:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testSecret = "test-secret-key-0123456789abcdef0123"

// baseEnv is a valid environment for a process on databaseURL.
func baseEnv(databaseURL string, port int) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + databaseURL,
		"SECRET_KEY=" + testSecret,
		fmt.Sprintf("PORT=%d", port),
	}
}

// startWeb runs `twelve web` and waits until /healthz answers 200.
func startWeb(t testing.TB, env []string) (*exec.Cmd, string, *proctest.Output) {
	t.Helper()
	var port string
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PORT="); ok {
			port = p
		}
	}
	out := &proctest.Output{}
	cmd := exec.Command(binary, "web")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, base, out
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("twelve web did not answer /healthz within 15s; output:\n%s", out)
	return nil, "", nil
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
	cmd.Env = baseEnv(dbURL, proctest.FreePort(t))
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
	cmd.Env = baseEnv(dbURL, 8080)
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
	env := append(baseEnv(dbURL, proctest.FreePort(t)), "DRAIN_TIMEOUT=10s")
	cmd, base, out := startWeb(t, env)

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
	// Let the requests reach their handlers, then stop the process the way
	// Heroku does: SIGTERM, possibly twice.
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)

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
	if err := cmd.Wait(); err != nil {
		t.Fatalf("process exit: %v, want exit 0; output:\n%s", err, out)
	}
	logs := out.String()
	for _, want := range []string{`"msg":"draining"`, `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if n := strings.Count(logs, `"path":"/_drill/sleep","status":200`); n != inFlight {
		t.Errorf("logged %d completed slow requests, want %d", n, inFlight)
	}
}
