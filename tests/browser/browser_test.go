package browser

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// actionTimeout bounds every step a test takes in the browser, so a page
// that never loads fails the test instead of hanging it.
const actionTimeout = 30 * time.Second

// tab is one browser tab driven by a test, on a site.
type tab struct {
	t      *testing.T
	ctx    context.Context
	cancel context.CancelFunc // closes the tab
	site   *site
}

// newBrowser starts a headless chromium with a fresh profile for this test
// and returns its first tab, at a desktop size in light mode.
func newBrowser(t *testing.T, s *site) *tab {
	t.Helper()
	return newBrowserIn(t, s, t.TempDir())
}

// newBrowserIn is newBrowser with the profile (user data directory) the
// test gives, which it may have prepared: settings a person would have
// chosen, in Default/Preferences. The directory must outlive the browser:
// a t.TempDir made before this call is removed after it has exited
// (cleanups run last-in first-out).
func newBrowserIn(t *testing.T, s *site, profile string) *tab {
	t.Helper()
	requireBrowser(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Without these, chromium reaches out to Google's servers, which
		// this machine's closed network refuses.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("lang", "en-GB"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &tab{t: t, ctx: ctx, cancel: cancel, site: s}
	// The first action starts the browser, whose life is bound to the
	// context it gets: ctx itself, with no timeout (chromedp's
	// docs/API.md, "Set a timeout for one action").
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	b.colorScheme("light")
	return b
}

// newTab opens another tab in the same browser: same cookies, same storage.
func (b *tab) newTab() *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	nb := &tab{t: b.t, ctx: ctx, cancel: cancel, site: b.site}
	// As in newBrowser, the first action binds the tab's life to its
	// context, so it gets ctx itself.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a second tab: %v", err)
	}
	nb.colorScheme("light")
	return nb
}

// close closes the tab.
func (b *tab) close() { b.cancel() }

// run runs steps, failing the test on an error.
func (b *tab) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value.
// Tests read the page with it; they never change answers with it.
func eval[T any](b *tab, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %.80q: %v", js, err)
	}
	return v
}

// load runs trigger and waits for the page it causes to load, returning
// the HTTP status of the final document (after redirects).
func (b *tab) load(what string, trigger ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, trigger...)
	if err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
	if resp == nil {
		return 0
	}
	return resp.Status
}

// open navigates to a path of the site and wants a 200.
func (b *tab) open(path string) {
	b.t.Helper()
	if status := b.load("open "+path, chromedp.Navigate(b.site.URL+path)); status != 200 {
		b.t.Fatalf("GET %s: status %d, want 200", path, status)
	}
}

// follow clicks the element and waits for the page it leads to.
func (b *tab) follow(css string) int64 {
	b.t.Helper()
	return b.load("follow "+css, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

// location is the tab's URL, as a path with its query.
func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	if u, err := url.Parse(loc); err == nil && strings.HasPrefix(loc, b.site.URL) {
		return u.RequestURI()
	}
	return loc
}

// path is the tab's URL path, without the query.
func (b *tab) path() string {
	u, err := url.Parse(b.location())
	if err != nil {
		return b.location()
	}
	return u.Path
}

// wantPath fails the test unless the tab is at path.
func (b *tab) wantPath(path string) {
	b.t.Helper()
	if got := b.path(); got != path {
		b.t.Fatalf("at %s, want %s", b.location(), path)
	}
}

// text is the visible text of the first element matching css, trimmed.
func (b *tab) text(css string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(() => { const el = document.querySelector(%q); return el ? el.innerText.trim() : "(missing: " + %q + ")"; })()`, css, css))
}

// count is the number of elements matching css.
func (b *tab) count(css string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`document.querySelectorAll(%q).length`, css))
}

// press sends key presses to whatever has focus, as a person typing would.
func (b *tab) press(keys string, opts ...chromedp.KeyOption) {
	b.t.Helper()
	b.run(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys, opts...))
}

// pressLoad presses keys and waits for the page they submit or open.
func (b *tab) pressLoad(keys string) int64 {
	b.t.Helper()
	return b.load(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}

// tab presses Tab: the focus moves to the next control.
func (b *tab) tab() {
	b.t.Helper()
	b.press(kb.Tab)
}

// shiftTab presses Shift+Tab: the focus moves back.
func (b *tab) shiftTab() {
	b.t.Helper()
	b.press(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
}

// signInAs picks an account on the development provider's chooser, which
// the tab must be showing, and waits for the page the site sends it back to.
func (b *tab) signInAs(subject string) {
	b.t.Helper()
	if b.count(`[data-testid="account-`+subject+`"]`) != 1 {
		b.t.Fatalf("at %s, want the provider's account chooser with %s", b.location(), subject)
	}
	if status := b.follow(`[data-testid="account-` + subject + `"]`); status != 200 {
		b.t.Fatalf("signing in as %s ended at %s with status %d", subject, b.location(), status)
	}
}

// colorScheme emulates prefers-color-scheme: "light" or "dark".
func (b *tab) colorScheme(scheme string) {
	b.t.Helper()
	b.run("emulate "+scheme+" mode", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}))
}

// phone emulates a 390×844 phone (CSS px) with touch.
func (b *tab) phone() {
	b.t.Helper()
	b.run("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2)))
}

// screenshot saves the whole page as artifacts/screenshots/<name>.png at
// the repository root, for people (and reviewers) to look at.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.Action[[]byte](func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		m, err := cdp.Call(ctx, t, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		w, h := m.CSSLayoutViewport.ClientWidth, m.CSSContentSize.Height
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			CaptureBeyondViewport: new(true),
			FromSurface:           new(true),
			Clip:                  &page.Viewport{Width: float64(w), Height: h, Scale: 1},
		})
		return r.Data, err
	}))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "..", "artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
