// Package framing keeps the list of sites that may show Twelve inside a
// frame: the origins of the registered LTI platforms (their issuer and
// authorization endpoint, and the LMS pages that launched Twelve). Web
// pages say it in their Content-Security-Policy's frame-ancestors; with
// no platform registered nobody may frame Twelve at all (frame-ancestors
// 'none' and X-Frame-Options: DENY), as before LTI.
//
// Each web process holds the list in memory, reloads it when a process
// announces an LTI change (store: NOTIFY twelve_lti) and every minute, so
// that a request only reads a pointer.
package framing

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twelve-course/twelve/internal/backoff"
	"github.com/twelve-course/twelve/internal/follow"
)

// Source is what a List reads: every origin allowed to frame Twelve, and
// notifications of changes to them.
type Source interface {
	FrameOrigins(ctx context.Context) ([]string, error)
	Listen(ctx context.Context) (Listener, error)
}

// Listener hears that something changed, from the moment it was made. An
// error from Next means it is lost: close it and listen again.
type Listener interface {
	Next(ctx context.Context) error
	Close(ctx context.Context) error
}

// Refresh is how often a List reloads even when it heard of no change.
const Refresh = time.Minute

// Headers are the header values that say who may frame Twelve. They are
// shared by every request and never changed: a new list makes new ones.
type Headers struct {
	// CSP is the whole Content-Security-Policy value.
	CSP []string
	// FrameOptions is X-Frame-Options' value, or nil when it is not sent
	// (a platform is registered: frame-ancestors alone decides, and
	// X-Frame-Options cannot name sites).
	FrameOptions []string
	origins      []string // sorted
	local        []string // those on this machine (a loopback host)
}

// Origins are the origins allowed to frame Twelve besides itself, sorted.
func (h *Headers) Origins() []string { return slices.Clone(h.origins) }

// Local are the origins allowed to frame Twelve that are on this machine
// (a loopback host): an LMS for development, such as make dev's test LMS.
// A deployed site has none.
func (h *Headers) Local() []string { return slices.Clone(h.local) }

// Allows reports whether origin may frame Twelve.
func (h *Headers) Allows(origin string) bool {
	_, ok := slices.BinarySearch(h.origins, origin)
	return ok
}

// List is one process's copy of the origins. Its methods are safe for
// concurrent use.
type List struct {
	src    Source
	policy string // the CSP without frame-ancestors
	logger *slog.Logger
	retry  *backoff.Backoff

	mu  sync.Mutex // serialises writers of cur
	cur atomic.Pointer[Headers]
}

// New makes a List that reads src, for pages whose policy is the given
// Content-Security-Policy without its frame-ancestors directive. Until
// Load or Run fills it, nobody may frame Twelve.
func New(src Source, policy string, logger *slog.Logger) *List {
	l := &List{src: src, policy: policy, logger: logger, retry: backoff.New(500*time.Millisecond, 30*time.Second, nil)}
	l.cur.Store(l.headers(nil))
	return l
}

// Headers returns the current header values; it does not allocate.
func (l *List) Headers() *Headers { return l.cur.Load() }

// Load reads every origin again.
func (l *List) Load(ctx context.Context) error {
	raw, err := l.src.FrameOrigins(ctx)
	if err != nil {
		return err
	}
	var origins []string
	for _, r := range raw {
		if o, ok := Origin(r); ok {
			origins = append(origins, o)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cur.Store(l.headers(origins))
	return nil
}

// Add allows origin in this process at once, ahead of the reload that
// the change's notification brings, and reports whether it was new. The
// caller records it in the store too.
func (l *List) Add(origin string) bool {
	o, ok := Origin(origin)
	if !ok {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := l.cur.Load()
	if cur.Allows(o) {
		return false
	}
	l.cur.Store(l.headers(append(slices.Clone(cur.origins), o)))
	return true
}

// headers builds the header values for origins.
func (l *List) headers(origins []string) *Headers {
	slices.Sort(origins)
	origins = slices.Compact(origins)
	if len(origins) == 0 {
		return &Headers{
			CSP:          []string{l.policy + "; frame-ancestors 'none'"},
			FrameOptions: []string{"DENY"},
		}
	}
	var local []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && loopback(u.Hostname()) {
			local = append(local, o)
		}
	}
	return &Headers{
		CSP:     []string{l.policy + "; frame-ancestors 'self' " + strings.Join(origins, " ")},
		origins: origins,
		local:   local,
	}
}

// Run keeps the list current until ctx ends: it listens for changes and
// reloads on each, every Refresh, and after a lost connection.
func (l *List) Run(ctx context.Context) {
	follow.Run(ctx, follow.Follower[struct{}]{
		What: "framing", Stale: "the sites allowed to frame Twelve may be stale",
		Listen: func(ctx context.Context) (follow.Changes[struct{}], error) {
			lis, err := l.src.Listen(ctx)
			if err != nil {
				return nil, err
			}
			return signals{lis}, nil
		},
		Load:    l.Load,
		Changed: func(ctx context.Context, _ struct{}) error { return l.Load(ctx) },
		Quiet:   Refresh, Retry: l.retry, Logger: l.logger,
	})
}

// signals is a Listener as the changes follow.Run reads: each says only
// that something changed.
type signals struct{ l Listener }

func (s signals) Next(ctx context.Context) (struct{}, error) { return struct{}{}, s.l.Next(ctx) }
func (s signals) Close(ctx context.Context) error            { return s.l.Close(ctx) }

// Origin returns raw as a CSP source expression naming one origin
// (scheme://host[:port], lower case), and whether it is one: https, or
// http on a loopback host (development and tests, as for platform URLs).
// Anything else, such as the "null" origin, a path, credentials, a
// wildcard or characters that could end the directive, is refused.
func Origin(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" ||
		(u.Path != "" && u.Path != "/") {
		return "", false
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r)) {
			return "", false
		}
	}
	switch scheme {
	case "https":
	case "http":
		if !loopback(u.Hostname()) {
			return "", false
		}
	default:
		return "", false
	}
	return scheme + "://" + host, true
}

func loopback(host string) bool {
	host = strings.ToLower(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
