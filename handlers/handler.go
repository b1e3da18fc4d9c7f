// Package handlers is Twelve's HTTP layer: the echo router, its middleware
// and one handler method per route.
package handlers

import (
	"log/slog"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/static"
	"github.com/twelve-course/twelve/store"
)

// Process describes the running process, for logs and the live panels.
type Process struct {
	ID        string // unique per process start
	Kind      string // web, release, admin
	Host      string // dyno name on Heroku, else the host name
	PID       int
	StartedAt time.Time
	// Revision is the VCS revision the binary was built from, or "".
	Revision string
}

// Deps are what the handlers need; cmd/twelve builds them once.
type Deps struct {
	Config  config.Config
	Getenv  func(string) string
	Store   *store.Store
	Logger  *slog.Logger
	Assets  *static.Assets
	Process Process
}

// Handler holds the dependencies of every route.
type Handler struct {
	cfg     config.Config
	getenv  func(string) string
	store   *store.Store
	logger  *slog.Logger
	assets  *static.Assets
	process Process
}

// New builds the router with its middleware and routes.
func New(d Deps) *echo.Echo {
	h := &Handler{
		cfg:     d.Config,
		getenv:  d.Getenv,
		store:   d.Store,
		logger:  d.Logger,
		assets:  d.Assets,
		process: d.Process,
	}
	e := echo.NewWithConfig(echo.Config{
		Logger:          d.Logger,
		IPExtractor:     echo.ExtractIPFromXFFHeader(),
		SchemeExtractor: forwardedScheme,
	})
	// Errors are answered by logRequests, so that the logged status is the
	// one sent; this handler only sees errors from outside that chain.
	e.HTTPErrorHandler = func(c *echo.Context, err error) { h.handleError(c, err) }
	e.Pre(h.requestID, h.logRequests, middleware.Recover())
	e.Use(
		h.securityHeaders,
		middleware.BodyLimit(maxBodyBytes),
		middleware.ContextTimeout(d.Config.RequestTimeout),
		middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024}),
		h.csrf,
	)
	h.routes(e)
	return e
}

// maxBodyBytes bounds every request body; a full quiz submission is a few KB.
const maxBodyBytes = 256 << 10
