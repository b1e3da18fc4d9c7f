package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/views"
)

// Context keys of the identity middleware.
const (
	// identityKey holds the decoded *auth.Identity of a signed-in request.
	identityKey = "identity"
	// signedOutKey holds why this request's identity cookie was refused
	// (one of the signedOut… reasons), when there is one to tell.
	signedOutKey = "signed_out"
)

// Why a sign-in ended, as /signed-out?why= names it.
const (
	signedOutIdle       = "idle"
	signedOutExpired    = "expired"
	signedOutEverywhere = "everywhere"
)

// errForbidden is the page for signed-in people on pages not meant for them.
// The error handler answers auth.ErrForbidden with it.
var errForbidden = &Error{Status: http.StatusForbidden, Heading: "Not allowed", Message: "Your account cannot open this page. Instructor pages are for the course's instructors: if you should be one, ask whoever runs this site to make you one, then open this page again."}

// identify reads the identity cookie on every request and, when it is
// valid, makes its owner the viewer. Identity travels in the cookie: no
// session store is consulted (factor VI). What is checked per request is
// in memory: the cookie's seal (cached, see identityCache), the idle
// timeout and absolute lifetime (auth.Lifetime) and the process's list of
// recent sign-outs (package signout). A cookie refused for any reason
// counts as signed out and is cleared; a valid one older than a quarter
// of the idle timeout is renewed.
func (h *Handler) identify(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		ck, err := h.cookie(c, auth.IdentityCookie, "/")
		if err != nil || ck.Value == "" {
			return next(c)
		}
		now := time.Now()
		id, why, err := h.checkIdentity(c, ck.Value, now)
		if err != nil {
			h.logger.InfoContext(c.Request().Context(), "identity cookie refused", "error", err.Error(), "user_id", id.UserID)
			h.clearIdentityCookie(c)
			if why != "" {
				c.Set(signedOutKey, why)
			}
			return next(c)
		}
		if renewed, due := h.lifetime.Renew(id, now); due {
			if err := h.setIdentityCookie(c, renewed); err != nil {
				return err
			}
			id = renewed
		}
		h.setIdentity(c, id)
		return next(c)
	}
}

// errSignedOut is the error checkIdentity refuses a revoked cookie with.
var errSignedOut = errors.New("signed out everywhere")

// checkIdentity opens an identity cookie and checks it is still good. On
// refusal it returns why, for the signed-out page ("" when the cookie is
// simply not valid), and the identity when it could be read.
func (h *Handler) checkIdentity(c *echo.Context, value string, now time.Time) (auth.Identity, string, error) {
	id, err := h.ids.decode(h.cookies, value)
	if errors.Is(err, auth.ErrExpired) {
		return id, signedOutExpired, err
	}
	if err != nil {
		return id, "", err
	}
	switch err := h.lifetime.Check(id, now); {
	case errors.Is(err, auth.ErrExpired):
		return id, signedOutExpired, err
	case err != nil:
		return id, signedOutIdle, err
	}
	revoked, err := h.signouts.Revoked(c.Request().Context(), id.UserID, id.SignedInAt)
	if err != nil {
		h.logger.WarnContext(c.Request().Context(), "sign-outs unavailable; trusting the last known list", "error", err.Error())
	}
	if revoked {
		return id, signedOutEverywhere, errSignedOut
	}
	return id, "", nil
}

// setIdentity makes id the request's viewer, with the role the settings
// give now (auth.Policy) and the grant as the cookie last saw it. Every
// page shows who is signed in, so no answer to a signed-in request may be
// stored by a browser or a proxy: the next person at a shared computer
// could page back to it. (Static assets set their own caching afterwards;
// they name nobody.)
func (h *Handler) setIdentity(c *echo.Context, id auth.Identity) {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Set(identityKey, &id)
	c.Set(viewerKey, &views.Viewer{ID: id.UserID, Name: id.Name, Email: id.Email, Instructor: h.roles.Instructor(id, id.Granted), Teaches: h.classes.Teaches(id.UserID)})
}

// identityOf returns the signed-in identity, or nil.
func identityOf(c *echo.Context) *auth.Identity {
	id, _ := c.Get(identityKey).(*auth.Identity)
	return id
}

// signInURL is where a signed-out visitor goes to sign in and come back
// to path: the sign-in itself, or, when this request's cookie was just
// refused for a reason worth telling, the page that tells it and links
// to the sign-in.
func signInURL(c *echo.Context, path string) string {
	why, _ := c.Get(signedOutKey).(string)
	if why == "" {
		return views.SignInURL(path)
	}
	q := url.Values{"why": {why}}
	if path != "" && path != "/" {
		q.Set("next", path)
	}
	return "/signed-out?" + q.Encode()
}

// requireSignIn guards routes for signed-in people. A signed-out visitor is
// sent to sign in and brought back on GET; a form sent while signed out
// (the sign-in may have ended while it was filled in) gets a page saying
// so, since a redirect would lose it.
func (h *Handler) requireSignIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		if identityOf(c) != nil {
			return next(c)
		}
		back := signInURL(c, auth.SafeNext(c.Request().URL.RequestURI()))
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead:
			c.Response().Header().Set("Cache-Control", "no-store")
			return c.Redirect(http.StatusSeeOther, back)
		}
		return h.render(c, http.StatusUnauthorized, views.SignInRequiredPage(h.page(c, "Please sign in"), back))
	}
}

