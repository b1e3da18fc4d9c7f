package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/framing"
	"github.com/twelve-course/twelve/handlers"
	"github.com/twelve-course/twelve/live"
	"github.com/twelve-course/twelve/ltikeys"
	"github.com/twelve-course/twelve/signout"
	"github.com/twelve-course/twelve/static"
	"github.com/twelve-course/twelve/store"
)

// heartbeatEvery is how often a process records itself in the formation.
const heartbeatEvery = 10 * time.Second

// runWeb serves the course on $PORT until ctx ends, then drains: it stops
// accepting, lets requests in flight finish (bounded by DRAIN_TIMEOUT),
// leaves the formation, closes the pool and returns nil.
func runWeb(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	started := time.Now()
	fs := flag.NewFlagSet("web", flag.ContinueOnError)
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stdout)
	tuneGC(cfg.Platform)
	assets, err := static.Load()
	if err != nil {
		return err
	}
	course, err := loadCourse(content.Embedded(), embeddedLessons)
	if err != nil {
		return fmt.Errorf("web: the embedded lessons or question banks are invalid (see `twelve admin content-check`):\n%w", err)
	}
	if err := drillCourse(course); err != nil {
		return err
	}
	pool, err := store.Open(ctx, cfg.DatabaseURL, cfg.DatabasePoolSize)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := checkSchema(ctx, pool, logger); err != nil {
		return err
	}
	st := store.New(pool)
	go recordQuizVersions(ctx, st, course.Quizzes(), logger)

	// Inline SAML metadata is read now, so a bad one stops the process
	// before it binds; metadata by URL is fetched in the background below.
	var samlSP *auth.ServiceProvider
	if cfg.SAML.Enabled() {
		if samlSP, err = auth.NewServiceProvider(auth.SAMLOptions{SAML: cfg.SAML, Logger: logger}); err != nil {
			return err
		}
	}

	// Bound before the handlers are built, so the live panels know the
	// address (factor VII) and how long start-up took (factor IX).
	ln, err := listen(cfg.Port, logger)
	if err != nil {
		return err
	}
	proc := newProcess("web", cfg.Platform, started)
	proc.Addr = ln.Addr().String()
	proc.StartupDuration = time.Since(started)
	// Discovery runs in the background, retried while the provider is down,
	// so the port is bound at once and lessons are served meanwhile.
	var signin *auth.RelyingParty
	if cfg.OIDC.Enabled() {
		signin = auth.NewRelyingParty(auth.Options{OIDC: cfg.OIDC, Logger: logger})
		go signin.Discover(ctx)
	}
	if samlSP != nil {
		go samlSP.FetchMetadata(ctx)
	}
	// Sign-outs made by any process reach this one by LISTEN/NOTIFY, on a
	// connection of its own (one more than DATABASE_POOL_SIZE).
	signOuts := signout.New(signout.Options{Store: st, Logger: logger, Horizon: cfg.SessionMaxLifetime})
	go signOuts.Run(ctx)
	// Classes likewise: every class is held in memory and reloaded when a
	// process announces a change (one more connection).
	// The first load is waited for, briefly, so that quiz starts work from
	// the first request; with the database down the process serves
	// anyway, and quiz starts answer 503 until Run has loaded them.
	dir := classes.New(classes.FromStore(st), logger)
	go dir.Run(ctx)
	select {
	case <-dir.Ready():
	case <-time.After(3 * time.Second):
		logger.Warn("classes not loaded yet; quiz starts wait for them")
	case <-ctx.Done():
	}
	// The sites that may frame the pages (LTI platforms) likewise (one
	// more connection); until the first load nobody may.
	frames := framing.New(framing.FromStore(st), handlers.ContentPolicy, logger)
	go frames.Run(ctx)
	ltiKeys, err := ltikeys.New(st, cfg.SecretKeys, cfg.LTIKeys)
	if err != nil {
		_ = ln.Close()
		return err
	}
	e, err := handlers.New(handlers.Deps{
		Config: cfg, Store: st, Logger: logger, Assets: assets, Process: proc,
		SignIn: signin, SAML: samlSP, Course: course, AdminCommands: adminCommandNames(),
		SignOuts: signOuts, Classes: dir, Frames: frames,
		LTIKeys: ltiKeys.KeySet, LTIClient: &http.Client{Timeout: 10 * time.Second},
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	srv := newHTTPServer(cfg, e, logger)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "process", proc.ID, "revision", proc.Revision,
		"startup_ms", float64(time.Since(started).Microseconds())/1000)

	leave := joinFormation(ctx, st, proc, logger)

	select {
	case err := <-serveErr:
		leave()
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("draining", "timeout", cfg.DrainTimeout.String())
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.DrainTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(drainCtx)
	leave()
	if shutdownErr != nil {
		logger.Error("drain timed out; open requests were cut", "error", shutdownErr.Error())
		return fmt.Errorf("web: drain: %w", shutdownErr)
	}
	logger.Info("stopped", "uptime_s", int(time.Since(started).Seconds()))
	return nil
}

// tuneGC sets the garbage collector for a web process, unless GOGC or
// GOMEMLIMIT (the Go runtime's own settings) say otherwise. A request
// allocates a few KB around a live heap of a few MB, so Go's default
// (GOGC=100) collects every few hundred requests; GOGC=400 costs about
// 15 MB under load and serves lesson pages about 15% faster
// (docs/PERFORMANCE.md). The soft limit keeps a spike from growing the
// heap five-fold past what a 512 MB dyno holds: near it, Go collects
// sooner whatever GOGC says.
func tuneGC(p config.Platform) {
	if p.GOGC == "" {
		debug.SetGCPercent(400)
	}
	if p.GOMEMLIMIT == "" {
		debug.SetMemoryLimit(384 << 20)
	}
}

// newHTTPServer configures the server for life behind Heroku's router,
// which keeps idle connections to a dyno open for up to 90 s and gives up on
// a request after 30 s.
func newHTTPServer(cfg config.Config, handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Room to write the friendly 503 after REQUEST_TIMEOUT ends a handler.
		WriteTimeout: cfg.RequestTimeout + 10*time.Second,
		// Longer than the router's 90 s, so the router, not the dyno, closes
		// an idle connection and never sends a request down a closing one.
		IdleTimeout: 120 * time.Second,
		// Browsers send a few KB of headers, cookies included, and Heroku's
		// router refuses a header line over 8 KB; net/http's default of 1 MB
		// only lets a client make each connection hold that much memory.
		// Larger headers get 431 from net/http before any handler runs.
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// maxHeaderBytes bounds a request's line and headers (net/http allows 4 KB
// more before it answers 431).
const maxHeaderBytes = 64 << 10

// listen binds $PORT on every address, IPv4 and IPv6; port 0 binds any
// free port, which the "listening" event names.
func listen(port int, logger *slog.Logger) (net.Listener, error) {
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("web: cannot bind port %d: %w", port, err)
	}
	return &closeLogged{Listener: coalescing{ln}, logger: logger}, nil
}

// closeLogged logs when the listener closes: from then on new connections
// are refused. A drain closes it first, before waiting for the requests in
// flight.
type closeLogged struct {
	net.Listener
	logger *slog.Logger
	once   sync.Once
}

func (l *closeLogged) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { l.logger.Info("stopped accepting", "addr", l.Addr().String()) })
	return err
}

