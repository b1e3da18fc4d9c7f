package reliability

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/internal/proctest"
)

// binary is the real twelve binary, built once for these tests.
var binary string

const secret = "reliability-secret-0123456789abcdef-0123"

func TestMain(m *testing.M) {
	if os.Getenv("TWELVE_RELIABILITY") == "off" {
		fmt.Println("reliability: skipped (TWELVE_RELIABILITY=off)")
		os.Exit(0)
	}
	var err error
	if binary, err = proctest.Build("github.com/twelve-course/twelve/cmd/twelve"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	proctest.RemoveBuilds()
	os.Exit(code)
}

// web is one `twelve web` process.
type web struct {
	*proctest.Process
	base string
}

// startWeb runs `twelve web` on any free port with env (SECRET_KEY and
// PATH added) and returns it once it has logged the address it bound.
func startWeb(t *testing.T, name string, env map[string]string) *web {
	t.Helper()
	vars := []string{"PATH=" + os.Getenv("PATH"), "SECRET_KEY=" + secret, "PORT=0"}
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	cmd := exec.Command(binary, "web")
	cmd.Env = vars
	p := proctest.Start(t, name, cmd)
	return &web{Process: p, base: "http://" + p.Addr(t, 20*time.Second)}
}

// waitExit waits up to d for the process to exit and returns its exit code.
func (w *web) waitExit(t *testing.T, d time.Duration) int {
	t.Helper()
	_ = w.Wait(t, d)
	return w.Cmd.ProcessState.ExitCode()
}

// cluster is a PostgreSQL cluster of the test's own, in a temporary folder,
// which the test may restart. As root, its server tools run as the
// postgres user (they refuse to run as root).
type cluster struct {
	dir, data  string
	asPostgres bool
}

func pgTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if p := filepath.Join(d, name); fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL's %s was not found (apt-get install postgresql)", name)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// newCluster initialises and starts a cluster that listens on a Unix
// socket in its own folder only, so it needs no free port.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "twelve-reliability-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{dir: dir, data: filepath.Join(dir, "data"), asPostgres: os.Geteuid() == 0}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if c.asPostgres {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres user to own the test cluster: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = c.pgCtl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	initdb, err := pgTool("initdb")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := c.run(initdb, "-D", c.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=off -c full_page_writes=off", dir)
	if out, err := c.runPgCtl("-D", c.data, "-l", filepath.Join(dir, "server.log"), "-o", opts, "-w", "-t", "30", "start"); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
	return c
}

func (c *cluster) run(tool string, args ...string) ([]byte, error) {
	var cmd *exec.Cmd
	if c.asPostgres {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", tool}, args...)...)
	} else {
		cmd = exec.Command(tool, args...)
	}
	return cmd.CombinedOutput()
}

func (c *cluster) runPgCtl(args ...string) ([]byte, error) {
	pgctl, err := pgTool("pg_ctl")
	if err != nil {
		return nil, err
	}
	return c.run(pgctl, args...)
}

func (c *cluster) pgCtl(args ...string) error {
	out, err := c.runPgCtl(append([]string{"-D", c.data, "-w", "-t", "30"}, args...)...)
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// url is the URL of database name on the cluster.
func (c *cluster) url(name string) string {
	return "postgres://postgres@/" + name + "?host=" + url.QueryEscape(c.dir) + "&sslmode=disable"
}

// migrate runs `twelve migrate` against dbURL.
func migrate(t *testing.T, dbURL string) {
	t.Helper()
	cmd := exec.Command(binary, "migrate")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DATABASE_URL=" + dbURL, "SECRET_KEY=" + secret}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("twelve migrate: %v\n%s", err, out)
	}
}

// isDialError reports whether err means the connection was never made, so
// the request was never sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// healthy reports whether base answers /healthz with 200.
func healthy(ctx context.Context, base string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
