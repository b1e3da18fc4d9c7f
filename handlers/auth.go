package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// signInSettings are the variables that turn sign-in on, as the "not set
// up" page lists them.
var signInSettings = []string{"OIDC_ISSUER_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "SAML_IDP_METADATA_URL", "SAML_SP_KEY", "SAML_SP_CERT", "INSTRUCTOR_EMAILS", "INSTRUCTOR_GROUP"}

// startSignIn sends the browser to the identity provider, keeping state,
// nonce, PKCE verifier and where to come back to in a short-lived signed
// and encrypted cookie, so that any process can finish the sign-in. With
// both an OpenID provider and a SAML IdP configured it first asks which
// (?with=oidc or ?with=saml picks one); with one, it goes straight there.
func (h *Handler) startSignIn(c *echo.Context) error {
	next := auth.SafeNext(c.QueryParam("next"))
	c.Response().Header().Set("Cache-Control", "no-store")
	if h.signin == nil && h.saml == nil {
		return h.showSignInNotSetUp(c, next)
	}
	if identityOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	switch with := c.QueryParam("with"); {
	case h.saml != nil && (h.signin == nil || with == "saml"):
		return h.startSAMLSignIn(c, next)
	case h.saml != nil && with != "oidc":
		return h.showSignInChoice(c, next)
	}
	flow, authURL, err := h.signin.Begin(h.origin(c)+auth.FlowPath, next, time.Now())
	if errors.Is(err, auth.ErrUnavailable) {
		return h.showProviderUnreachable(c, next)
	}
	if err != nil {
		return err
	}
	value, err := h.cookies.EncodeFlow(flow)
	if err != nil {
		return err
	}
	h.setCookie(c, auth.FlowCookie, value, auth.FlowPath, auth.FlowTTL)
	return c.Redirect(http.StatusSeeOther, authURL)
}

// finishSignIn is the provider's redirect back. The flow cookie is cleared
// first, whatever happens, so that a callback can be used once. Only a
// fully verified sign-in writes the users row and sets the identity cookie.
func (h *Handler) finishSignIn(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if h.signin == nil {
		return h.showSignInNotSetUp(c, "/")
	}
	ck, cookieErr := h.cookie(c, auth.FlowCookie, auth.FlowPath)
	h.clearCookie(c, auth.FlowCookie, auth.FlowPath)
	if cookieErr != nil {
		return h.showSignInFailed(c, "/", "this browser has no sign-in in progress. It may have been finished already, taken longer than 10 minutes, or been started in another browser.", cookieErr)
	}
	flow, err := h.cookies.DecodeFlow(ck.Value)
	if err != nil {
		return h.showSignInFailed(c, "/", "the sign-in took longer than 10 minutes or could not be read.", err)
	}

	ctx := c.Request().Context()
	profile, err := h.signin.Finish(ctx, flow, c.QueryParams())
	switch {
	case errors.Is(err, auth.ErrUnavailable):
		return h.showProviderUnreachable(c, flow.Next)
	case errors.Is(err, auth.ErrState):
		return h.showSignInFailed(c, flow.Next, "the answer from the sign-in provider belongs to another sign-in, perhaps one started in another tab.", err)
	case errors.Is(err, auth.ErrProviderRefused) && c.QueryParam("error") == "access_denied":
		return h.showSignInFailed(c, flow.Next, "the sign-in provider did not let you in, or you cancelled.", err)
	case errors.Is(err, auth.ErrProviderRefused):
		return h.showSignInFailed(c, flow.Next, "the sign-in provider reported a problem.", err)
	case errors.Is(err, auth.ErrExchange):
		return h.showSignInFailed(c, flow.Next, "the sign-in provider did not confirm the sign-in.", err)
	case errors.Is(err, auth.ErrIDToken):
		return h.showSignInFailed(c, flow.Next, "the sign-in provider's answer could not be verified.", err)
	case err != nil:
		return err
	}

	id, err := h.establishIdentity(c, profile, "oidc")
	if err != nil {
		return err
	}
	// The ID token is only needed as the logout hint; when it does not fit
	// in a cookie the provider's logout simply goes without it.
	if hint, err := h.cookies.EncodeHint(profile.IDToken, id.Expires); err == nil {
		h.setCookie(c, auth.HintCookie, hint, auth.HintPath, time.Until(id.Expires))
	} else {
		h.clearCookie(c, auth.HintCookie, auth.HintPath)
		h.logger.InfoContext(c.Request().Context(), "logout hint left out", "error", err.Error())
	}
	h.clearCookie(c, auth.SAMLHintCookie, auth.HintPath)
	return c.Redirect(http.StatusSeeOther, auth.SafeNext(flow.Next))
}

// establishIdentity records a verified sign-in (OpenID Connect or SAML) in
// one store operation (store.RecordSignIn: the users row by (issuer,
// subject), the instructor grant and the role the same Policy works out for
// both), sets the identity cookie and makes the person the request's viewer.
func (h *Handler) establishIdentity(c *echo.Context, profile auth.Profile, via string) (auth.Identity, error) {
	id := auth.Identity{
		Issuer:        profile.Issuer,
		Subject:       profile.Subject,
		Email:         profile.Email,
		EmailVerified: profile.EmailVerified,
		Group:         h.roles.MatchGroup(profile.Groups),
	}
	user, err := h.store.RecordSignIn(c.Request().Context(),
		store.SignIn{Issuer: profile.Issuer, Subject: profile.Subject, Email: profile.Email, Name: profile.Name,
			EmailVerified: profile.EmailVerified},
		func(granted bool) bool { return h.roles.Instructor(id, granted) })
	if err != nil {
		return auth.Identity{}, err
	}
	id.UserID, id.Name, id.Email, id.Granted = user.ID, user.Name, user.Email, user.Granted
	// Timed by the database's clock, as sign-outs are (store.SignOut).
	id = h.lifetime.Start(id, user.LastLoginAt)
	if id.Name == "" {
		id.Name = "(no name given)"
	}
	if err := h.setIdentityCookie(c, id); err != nil {
		return auth.Identity{}, err
	}
	h.setIdentity(c, id)
	h.logger.InfoContext(c.Request().Context(), "signed in", "user_id", id.UserID, "instructor", user.Instructor, "via", via)
	return id, nil
}

// confirmSignOut shows the sign-out button: people type /logout, and a GET
// must not change anything.
func (h *Handler) confirmSignOut(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	p := h.page(c, "Sign out")
	p.Path = "/"
	return h.ok(c, views.SignOutPage(p))
}

// signOut ends every sign-in of the person, in every browser and every
// web process (it is also /me's "Sign out everywhere"): identity cookies
// carry no per-browser id, so what can be revoked cheaply and exactly is
// all of a user's sign-ins up to now (see package signout). It then clears
// this site's cookies and sends the browser to the provider's
// end_session_endpoint (when it has one), or for a SAML sign-in to the
// IdP's single logout service with a LogoutRequest, so the person is
// signed out there too, and back to the course home.
func (h *Handler) signOut(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	id := identityOf(c)
	if id != nil {
		// Recorded first: if the database cannot take it, the person is
		// told and may try again, rather than believe they are signed out.
		if err := h.signouts.SignOut(c.Request().Context(), id.UserID); err != nil {
			return err
		}
	}
	hint := ""
	if ck, err := h.cookie(c, auth.HintCookie, auth.HintPath); err == nil {
		hint, _ = h.cookies.DecodeHint(ck.Value)
	}
	samlSession, samlSignedIn := h.samlSessionOf(c)
	h.clearIdentityCookie(c)
	h.clearCookie(c, auth.HintCookie, auth.HintPath)
	h.clearCookie(c, auth.SAMLHintCookie, auth.HintPath)
	if id != nil {
		h.logger.InfoContext(c.Request().Context(), "signed out", "user_id", id.UserID)
	}
	c.Set(identityKey, nil)
	c.Set(viewerKey, nil)
	if samlSignedIn {
		if target, ok := h.startSAMLSignOut(c, samlSession); ok {
			return c.Redirect(http.StatusSeeOther, target)
		}
		return c.Redirect(http.StatusSeeOther, "/")
	}
	if h.signin != nil && (id != nil || hint != "") {
		if target, ok := h.signin.EndSessionURL(h.origin(c)+"/", hint); ok {
			return c.Redirect(http.StatusSeeOther, target)
		}
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// showSignInNotSetUp answers 503: this deploy offers no sign-in, and the
// page tells whoever runs it which settings to set. 503 rather than 200 so
// that monitors and scripts see that sign-in is unavailable here.
func (h *Handler) showSignInNotSetUp(c *echo.Context, next string) error {
	var settings []views.SettingHint
	for _, name := range signInSettings {
		for _, s := range config.Settings {
			if s.Name == name {
				settings = append(settings, views.SettingHint{Name: s.Name, Description: s.Description})
			}
		}
	}
	p := h.page(c, "Sign-in is not set up")
	p.Path = next
	return h.render(c, http.StatusServiceUnavailable, views.SignInNotSetUpPage(p, views.SignInNotSetUpView{Settings: settings}))
}

// showProviderUnreachable answers 503 while discovery has not succeeded.
func (h *Handler) showProviderUnreachable(c *echo.Context, next string) error {
	c.Response().Header().Set("Retry-After", "10")
	p := h.page(c, "Sign-in provider unreachable")
	p.Path = next
	return h.render(c, http.StatusServiceUnavailable, views.SignInUnreachablePage(p, views.SignInURL(next)))
}

// showSignInFailed answers 400 with reason, written for the person; the
// detail is logged, never shown.
func (h *Handler) showSignInFailed(c *echo.Context, next, reason string, detail error) error {
	h.logger.WarnContext(c.Request().Context(), "sign-in failed", "error", detail.Error())
	p := h.page(c, "Sign-in failed")
	p.Path = next
	return h.render(c, http.StatusBadRequest, views.SignInFailedPage(p, views.SignInFailedView{
		Reason:    "Sign-in failed: " + reason + " Please try again.",
		RetryURL:  views.SignInURL(next),
		RequestID: requestIDOf(c),
	}))
}

// showSignedOut says why the person's sign-in ended (?why=idle, expired or
// everywhere, set by the redirect that sent them here) and links to the
// sign-in, which brings them back to ?next=.
func (h *Handler) showSignedOut(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	next := auth.SafeNext(c.QueryParam("next"))
	why := c.QueryParam("why")
	switch why {
	case signedOutIdle, signedOutExpired, signedOutEverywhere:
	default:
		why = ""
	}
	p := h.page(c, "Signed out")
	p.Path = next
	return h.ok(c, views.SignedOutPage(p, views.SignedOutView{
		Why:       why,
		SignInURL: views.SignInURL(next),
		Idle:      inWords(h.lifetime.Idle),
		Lifetime:  inWords(h.lifetime.Max),
	}))
}

// inWords says a duration of whole minutes or hours as a person would.
func inWords(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d == time.Hour:
		return "1 hour"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	case d == time.Minute:
		return "1 minute"
	default:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	}
}
