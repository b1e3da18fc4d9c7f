package deploy

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/store/storetest"
)

const testSecret = "deploy-test-secret-key-0123456789abcdef"

// readProcfile returns the Procfile's process types and their commands.
func readProcfile(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../Procfile")
	if err != nil {
		t.Fatal(err)
	}
	procs := map[string]string{}
	line := regexp.MustCompile(`^([A-Za-z0-9_-]+):\s*(.+)$`)
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		m := line.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			t.Fatalf("Procfile line %q is not `type: command`", l)
		}
		procs[m[1]] = m[2]
	}
	for _, want := range []string{"web", "release"} {
		if procs[want] == "" {
			t.Errorf("Procfile has no %s process", want)
		}
	}
	return procs
}

// herokuComments returns the values of go.mod's `// +heroku NAME value…`
// comments, which the Go buildpack reads.
func herokuComments(t *testing.T, gomod string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, l := range strings.Split(gomod, "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && f[0] == "//" && f[1] == "+heroku" {
			out[f[2]] = f[3:]
		}
	}
	return out
}

func readGoMod(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestGoModHerokuGoVersion checks the buildpack installs the Go that go.mod
// asks for: `// +heroku goVersion go1.NN` must name the go line's minor version.
func TestGoModHerokuGoVersion(t *testing.T) {
	gomod := readGoMod(t)
	m := regexp.MustCompile(`(?m)^go (1\.\d+)(\.\d+)?$`).FindStringSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	got := herokuComments(t, gomod)["goVersion"]
	if want := "go" + m[1]; len(got) != 1 || got[0] != want {
		t.Errorf("// +heroku goVersion %v, want %s to match `go %s%s`", got, want, m[1], m[2])
	}
}

// TestMakeBuildWritesProcfileBinaries checks `make build` puts each binary
// the Procfile runs where the Procfile expects it.
func TestMakeBuildWritesProcfileBinaries(t *testing.T) {
	cmd := exec.Command("make", "-n", "build")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n build: %v\n%s", err, out)
	}
	for proc, command := range readProcfile(t) {
		bin := strings.Fields(command)[0]
		name, ok := strings.CutPrefix(bin, "bin/")
		if !ok {
			t.Errorf("Procfile %s runs %s, want a binary in bin/", proc, bin)
			continue
		}
		if want := "-o " + bin + " ./cmd/" + name; !strings.Contains(string(out), want) {
			t.Errorf("make build does not run `go build … %s` (Procfile %s):\n%s", want, proc, out)
		}
	}
}

// TestHerokuBuild builds exactly what Heroku's Go buildpack builds — `go
// install -tags heroku` of the packages in `// +heroku install`, with
// -ldflags -X $GO_LINKER_SYMBOL=$GO_LINKER_VALUE and no .git — into a bin/
// folder, then runs the Procfile's commands from beside it as a dyno would.
func TestHerokuBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	const linkerValue = "abc123" // the buildpack's GO_LINKER_VALUE: the commit being built
	pkgs := herokuComments(t, readGoMod(t))["install"]
	if len(pkgs) == 0 {
		t.Fatal("go.mod has no `// +heroku install` comment; the buildpack would guess")
	}
	symbol := readManifest(t).Env["GO_LINKER_SYMBOL"].Value
	if symbol == nil || *symbol == "" {
		t.Fatal("app.json sets no GO_LINKER_SYMBOL value: Heroku builds would not know their revision")
	}

	app := t.TempDir() // the slug: /app on a dyno
	args := append([]string{"install", "-tags", "heroku", "-buildvcs=false",
		"-ldflags", "-X " + *symbol + "=" + linkerValue}, pkgs...)
	build := exec.Command("go", args...)
	build.Dir = "../.."
	build.Env = append(os.Environ(), "GOBIN="+filepath.Join(app, "bin"))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	entries, err := os.ReadDir(filepath.Join(app, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	var built []string
	for _, e := range entries {
		built = append(built, e.Name())
	}
	if slices.Contains(built, "devidp") {
		t.Errorf("the Heroku build contains devidp, the development-only OpenID provider; built %v", built)
	}

	procs := readProcfile(t)
	for name, command := range procs {
		bin, ok := strings.CutPrefix(strings.Fields(command)[0], "bin/")
		if !ok || !slices.Contains(built, bin) {
			t.Errorf("Procfile %s runs %q, which the Heroku build does not produce (built %v)", name, command, built)
		}
	}
	if t.Failed() {
		return
	}

	t.Run("release on an empty database", func(t *testing.T) {
		cmd := procfileCommand(app, procs["release"], storetest.NewEmptyURL(t), "")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("release %q: %v\n%s", procs["release"], err, out)
		}
		ev := findEvent(t, string(out), "schema up to date")
		if applied, _ := ev["applied"].(float64); applied < 1 {
			t.Errorf("release applied no migration to an empty database:\n%s", out)
		}
	})

	t.Run("web binds $PORT on IPv4 and IPv6", func(t *testing.T) {
		// PORT=0: the process binds a free port and names it.
		web := proctest.Start(t, "web", procfileCommand(app, procs["web"], storetest.NewURL(t), "0"))
		// Heroku allows 60 s to bind; the process should need a fraction.
		ev := web.WaitEvent(5*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "listening" })
		if ev == nil {
			t.Fatal("no listening event within 5 s")
		}
		bound, err := proctest.LoopbackAddr(ev)
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(bound)
		for _, host := range []string{"127.0.0.1", "::1"} {
			addr := net.JoinHostPort(host, port)
			for _, path := range []string{"/healthz", readManifest(t).SuccessURL} {
				status, err := get("http://" + addr + path)
				if err != nil || status != http.StatusOK {
					t.Errorf("GET http://%s%s = %d, %v; want 200", addr, path, status, err)
				}
			}
		}
		web.Signal(t, syscall.SIGTERM)
		if err := web.Wait(t, 15*time.Second); err != nil {
			t.Errorf("web exit after SIGTERM: %v, want 0", err)
		}
		if ev["revision"] != linkerValue {
			t.Errorf("listening event revision = %v, want %q from -ldflags -X %s", ev["revision"], linkerValue, *symbol)
		}
	})

	t.Run("worker starts and stops on SIGTERM", func(t *testing.T) {
		worker := proctest.Start(t, "worker", procfileCommand(app, procs["worker"], storetest.NewURL(t), ""))
		if ev := worker.WaitEvent(10*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "worker started" }); ev == nil {
			t.Fatal("no worker started event within 10 s")
		}
		worker.Signal(t, syscall.SIGTERM)
		if err := worker.Wait(t, 30*time.Second); err != nil {
			t.Errorf("worker exit after SIGTERM: %v, want 0", err)
		}
	})
}

// procfileCommand runs a Procfile command the way a dyno does: through a
// shell, from the folder that holds bin/, with the config vars in env.
// PORT is set unless port is "".
func procfileCommand(app, command, databaseURL, port string) *exec.Cmd {
	cmd := exec.Command("/bin/sh", "-c", "exec "+command)
	cmd.Dir = app
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + databaseURL,
		"SECRET_KEY=" + testSecret,
		"DYNO=web.1",
	}
	if port != "" {
		cmd.Env = append(cmd.Env, "PORT="+port)
	}
	return cmd
}

func get(url string) (int, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// findEvent returns the first JSON log event with msg, or nil.
func findEvent(t *testing.T, logs, msg string) map[string]any {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var ev map[string]any
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev["msg"] == msg {
			return ev
		}
	}
	return nil
}
