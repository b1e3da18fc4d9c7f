package handlers

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/auth"
)

// Context keys set by middleware.
const (
	requestIDKey = "request_id"
)

// requestID takes the router's X-Request-Id when it is sane, else makes one,
// and echoes it back so a user can quote it.
func (h *Handler) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		id := c.Request().Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = rand.Text()
		}
		c.Set(requestIDKey, id)
		r := c.Request()
		c.SetRequest(r.WithContext(withRequestID(r.Context(), id)))
		c.Response().Header().Set("X-Request-Id", id)
		return next(c)
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// logRequests writes one event per request to stdout (factor XI). It answers
// errors itself so the event carries the status actually sent.
func (h *Handler) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		start := time.Now()
		// The connection's own context: later middleware replaces the
		// request's with one that is cancelled when the handler returns.
		ctx := c.Request().Context()
		err := next(c)
		gone := err != nil && clientWentAway(ctx, c, err)
		switch {
		case gone:
			// Nobody is left to read an answer, and nothing failed here.
			h.logger.InfoContext(ctx, "client went away", "error", err.Error(), "path", loggedPath(c.Request().URL.Path))
		case err != nil:
			h.handleError(c, err)
		}
		resp, status := echo.ResolveResponseStatus(c.Response(), nil)
		if gone {
			status = statusClientClosed
		}
		var size int64
		if resp != nil {
			size = resp.Size
		}
		attrs := []slog.Attr{
			slog.String("method", c.Request().Method),
			slog.String("path", loggedPath(c.Request().URL.Path)),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.Int64("bytes", size),
			slog.String("remote_ip", c.RealIP()),
		}
		if v := viewerOf(c); v != nil {
			attrs = append(attrs, slog.Int64("user_id", v.ID))
		}
		h.logger.LogAttrs(c.Request().Context(), slog.LevelInfo, "request", attrs...)
		return nil
	}
}

// statusClientClosed is the status a request event gives a request whose
// client closed the connection before the answer was done (nginx's 499):
// no answer was sent, and it is not a server error.
const statusClientClosed = 499

// clientWentAway reports whether err only says that the client is gone:
// the connection's context ctx is cancelled, and err is that cancellation
// (a query or a render stopped by it) or a write that failed after the
// answer had started.
func clientWentAway(ctx context.Context, c *echo.Context, err error) bool {
	if ctx.Err() == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return true
	}
	resp, _ := echo.UnwrapResponse(c.Response())
	return resp != nil && resp.Committed
}

// securityHeaders sets the headers every answer carries. The pages have no
// inline scripts, so the CSP allows scripts from this site only, with no
// per-request nonce to mint. Who may frame the pages (frame-ancestors,
// and X-Frame-Options while no LTI platform is registered) comes from the
// process's framing list, whose values are shared like staticHeaders':
// setting them allocates nothing.
func (h *Handler) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		hdr := c.Response().Header()
		for _, sh := range staticHeaders {
			hdr[sh.key] = sh.value
		}
		framing := h.frames.Headers()
		hdr["Content-Security-Policy"] = framing.CSP
		if framing.FrameOptions != nil {
			hdr["X-Frame-Options"] = framing.FrameOptions
		}
		if c.Scheme() == "https" {
			hdr["Strict-Transport-Security"] = hstsValue
		}
		return next(c)
	}
}

// staticHeaders are set on every answer without allocating: the values are
// shared, which is safe because Header.Set and Header.Del replace a value
// and never change one in place (and Add copies a full slice).
var staticHeaders = [...]struct {
	key   string // canonical
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"strict-origin-when-cross-origin"}},
	// Signed-out pages may be kept but must be revalidated; a signed-in
	// request gets no-store instead (see setIdentity).
	{"Cache-Control", []string{"private, no-cache"}},
}

// ContentPolicy is the Content-Security-Policy of every answer, but for
// frame-ancestors, which the framing list adds (cmd/twelve gives it to
// framing.New). No form-action on
// purpose: Chrome applies it to the redirects that follow a form post,
// and signing out (POST /logout) redirects to the identity provider's
// end_session_endpoint; an LTI launch's pages post to the LMS.
const ContentPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'"

var hstsValue = []string{"max-age=31536000"}

// forwardedScheme trusts X-Forwarded-Proto: behind Heroku's router every
// request comes through the router, which sets it. Claiming https over plain
// http gains a client nothing: it only marks its own cookies Secure.
func forwardedScheme(r *http.Request) string {
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		return "https"
	}
	return "http"
}

var errCrossOrigin = &Error{Status: http.StatusForbidden, Heading: "This form came from another site", Message: "Your browser says this form was sent from another site, so nothing was changed. Go to the course, open the page again and send the form from there."}

// crossSitePOSTs are the routes an identity provider's page posts to from
// another site. They carry their own proof: a SAML message signed by the
// provider, answering a request recorded in this browser's short-lived
// cookie (see handlers/saml.go), or an LTI launch's id_token signed by
// the platform and bound to this browser's flow (handlers/ltilaunch.go;
// an LTI login initiation changes nothing but that flow).
var crossSitePOSTs = [...]string{auth.SAMLACSPath, auth.SAMLSLOPath, ltiLoginPath, ltiLaunchPath}

// crossOrigin refuses a state-changing request that a browser sent from
// another origin, as its Sec-Fetch-Site (or, failing that, Origin) header
// says; see docs/csrf.md for why this replaced a double-submit token.
func crossOrigin() echo.MiddlewareFunc {
	guard := http.NewCrossOriginProtection()
	for _, path := range crossSitePOSTs {
		guard.AddInsecureBypassPattern(http.MethodPost + " " + path)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if err := guard.Check(c.Request()); err != nil {
				return errCrossOrigin
			}
			return next(c)
		}
	}
}

// origin is this site's public origin: BASE_URL, or the request's own.
func (h *Handler) origin(c *echo.Context) string {
	if h.cfg.BaseURL != nil {
		return h.cfg.BaseURL.String()
	}
	return c.Scheme() + "://" + c.Request().Host
}

func requestIDOf(c *echo.Context) string {
	s, _ := c.Get(requestIDKey).(string)
	return s
}