// checkSchema refuses to serve on a schema that is behind this release. A
// database that does not answer yet is not fatal: lessons are still served
// and /readyz reports the outage.
func checkSchema(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := store.CheckSchema(cctx, pool)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrSchemaBehind):
		return err
	default:
		logger.Warn("database unreachable at start; serving without it", "error", err.Error())
		return nil
	}
}

// joinFormation records p in the process formation (factor VIII) and
// keeps its heartbeat going until the returned leave is called, which
// stops the heartbeat and removes p's row, so the formation no longer
// counts it.
func joinFormation(ctx context.Context, st *store.Store, p live.Process, logger *slog.Logger) (leave func()) {
	beatCtx, stopBeats := context.WithCancel(context.WithoutCancel(ctx))
	beatsDone := make(chan struct{})
	go func() { defer close(beatsDone); heartbeat(beatCtx, st, p, logger) }()
	return func() {
		stopBeats()
		<-beatsDone
		forgetCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := st.Forget(forgetCtx, p.ID); err != nil {
			logger.Warn("could not leave the formation", "error", err.Error())
		}
	}
}

func heartbeat(ctx context.Context, st *store.Store, p live.Process, logger *slog.Logger) {
	rec := store.Process{ID: p.ID, Kind: p.Kind, Host: p.Host, PID: p.PID, StartedAt: p.StartedAt}
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := st.Beat(bctx, rec); err != nil && ctx.Err() == nil {
			logger.Warn("heartbeat failed", "error", err.Error())
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// newProcess describes this process: on Heroku the dyno name, else the host.
func newProcess(kind string, p config.Platform, started time.Time) live.Process {
	host := p.Dyno
	if host == "" {
		host, _ = os.Hostname()
	}
	pid := os.Getpid()
	return live.Process{
		ID:        fmt.Sprintf("%s.%d.%x", host, pid, started.UnixNano()),
		Kind:      kind,
		Host:      host,
		PID:       pid,
		StartedAt: started,
		Revision:  buildRevision(),
	}
}

// buildRevision is the VCS revision stamped by `go build -buildvcs=true`, or
// the linker-set value where the build had no .git (Heroku).
func buildRevision() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "+dirty"
			}
			return rev
		}
	}
	return revision
}
