// Package handlers is Twelve's HTTP layer: the echo router, its middleware
// and one handler method per route.
package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/internal/seal"
	"github.com/twelve-course/twelve/quiz"
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
	// Addr is the address the listener is bound to, e.g. "[::]:8080".
	Addr string
	// StartupDuration is the time from the command starting to the
	// listener being bound (config, assets, lessons, pool, schema check).
	StartupDuration time.Duration
}

// Deps are what the handlers need; cmd/twelve builds them once.
type Deps struct {
	Config  config.Config
	Getenv  func(string) string
	Store   *store.Store
	Logger  *slog.Logger
	Assets  *static.Assets
	Process Process
	// SignIn is the OpenID Connect relying party, or nil when
	// OIDC_ISSUER_URL is unset and sign-in is off.
	SignIn *auth.RelyingParty
	// SAML is the SAML 2.0 service provider, or nil when no SAML identity
	// provider is configured.
	SAML *auth.ServiceProvider
	// Course is the lessons to serve; nil means the course embedded in the binary.
	Course *content.Course
	// AdminCommands names the `twelve admin …` commands of this binary.
	AdminCommands []string
	// Quizzes are the question banks by lesson slug; nil means the
	// course's own.
	Quizzes map[string]*quiz.Quiz
}

// Handler holds the dependencies of every route.
type Handler struct {
	cfg     config.Config
	getenv  func(string) string
	store   *store.Store
	logger  *slog.Logger
	assets  *static.Assets
	process Process
	signin  *auth.RelyingParty
	saml    *auth.ServiceProvider
	cookies *auth.Cookies
	roles   auth.Policy
	views   courseViews                    // lesson pages, prepared once
	facts   processFacts                   // live-panel facts that cannot change in a process
	quizzes *quizBook                      // current quizzes and every version seen
	tokens  *quiz.Signer                   // attempt tokens
	pending *seal.Codec[pendingSubmission] // submissions held through a sign-in
	live    liveCache                      // lesson panels' recent database readings
	panels  panelHTML                      // lesson panels as last rendered
	ids     identityCache
}

// newHandler holds d for the routes.
func newHandler(d Deps) (*Handler, error) {
	course := courseOrEmbedded(d.Course)
	if d.Quizzes == nil {
		d.Quizzes = course.Quizzes()
	}
	cookies, err := auth.NewCookies(d.Config.SecretKeys)
	if err != nil {
		return nil, err
	}
	tokens, err := quiz.NewSigner(d.Config.SecretKeys)
	if err != nil {
		return nil, err
	}
	pending, err := newPendingCodec(d.Config.SecretKeys)
	if err != nil {
		return nil, fmt.Errorf("handlers: pending submission keys: %w", err)
	}
	h := &Handler{
		cfg:     d.Config,
		getenv:  d.Getenv,
		store:   d.Store,
		logger:  d.Logger,
		assets:  d.Assets,
		process: d.Process,
		signin:  d.SignIn,
		saml:    d.SAML,
		cookies: cookies,
		roles:   auth.Policy{Emails: d.Config.InstructorEmails, Group: d.Config.InstructorGroup},
		views:   newCourseViews(course),
		facts:   newProcessFacts(d, readBuildInfo()),
		quizzes: newQuizBook(d.Quizzes, d.Store),
		tokens:  tokens,
		pending: pending,
	}
	h.views.shells = h.prerenderLessons()
	return h, nil
}

// New builds the router with its middleware and routes.
func New(d Deps) (*echo.Echo, error) {
	h, err := newHandler(d)
	if err != nil {
		return nil, err
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
		middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024, Skipper: notPage}),
		crossOrigin(),
		h.identify,
	)
	h.routes(e)
	return e, nil
}

// maxBodyBytes bounds every request body; a full quiz submission is a few KB.
const maxBodyBytes = 256 << 10

// notPage skips compression for requests that change something: they are
// answered with a redirect, and the gzip middleware resets a compressor
// (clearing its tables) for every request it handles, body or not.
func notPage(c *echo.Context) bool {
	m := c.Request().Method
	return m != http.MethodGet && m != http.MethodHead
}
