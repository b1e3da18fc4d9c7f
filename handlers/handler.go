// Package handlers is Twelve's HTTP layer: the echo router, its middleware
// and one handler method per route.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/calendar"
	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/framing"
	"github.com/twelve-course/twelve/internal/seal"
	"github.com/twelve-course/twelve/live"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/ltikeys"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/signout"
	"github.com/twelve-course/twelve/static"
	"github.com/twelve-course/twelve/store"
)

// Deps are what the handlers need; cmd/twelve builds them once.
type Deps struct {
	Config  config.Config
	Store   *store.Store
	Logger  *slog.Logger
	Assets  *static.Assets
	Process live.Process
	// SignIn is the OpenID Connect relying party, or nil when
	// OIDC_ISSUER_URL is unset and sign-in is off.
	SignIn *auth.RelyingParty
	// SAML is the SAML 2.0 service provider, or nil when no SAML identity
	// provider is configured.
	SAML *auth.ServiceProvider
	// Course is the lessons and their question banks to serve.
	Course *content.Course
	// SignOuts is the process's list of recent sign-outs, kept current by
	// its Run; nil makes one that is never run, which asks the database
	// on every signed-in request.
	SignOuts *signout.List
	// AdminCommands names the `twelve admin …` commands of this binary.
	AdminCommands []string
	// Clock is the time rate limits are counted in; nil means time.Now.
	Clock func() time.Time
	// Classes is the process's class directory, kept current by its Run;
	// nil makes one over Store, loaded once and then only reloaded by
	// this process's own changes (tests).
	Classes *classes.Directory
	// Frames is the process's list of the sites that may frame Twelve
	// (LTI platforms), kept current by its Run; nil makes one over Store,
	// loaded once (tests).
	Frames *framing.List
	// LTIKeys returns the tool's signing keys (LTI_PRIVATE_KEY, else the
	// key kept in the database); nil makes a ltikeys.Source over Store.
	LTIKeys func(context.Context) (*lti.KeySet, error)
	// LTIClient makes the calls to LTI platforms (their keys); nil means a
	// client with a 10 s timeout.
	LTIClient *http.Client
}

// check reports the dependencies New cannot do without.
func (d Deps) check() error {
	var errs []error
	required := func(name string, missing bool) {
		if missing {
			errs = append(errs, fmt.Errorf("handlers: Deps.%s is required", name))
		}
	}
	required("Course", d.Course == nil)
	required("Store", d.Store == nil)
	required("Logger", d.Logger == nil)
	required("Assets", d.Assets == nil)
	return errors.Join(errs...)
}

// Handler holds the dependencies of every route.
type Handler struct {
	cfg      config.Config
	store    *store.Store
	logger   *slog.Logger
	assets   *static.Assets
	revision string // the VCS revision this binary was built from, or ""
	signin   *auth.RelyingParty
	saml     *auth.ServiceProvider
	cookies  *auth.Cookies
	roles    auth.Policy
	views    courseViews                    // lesson pages, prepared once
	live     *live.Panels                   // the live factor panels
	quizzes  *quizBook                      // current quizzes and every version seen
	tokens   *quiz.Signer                   // attempt tokens
	pending  *seal.Codec[pendingSubmission] // submissions held through a sign-in
	ids      identityCache
	lifetime auth.Lifetime // idle timeout and absolute lifetime of a sign-in
	signouts *signout.List // recent sign-outs
	limits   limits        // request budgets per client address
	classes  *classes.Directory
	feeds    *calendar.FeedTokens // calendar feed links
	frames   *framing.List        // who may frame the pages (CSP frame-ancestors)
	lti      ltiTool              // LTI launches
	ltiCalls *lti.Services        // platform services and Dynamic Registration
}