// requireInstructor guards instructor routes. The role is worked out as
// on every request (auth.Policy: INSTRUCTOR_EMAILS and INSTRUCTOR_GROUP as
// configured now, with the group the provider reported at sign-in), but
// with the grants table read now, so `twelve admin revoke-instructor`
// takes effect on the next instructor request. When the grant differs
// from the cookie's, the cookie is reissued so the header shows the right
// role on other pages too. It only reads the database: the role the
// reports go by (users.instructor) is written at sign-in and by the grant
// and revoke commands (see store.RecordSignIn), never by a GET.
func (h *Handler) requireInstructor(next echo.HandlerFunc) echo.HandlerFunc {
	return h.requireSignIn(func(c *echo.Context) error {
		staff, err := h.courseStaff(c)
		if err != nil {
			return err
		}
		if !staff {
			return auth.ErrForbidden
		}
		return next(c)
	})
}

// courseStaff reports whether the signed-in person is course staff (an
// instructor of the whole course), as requireInstructor decides it.
func (h *Handler) courseStaff(c *echo.Context) (bool, error) {
	id := identityOf(c)
	granted := false
	if id.EmailVerified {
		var err error
		if granted, err = h.store.HasInstructorGrant(c.Request().Context(), id.Email); err != nil {
			return false, err
		}
	}
	if granted != id.Granted {
		fresh := *id
		fresh.Granted = granted
		if err := h.setIdentityCookie(c, fresh); err != nil {
			return false, err
		}
		h.setIdentity(c, fresh)
		h.logger.InfoContext(c.Request().Context(), "instructor grant changed", "user_id", id.UserID, "granted", granted)
	}
	return h.roles.Instructor(*identityOf(c), granted), nil
}

// identityCookieGrace is how long the browser keeps an identity cookie
// past the sign-in's end, so that the site can still read it and say why
// the person was signed out rather than show them signed out unexplained.
const identityCookieGrace = 24 * time.Hour

// setIdentityCookie sends the identity cookie for id. The server refuses
// it after the idle timeout or at id.Expires; the browser keeps it a
// little longer (identityCookieGrace). An LTI sign-in's cookie is an
// embedded one (see setCookieFor), and so are its renewals.
func (h *Handler) setIdentityCookie(c *echo.Context, id auth.Identity) error {
	value, err := h.cookies.EncodeIdentity(id)
	if err != nil {
		return err
	}
	ttl := min(time.Until(id.Expires)+identityCookieGrace, auth.IdentityTTL)
	h.setCookieFor(c, auth.IdentityCookie, value, "/", ttl, id.Embedded)
	return nil
}

// clearIdentityCookie tells the browser to forget the identity cookie in
// both its forms: a partitioned cookie is a cookie of its own, which only
// a Set-Cookie that says Partitioned clears.
func (h *Handler) clearIdentityCookie(c *echo.Context) {
	h.clearCookie(c, auth.IdentityCookie, "/")
	if crossSiteCapable(c) {
		h.clearCookieFor(c, auth.IdentityCookie, "/", true)
	}
}

// cookie returns the cookie called name (scoped to path) that came with
// the request, under the name it has in this request's scheme (see
// auth.WireName).
func (h *Handler) cookie(c *echo.Context, name, path string) (*http.Cookie, error) {
	return c.Cookie(auth.WireName(name, path, c.Scheme() == "https"))
}

// setCookie sends an HttpOnly, SameSite=Lax cookie, Secure and with a
// __Host- or __Secure- name whenever the request came over https
// (directly or through the router).
func (h *Handler) setCookie(c *echo.Context, name, value, path string, ttl time.Duration) {
	h.setCookieFor(c, name, value, path, ttl, false)
}

// clearCookie tells the browser to forget a cookie set by setCookie.
func (h *Handler) clearCookie(c *echo.Context, name, path string) {
	h.clearCookieFor(c, name, path, false)
}

// setCookieFor sends a cookie, first-party (as setCookie) or, when
// embedded, one that also works inside another site's iframe (an LMS page
// launching Twelve by LTI): SameSite=None, so the browser sends it on the
// LMS's cross-site form posts and in the frame; Partitioned (CHIPS), so
// browsers that block third-party cookies (Chrome's tracking protection,
// Firefox's Total Cookie Protection) still keep it, in a jar of its own
// for that LMS; and Secure, which both require. Secure is possible over
// https and on a loopback host (browsers treat http://localhost and
// 127.0.0.1 as secure contexts). Elsewhere over plain http an embedded
// cookie falls back to SameSite=Lax, which works outside a frame only.
func (h *Handler) setCookieFor(c *echo.Context, name, value, path string, ttl time.Duration, embedded bool) {
	ck := cookieAttrs(c, name, path, embedded)
	ck.Value, ck.MaxAge = value, max(int(ttl/time.Second), 1)
	c.SetCookie(ck)
}

// clearCookieFor tells the browser to forget a cookie set by setCookieFor
// with the same embedded.
func (h *Handler) clearCookieFor(c *echo.Context, name, path string, embedded bool) {
	ck := cookieAttrs(c, name, path, embedded)
	ck.MaxAge = -1
	c.SetCookie(ck)
}

// cookieAttrs is a cookie's name and attributes, without value or age.
func cookieAttrs(c *echo.Context, name, path string, embedded bool) *http.Cookie {
	https := c.Scheme() == "https"
	ck := &http.Cookie{
		Name: auth.WireName(name, path, https), Path: path,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: https,
	}
	if embedded && crossSiteCapable(c) {
		ck.SameSite, ck.Secure, ck.Partitioned = http.SameSiteNoneMode, true, true
	}
	return ck
}

// crossSiteCapable reports whether this request's browser can keep a
// Secure cookie from this site: over https, or on a loopback host.
func crossSiteCapable(c *echo.Context) bool {
	return c.Scheme() == "https" || isLoopback(hostName(c.Request().Host))
}
