package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/views"
)

// identityKey holds the decoded *auth.Identity of a signed-in request.
const identityKey = "identity"

// errForbidden is the page for signed-in people on pages not meant for them.
// The error handler answers auth.ErrForbidden with it.
var errForbidden = &Error{Status: http.StatusForbidden, Heading: "Not allowed", Message: "Your account cannot open this page. Instructor pages are for the course's instructors: if you should be one, ask whoever runs this site to make you one, then open this page again."}

// identify reads the identity cookie on every request and, when it is
// valid, makes its owner the viewer. Identity travels only in the cookie:
// no session store and no database are consulted (factor VI). A cookie that
// is tampered with, expired or signed with a key this process does not hold
// counts as signed out and is cleared.
func (h *Handler) identify(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		ck, err := c.Cookie(auth.IdentityCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		id, err := h.ids.decode(h.cookies, ck.Value)
		if err != nil {
			h.logger.InfoContext(c.Request().Context(), "identity cookie refused", "error", err.Error())
			h.clearCookie(c, auth.IdentityCookie, "/")
			return next(c)
		}
		setIdentity(c, id)
		return next(c)
	}
}

// setIdentity makes id the request's viewer. Every page shows who is
// signed in, so no answer to a signed-in request may be stored by a browser
// or a proxy: the next person at a shared computer could page back to it.
// (Static assets set their own caching afterwards; they name nobody.)
func setIdentity(c *echo.Context, id auth.Identity) {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Set(identityKey, &id)
	c.Set(viewerKey, &views.Viewer{ID: id.UserID, Name: id.Name, Email: id.Email, Instructor: id.Instructor})
}

// identityOf returns the signed-in identity, or nil.
func identityOf(c *echo.Context) *auth.Identity {
	id, _ := c.Get(identityKey).(*auth.Identity)
	return id
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
		back := views.SignInURL(auth.SafeNext(c.Request().URL.RequestURI()))
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead:
			c.Response().Header().Set("Cache-Control", "no-store")
			return c.Redirect(http.StatusSeeOther, back)
		}
		return h.render(c, http.StatusUnauthorized, views.SignInRequiredPage(h.page(c, "Please sign in"), back))
	}
}

// requireInstructor guards instructor routes. The cookie's instructor flag
// is only a display hint: here the role is recomputed from INSTRUCTOR_EMAILS
// as configured now, the group membership reported at sign-in, and the
// grants table read now, so `twelve admin revoke-instructor` takes effect
// on the next instructor request, not when the cookie expires. When the
// answer differs from the cookie, the cookie is reissued (same expiry) so
// the header shows the right role too. It only reads the database: the
// role the reports go by (users.instructor) is written at sign-in and by
// the grant and revoke commands (see store.RecordSignIn), never by a GET.
func (h *Handler) requireInstructor(next echo.HandlerFunc) echo.HandlerFunc {
	return h.requireSignIn(func(c *echo.Context) error {
		id := identityOf(c)
		granted := false
		if id.EmailVerified {
			var err error
			if granted, err = h.store.HasInstructorGrant(c.Request().Context(), id.Email); err != nil {
				return err
			}
		}
		if now := h.roles.Instructor(*id, granted); now != id.Instructor {
			fresh := *id
			fresh.Instructor = now
			if err := h.setIdentityCookie(c, fresh); err != nil {
				return err
			}
			setIdentity(c, fresh)
			h.logger.InfoContext(c.Request().Context(), "instructor role changed", "user_id", id.UserID, "instructor", now)
		}
		if !identityOf(c).Instructor {
			return auth.ErrForbidden
		}
		return next(c)
	})
}

// setIdentityCookie sends the identity cookie for id, expiring with it.
func (h *Handler) setIdentityCookie(c *echo.Context, id auth.Identity) error {
	value, err := h.cookies.EncodeIdentity(id)
	if err != nil {
		return err
	}
	h.setCookie(c, auth.IdentityCookie, value, "/", time.Until(id.Expires))
	return nil
}

// setCookie sends an HttpOnly, SameSite=Lax cookie, Secure whenever the
// request came over https (directly or through the router).
func (h *Handler) setCookie(c *echo.Context, name, value, path string, ttl time.Duration) {
	c.SetCookie(&http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: max(int(ttl/time.Second), 1),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https",
	})
}

// clearCookie tells the browser to forget a cookie set by setCookie.
func (h *Handler) clearCookie(c *echo.Context, name, path string) {
	c.SetCookie(&http.Cookie{
		Name: name, Value: "", Path: path, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https",
	})
}
