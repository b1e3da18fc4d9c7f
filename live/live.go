// Package live computes the live factor panels: how the process that
// answers a request follows each of the twelve factors, read from the
// process itself, its settings and its database at the moment of asking.
// It knows nothing of HTTP: the web layer hands it what a panel shows of a
// request (a Request) and gets back view models or rendered HTML.
package live

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// Store is what the panels ask the database; *store.Store answers it.
type Store interface {
	Ping(ctx context.Context) error
	ServerVersion(ctx context.Context) (string, error)
	LastMigration(ctx context.Context) (store.Migration, error)
	Formation(ctx context.Context, window time.Duration) ([]store.Process, error)
}

// SAMLProvider is the SAML service provider, as the backing-services panel
// names its identity provider; *auth.ServiceProvider is one.
type SAMLProvider interface {
	// IDPEntityID is the identity provider's entity ID, or "" until its
	// metadata is loaded.
	IDPEntityID() string
}

// Process describes the running process, for logs and the panels.
type Process struct {
	ID        string // unique per process start
	Kind      string // web, release, admin
	Host      string // dyno name on Heroku, else the host name
	PID       int
	StartedAt time.Time
	// Revision is the VCS revision the binary was built from, or "".
	Revision string
	// Addr is the address the listener is bound to, e.g. "[::]:8080".
	Addr string
	// StartupDuration is the time from the command starting to the
	// listener being bound (config, assets, lessons, pool, schema check).
	StartupDuration time.Duration
}

// Database names the attached database as the pool dials it.
type Database struct {
	Host string // a host name, an IP address or a socket folder
	Port uint16
}

// Options are what the panels are computed from; cmd/twelve has them once.
type Options struct {
	Config config.Config
	// Store is the attached database, or nil when none is attached.
	Store    Store
	Database Database
	// SAML is the SAML service provider, or nil when SAML sign-in is off.
	SAML    SAMLProvider
	Logger  *slog.Logger
	Process Process
	Course  *content.Course
	// AdminCommands names the `twelve admin …` commands of this binary.
	AdminCommands []string
	// Classes is the process's in-memory copy of the classes, or nil.
	Classes ClassCache
}

// ClassCache is what the processes panel shows of a process's copy of
// the classes (classes.Directory).
type ClassCache interface {
	// Held is how many classes and memberships it holds and when it last
	// read every class; the zero time before it ever has.
	Held() (classes, members int, loadedAt time.Time)
}

// Request is what the panels show of the request they are computed for.
type Request struct {
	ID     string // the request id the request log event carries
	Method string
	Path   string
	Host   string // the host the request named
	Scheme string // as the app sees it, behind the router too
	// RemoteIP is the client address the request log event carries.
	RemoteIP string
	SignedIn bool
	UserID   int64 // the signed-in user; 0 when signed out
}

// Panels computes the live panels of one process.
type Panels struct {
	cfg      config.Config
	store    Store
	saml     SAMLProvider
	logger   *slog.Logger
	process  Process
	course   *content.Course
	classes  ClassCache
	facts    processFacts
	readings readings
	html     panelHTML
}

// New prepares the panels of the process o describes.
func New(o Options) (*Panels, error) {
	if o.Course == nil {
		return nil, errors.New("live: no course given")
	}
	if o.Logger == nil {
		return nil, errors.New("live: no logger given")
	}
	info, _ := debug.ReadBuildInfo()
	return &Panels{
		cfg:     o.Config,
		store:   o.Store,
		saml:    o.SAML,
		logger:  o.Logger,
		process: o.Process,
		course:  o.Course,
		classes: o.Classes,
		facts:   newProcessFacts(o, info),
	}, nil
}

// Frame is what panel number (1..12) shows around its facts, which never
// changes: its factor and what it shows.
func (p *Panels) Frame(number int) views.FactorPanel {
	l, _ := p.course.ByNumber(number)
	return views.FactorPanel{
		Number: number, Numeral: l.Numeral, Slug: l.Slug, Title: l.Title,
		Shows: factors[number-1].shows,
	}
}

// Page is the /factors page: all twelve panels, computed for this
// request, their database facts from readings at most dbFactsTTL old
// (shared with every page of the process) and the page says when they
// were read.
func (p *Panels) Page(ctx context.Context, r Request) views.FactorsView {
	numbers := make([]int, len(factors))
	for i := range numbers {
		numbers[i] = i + 1
	}
	panels, readAt := p.compute(ctx, r, time.Now(), numbers...)
	v := views.FactorsView{Panels: panels, ComputedAt: panels[0].ComputedAt}
	if !readAt.IsZero() {
		v.DatabaseRead = readAge(readAt)
	}
	for i := range panels {
		panels[i].ComputedAt = "" // said once, at the top of the page
	}
	return v
}

// Time is how a panel says when its facts were true.
func Time(t time.Time) string { return t.UTC().Format("15:04:05.000 UTC") }