// newHandler holds d for the routes.
func newHandler(d Deps) (*Handler, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	// Events logged with a request's context name its request id.
	d.Logger = slog.New(logRequestIDs(d.Logger.Handler()))
	if d.Classes == nil {
		// Loaded once; until it is, quiz starts answer 503.
		d.Classes = classes.New(classes.FromStore(d.Store), d.Logger)
		if err := d.Classes.Load(context.Background()); err != nil {
			d.Logger.Warn("classes not loaded", "error", err.Error())
		}
	}
	lv, err := live.New(liveOptions(d))
	if err != nil {
		return nil, fmt.Errorf("handlers: %w", err)
	}
	cookies, err := auth.NewCookies(d.Config.SecretKeys)
	if err != nil {
		return nil, err
	}
	tokens, err := quiz.NewSigner(d.Config.SecretKeys)
	if err != nil {
		return nil, err
	}
	feeds, err := calendar.NewFeedTokens(d.Config.SecretKeys)
	if err != nil {
		return nil, err
	}
	if d.Frames == nil {
		d.Frames = framing.New(framing.FromStore(d.Store), ContentPolicy, d.Logger)
		if err := d.Frames.Load(context.Background()); err != nil {
			d.Logger.Warn("LTI origins not loaded; no site may frame the pages", "error", err.Error())
		}
	}
	if d.LTIKeys == nil {
		src, err := ltikeys.New(d.Store, d.Config.SecretKeys, d.Config.LTIKeys)
		if err != nil {
			return nil, err
		}
		d.LTIKeys = src.KeySet
	}
	ltiTool, err := newLTITool(d.Config.SecretKeys, d.LTIKeys, d.LTIClient)
	if err != nil {
		return nil, err
	}
	pending, err := newPendingCodec(d.Config.SecretKeys)
	if err != nil {
		return nil, fmt.Errorf("handlers: pending submission keys: %w", err)
	}
	h := &Handler{
		cfg:      d.Config,
		store:    d.Store,
		logger:   d.Logger,
		assets:   d.Assets,
		revision: d.Process.Revision,
		signin:   d.SignIn,
		saml:     d.SAML,
		cookies:  cookies,
		roles:    auth.Policy{Emails: d.Config.InstructorEmails, Group: d.Config.InstructorGroup},
		views:    newCourseViews(d.Course),
		live:     lv,
		quizzes:  newQuizBook(d.Course.Quizzes(), d.Store),
		tokens:   tokens,
		pending:  pending,
		lifetime: auth.Lifetime{Idle: d.Config.SessionIdleTimeout, Max: d.Config.SessionMaxLifetime},
		signouts: d.SignOuts,
		limits:   newLimits(d.Clock),
		classes:  d.Classes,
		feeds:    feeds,
		frames:   d.Frames,
		lti:      ltiTool,
	}
	h.ltiCalls = lti.NewServices(h.currentLTIKeys, d.LTIClient)
	if h.signouts == nil {
		h.signouts = signout.New(signout.Options{Store: d.Store, Logger: d.Logger, Horizon: d.Config.SessionMaxLifetime})
	}
	shells, err := h.prerenderLessons()
	if err != nil {
		return nil, err
	}
	h.views.shells = shells
	return h, nil
}

// liveOptions are the live panels' share of d. An interface holding a nil
// pointer is not nil, so absent services are left out, not passed as nil.
func liveOptions(d Deps) live.Options {
	o := live.Options{
		Config: d.Config, Logger: d.Logger, Process: d.Process,
		Course: d.Course, AdminCommands: d.AdminCommands,
	}
	if d.Store != nil {
		cc := d.Store.Pool().Config().ConnConfig
		o.Store, o.Database = d.Store, live.Database{Host: cc.Host, Port: cc.Port}
	}
	if d.SAML != nil {
		o.SAML = d.SAML
	}
	if d.Classes != nil {
		o.Classes = d.Classes
	}
	return o
}

// New builds the router with its middleware and routes. It fails when a
// required dependency is missing or a lesson page cannot be rendered.
func New(d Deps) (*echo.Echo, error) {
	h, err := newHandler(d)
	if err != nil {
		return nil, err
	}
	e := echo.NewWithConfig(echo.Config{
		Logger:          h.logger,
		IPExtractor:     echo.ExtractIPFromXFFHeader(),
		SchemeExtractor: forwardedScheme,
	})
	// Errors are answered by logRequests, so that the logged status is the
	// one sent; this handler only sees errors from outside that chain.
	e.HTTPErrorHandler = func(c *echo.Context, err error) { h.handleError(c, err) }
	e.Pre(h.requestID, h.logRequests, middleware.Recover())
	e.Use(
		h.securityHeaders,
		h.checkHost,
		h.requireHTTPS,
		middleware.BodyLimit(maxBodyBytes),
		middleware.ContextTimeout(d.Config.RequestTimeout),
		middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024, Skipper: notPage}),
		crossOrigin(),
		textOnly,
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
