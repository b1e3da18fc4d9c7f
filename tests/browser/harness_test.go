package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/internal/devidp"
	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// secretKey is the SECRET_KEY of every site the tests start: the tests own
// it, so they can read attempt tokens to know which questions were drawn.
const secretKey = "browser-journeys-secret-key-0123456789abcdef"

// Set once by TestMain.
var (
	chromiumPath string // "" when no chromium was found
	twelveBin    string // the twelve binary under test
	axeSource    string // axe.min.js, from node_modules
	setupErr     error  // building the binary or installing axe failed
)

// skipBanner is printed when the journeys cannot run; scripts/test.sh
// prints its own warning too, since `go test` hides the output of passing
// packages.
const skipBanner = `
##############################################################################
# BROWSER TESTS SKIPPED: no chromium found (looked for /usr/bin/chromium and
# chromium on PATH). The keyboard, sign-in and accessibility journeys in
# ./browser did NOT run. Install Debian's chromium: apt-get install chromium
##############################################################################
`

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	chromiumPath = findChromium()
	if chromiumPath == "" {
		fmt.Fprint(os.Stderr, skipBanner)
		return m.Run()
	}
	defer proctest.RemoveBuilds()
	if twelveBin, setupErr = proctest.Build("github.com/twelve-course/twelve/cmd/twelve"); setupErr == nil {
		axeSource, setupErr = loadAxe()
	}
	code := m.Run()
	printAxeReport(os.Stdout)
	return code
}

// findChromium returns Debian's chromium, or "" when there is none.
func findChromium() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// requireBrowser skips the test, loudly, when there is no chromium, and
// fails it when the harness could not be set up.
func requireBrowser(t *testing.T) {
	t.Helper()
	if chromiumPath == "" {
		t.Log(skipBanner)
		t.Skip("BROWSER TEST SKIPPED: no chromium (apt-get install chromium)")
	}
	if setupErr != nil {
		t.Fatal(setupErr)
	}
}

// site is one running Twelve: the real binary on a fresh database, signing
// in through an in-process development OpenID provider.
type site struct {
	URL    string
	Issuer string
	pool   *pgxpool.Pool
	store  *store.Store
	banks  map[string]*quiz.Quiz
	signer *quiz.Signer
	web    *proctest.Process
	env    []string // the environment of twelve web, for admin commands
}

func startSite(t *testing.T) *site {
	t.Helper()
	requireBrowser(t)
	ctx := context.Background()
	dbURL := storetest.NewURL(t)
	pool, err := store.Open(ctx, dbURL, 2)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(pool.Close)

	idp, ln, err := devidp.Listen("127.0.0.1:0", devidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	idpServer := &http.Server{Handler: idp.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = idpServer.Serve(ln) }()
	t.Cleanup(func() { _ = idpServer.Close() })

	cmd := exec.Command(twelveBin, "web")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + dbURL,
		"SECRET_KEY=" + secretKey,
		"PORT=0",
		"OIDC_ISSUER_URL=" + idp.Issuer(),
		"OIDC_CLIENT_ID=" + idp.ClientID(),
		"OIDC_CLIENT_SECRET=" + idp.ClientSecret(),
		"INSTRUCTOR_GROUP=instructors",
		"LOG_FORMAT=text",
	}
	web := proctest.Start(t, "twelve web", cmd)
	t.Cleanup(func() {
		// Stop it gracefully, as a dyno stops; Start's clean-up kills it
		// if it has not stopped within 10 s.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-web.Done():
		case <-time.After(10 * time.Second):
		}
	})
	base := "http://" + web.Addr(t, 20*time.Second)
	waitReady(t, base, web)
	course, err := content.Load(content.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	banks := course.Quizzes()
	signer, err := quiz.NewSigner([][]byte{[]byte(secretKey)})
	if err != nil {
		t.Fatal(err)
	}
	return &site{URL: base, Issuer: idp.Issuer(), pool: pool, store: store.New(pool), banks: banks, signer: signer, web: web, env: cmd.Env}
}

// waitReady waits until the process has discovered the provider: /login
// then redirects (303) instead of answering 503.
func waitReady(t *testing.T, base string, web *proctest.Process) {
	t.Helper()
	if web.WaitEvent(20*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "sign-in provider discovered" }) == nil {
		t.Fatal("twelve web did not discover the sign-in provider within 20s")
	}
	client := &http.Client{
		Timeout:       2 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /login after discovery = %d, want 303", resp.StatusCode)
	}
}

// loadAxe reads axe-core from node_modules, installing it first with
// `npm ci` (pinned by package-lock.json) when it is missing or is not the
// locked version.
func loadAxe() (string, error) {
	want, err := lockedAxeVersion()
	if err != nil {
		return "", err
	}
	if installedAxeVersion() != want {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return "", errors.New("axe-core is not installed in browser/node_modules and npm is missing: install Debian's nodejs and npm (apt-get install nodejs npm), or run `npm ci` in browser/")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("npm ci in tests/browser/: %v\n%s", err, out)
		}
		if got := installedAxeVersion(); got != want {
			return "", fmt.Errorf("npm ci installed axe-core %q, want %q", got, want)
		}
	}
	b, err := os.ReadFile(filepath.Join("node_modules", "axe-core", "axe.min.js"))
	return string(b), err
}

func lockedAxeVersion() (string, error) {
	b, err := os.ReadFile("package-lock.json")
	if err != nil {
		return "", err
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return "", fmt.Errorf("package-lock.json: %w", err)
	}
	v := lock.Packages["node_modules/axe-core"].Version
	if v == "" {
		return "", errors.New("package-lock.json does not pin axe-core")
	}
	return v, nil
}

func installedAxeVersion() string {
	b, err := os.ReadFile(filepath.Join("node_modules", "axe-core", "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &pkg) != nil {
		return ""
	}
	if _, err := os.Stat(filepath.Join("node_modules", "axe-core", "axe.min.js")); err != nil {
		return ""
	}
	return strings.TrimSpace(pkg.Version)
}
