package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/internal/proctest"
)

// startLTISite starts Twelve, on http://localhost:PORT, and the test LMS
// in this process, on http://127.0.0.1:PORT: another site. The LMS is registered
// with Twelve as an administrator does, with `twelve admin lti-add`.
func startLTISite(t *testing.T) (*site, *ltiplatform.Platform) {
	t.Helper()
	s := startSite(t)
	s.URL = strings.Replace(s.URL, "http://127.0.0.1:", "http://localhost:", 1)
	lms, ln, err := ltiplatform.Listen("127.0.0.1:0", ltiplatform.Options{ToolURL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: lms.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.admin(t, "lti-add", "--issuer", lms.Issuer(), "--client-id", lms.ClientID(),
		"--auth-url", lms.AuthURL(), "--token-url", lms.TokenURL(), "--jwks-url", lms.JWKSURL(),
		"--deployment", lms.DeploymentID(), "--name", "Test LMS")
	return s, lms
}

// admin runs `twelve admin ARGS…` against the site's database and returns
// what it printed.
func (s *site) admin(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, twelveBin, append([]string{"admin"}, args...)...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("twelve admin %s: %v\n%s", args[0], err, out)
	}
	return string(out)
}

// openLMS opens a page of the LMS in the tab.
func (b *tab) openLMS(page string) {
	b.t.Helper()
	if status := b.load("open "+page, chromedp.Navigate(page)); status != http.StatusOK {
		b.t.Fatalf("GET %s: status %d, want 200", page, status)
	}
}

// toolFrame waits until the LMS page in the tab holds Twelve, in its
// iframe, at path, and returns a tab that drives the iframe. Chrome runs
// an iframe of another site in a process of its own, as a target that
// chromedp attaches to apart from the page (chromedp's docs/API.md, "Work
// in an iframe from another site").
func (b *tab) toolFrame(path string) *tab {
	b.t.Helper()
	return b.attach("iframe", path)
}

// attach waits until the browser has a target of the kind ("iframe",
// "page") showing path of the site, and returns a tab that drives it, once
// its document has loaded.
func (b *tab) attach(kind, path string) *tab {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	var seen []*target.Info
	for {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			b.t.Fatalf("waiting for Twelve at %s in an %s: %v (last seen: %s)", path, kind, err, b.describe(seen))
		}
		seen = seen[:0]
		for _, info := range infos {
			if info.Type != kind {
				continue
			}
			seen = append(seen, info)
			if u, err := url.Parse(info.URL); err == nil && strings.HasPrefix(info.URL, b.site.URL+"/") && u.Path == path {
				return b.attachTarget(info.TargetID)
			}
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("Twelve did not show %s in an %s within %s (%ss last seen: %s; the first tab is at %s)", path, kind, actionTimeout, kind, b.describe(seen), b.location())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// describe names the targets by URL and, for Twelve's pages, the heading
// they show, for a failure message: where a launch stopped, and why.
func (b *tab) describe(targets []*target.Info) string {
	var out []string
	for _, info := range targets {
		d := info.URL
		if strings.HasPrefix(info.URL, b.site.URL+"/") {
			ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
			tctx, stop := context.WithTimeout(ctx, 5*time.Second)
			if h1, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.querySelector("h1")?.innerText ?? ""`)); err == nil {
				d += fmt.Sprintf(" showing %q", h1)
			}
			stop()
			cancel()
		}
		out = append(out, d)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// attachTarget returns a tab that drives the target id, once its document
// has loaded. Cancelling it detaches and leaves the target be.
func (b *tab) attachTarget(id target.ID) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id), chromedp.WithDetachOnCancel())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("attach to %s: %v", id, err)
	}
	f := &tab{t: b.t, ctx: ctx, cancel: cancel, site: b.site}
	eval[bool](f, `new Promise(done => document.readyState === "complete" ? done(true) : addEventListener("load", () => done(true)))`)
	return f
}

// wantEmbeddedIdentity fails unless the browser keeps exactly one
// identity cookie of Twelve's, an embedded one: SameSite=None, Secure,
// HttpOnly and partitioned by the LMS's site (CHIPS), so that it is sent
// in the LMS's iframe and in no other site's.
func (b *tab) wantEmbeddedIdentity(lmsOrigin string) {
	b.t.Helper()
	lms, err := url.Parse(lmsOrigin)
	if err != nil {
		b.t.Fatal(err)
	}
	lmsSite := lms.Scheme + "://" + lms.Hostname()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		b.t.Fatalf("read the browser's cookies: %v", err)
	}
	var names []string
	found := 0
	for _, c := range res.Cookies {
		names = append(names, c.Name+"@"+c.Domain)
		if c.Name != "twelve_id" || c.Domain != "localhost" {
			continue
		}
		found++
		if c.SameSite != "None" || !c.Secure || !c.HTTPOnly {
			b.t.Errorf("an identity cookie is SameSite=%q Secure=%v HttpOnly=%v, want None, true, true", c.SameSite, c.Secure, c.HTTPOnly)
		}
		if c.PartitionKey == nil || c.PartitionKey.TopLevelSite != lmsSite {
			b.t.Errorf("an identity cookie's partition key is %+v, want the LMS's site %s", c.PartitionKey, lmsSite)
		}
	}
	if found != 1 {
		slices.Sort(names)
		b.t.Errorf("the browser keeps %d twelve_id cookies for localhost, want 1; it has %q", found, names)
	}
}

// wantLTIAttempt fails unless the attempt is stored for the LMS user
// (issuer, subject) in the class of the LMS's course.
func (s *site) wantLTIAttempt(t *testing.T, attemptID, issuer, subject string) {
	t.Helper()
	var gotIssuer, gotSubject, contextID, className string
	err := s.pool.QueryRow(context.Background(), `
		SELECT u.issuer, u.subject, x.context_id, c.name
		FROM attempts a
		JOIN users u ON u.id = a.user_id
		JOIN classes c ON c.id = a.class_id
		JOIN lti_contexts x ON x.class_id = a.class_id
		WHERE a.id = $1`, attemptID).Scan(&gotIssuer, &gotSubject, &contextID, &className)
	if err != nil {
		t.Fatalf("the attempt %s in the LMS course's class: %v", attemptID, err)
	}
	if gotIssuer != issuer || gotSubject != subject || contextID != ltiplatform.ContextID || className != ltiplatform.ContextTitle {
		t.Errorf("attempt %s is by (%s, %s) in the class %q of context %q, want (%s, %s) in %q of %q",
			attemptID, gotIssuer, gotSubject, className, contextID, issuer, subject, ltiplatform.ContextTitle, ltiplatform.ContextID)
	}
}

// refuseCookiesIn returns a browser profile in which the person has
// blocked the cookies of tool (an origin) in the pages of lms (another):
// a site exception of Chrome's cookie settings. Chrome then keeps no
// cookie of the tool's in the LMS's iframe, partitioned or not, as Safari
// did between 18.5 and 26.2 (no CHIPS), while the tool's own pages, in a
// window of their own, keep theirs.
func refuseCookiesIn(t *testing.T, tool, lms string) string {
	t.Helper()
	profile := t.TempDir()
	prefs := map[string]any{"profile": map[string]any{"content_settings": map[string]any{"exceptions": map[string]any{
		"cookies": map[string]any{tool + "," + lms: map[string]any{"setting": 2}}, // 2: block
	}}}}
	b, err := json.Marshal(prefs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(profile, "Default"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(profile, "Default", "Preferences"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return profile
}

// window waits for a tab (a page of its own, such as a link with
// target=_blank opens) at path of the site and returns it, loaded.
func (b *tab) window(path string) *tab {
	b.t.Helper()
	return b.attach("page", path)
}

// startWorker starts `twelve worker` on the site's database and waits
// until it works jobs; the test stops it as a dyno is stopped.
func (s *site) startWorker(t *testing.T) {
	t.Helper()
	cmd := exec.Command(twelveBin, "worker")
	cmd.Env = s.env
	w := proctest.Start(t, "twelve worker", cmd)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.Done():
		case <-time.After(30 * time.Second):
		}
	})
	if w.WaitEvent(20*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "worker started" }) == nil {
		t.Fatal("twelve worker did not start within 20s")
	}
}

// waitScore waits for the LMS to hold a score for the user (LMS subject)
// and returns it.
func waitScore(t *testing.T, lms *ltiplatform.Platform, user string) ltiplatform.RecordedScore {
	t.Helper()
	deadline := time.After(actionTimeout)
	for {
		for _, sc := range lms.Scores() {
			if sc.UserID == user {
				return sc
			}
		}
		select {
		case <-deadline:
			t.Fatalf("the LMS received no score for %s within %s (scores: %+v)", user, actionTimeout, lms.Scores())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// deref is *f, or NaN for nil.
func deref(f *float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return *f
}

// lmsMessages lists the LTI postMessages the test LMS's embedding page has
// answered, in order.
func (b *tab) lmsMessages() []string {
	b.t.Helper()
	return strings.Split(b.text(`[data-testid="messages"]`), ", ")
}
