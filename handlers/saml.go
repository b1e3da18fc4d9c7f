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

// errSignedOutHereOnly answers a single logout whose end at the identity
// provider could not be confirmed; this site's cookies are gone already.
var errSignedOutHereOnly = &Error{Status: http.StatusBadRequest, Heading: "Signed out of this site only", Message: "You are signed out of this course. Your identity provider's answer about signing you out there could not be verified, so you may still be signed in with it: close the browser to be sure."}

// errSAMLSignOutRefused answers a LogoutRequest that could not be verified.
var errSAMLSignOutRefused = &Error{Status: http.StatusBadRequest, Heading: "Sign-out request refused", Message: "This sign-out request did not come verifiably from the identity provider, so nothing was changed. To sign out, use the Sign out button."}

// showSAMLMetadata serves this site's SAML service provider metadata: the
// entity ID, assertion consumer, single logout service and certificate the
// identity provider registers.
func (h *Handler) showSAMLMetadata(c *echo.Context) error {
	if h.saml == nil {
		return errNotFound
	}
	b, err := h.saml.Metadata(h.origin(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `inline; filename="twelve-saml-metadata.xml"`)
	return c.Blob(http.StatusOK, "application/samlmetadata+xml", b)
}

// startSAMLSignIn sends the browser to the SAML identity provider with a
// signed AuthnRequest, keeping its ID, the RelayState and where to come
// back to in a short-lived signed and encrypted cookie for the consumer.
func (h *Handler) startSAMLSignIn(c *echo.Context, next string) error {
	flow, target, err := h.saml.Begin(h.origin(c), next, time.Now())
	if errors.Is(err, auth.ErrUnavailable) {
		return h.showProviderUnreachable(c, next)
	}
	if err != nil {
		return err
	}
	value, err := h.cookies.EncodeSAMLFlow(flow)
	if err != nil {
		return err
	}
	h.setCrossSiteCookie(c, auth.SAMLFlowCookie, value, auth.SAMLACSPath, auth.FlowTTL)
	return c.Redirect(http.StatusSeeOther, target)
}

// finishSAMLSignIn is the assertion consumer: the identity provider's
// response, posted by the browser. The flow cookie is cleared first,
// whatever happens, so that a response is taken once per request. Only a
// fully verified response writes the users row and sets the identity
// cookie, the same cookie an OpenID Connect sign-in sets.
func (h *Handler) finishSAMLSignIn(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if h.saml == nil {
		return errNotFound
	}
	ck, cookieErr := h.cookie(c, auth.SAMLFlowCookie, auth.SAMLACSPath)
	h.clearCrossSiteCookie(c, auth.SAMLFlowCookie, auth.SAMLACSPath)
	var flow *auth.SAMLFlow
	next := "/"
	if cookieErr == nil {
		f, err := h.cookies.DecodeSAMLFlow(ck.Value)
		if err != nil {
			return h.showSignInFailed(c, "/", "the sign-in took longer than 10 minutes or could not be read.", err)
		}
		flow, next = &f, f.Next
	}
	if err := c.Request().ParseForm(); err != nil {
		return h.showSignInFailed(c, next, "the sign-in provider's answer could not be read.", err)
	}

	res, err := h.saml.Finish(h.origin(c), flow, c.Request().PostForm)
	switch {
	case errors.Is(err, auth.ErrUnavailable):
		return h.showProviderUnreachable(c, next)
	case errors.Is(err, auth.ErrUnsolicited):
		return h.showSignInFailed(c, next, "this site only accepts sign-ins started here, and this one was started at the identity provider.", err)
	case errors.Is(err, auth.ErrState) && flow == nil:
		return h.showSignInFailed(c, next, "this browser has no sign-in in progress. It may have been finished already, taken longer than 10 minutes, or been started in another browser.", err)
	case errors.Is(err, auth.ErrState):
		return h.showSignInFailed(c, next, "the answer from the sign-in provider belongs to another sign-in, perhaps one started in another tab.", err)
	case errors.Is(err, auth.ErrProviderRefused):
		return h.showSignInFailed(c, next, "the sign-in provider did not let you in, or you cancelled.", err)
	case errors.Is(err, auth.ErrSAMLSignature):
		return h.showSignInFailed(c, next, "the sign-in provider's answer is not signed by the provider this site trusts.", err)
	case errors.Is(err, auth.ErrSAMLAudience):
		return h.showSignInFailed(c, next, "the sign-in provider's answer was meant for another site.", err)
	case errors.Is(err, auth.ErrSAMLExpired):
		return h.showSignInFailed(c, next, "the sign-in provider's answer has expired or is not valid yet. If this keeps happening, the clocks of this site and the provider disagree.", err)
	case errors.Is(err, auth.ErrNoStableID):
		return h.showSignInFailed(c, next, "the sign-in provider did not send a lasting identifier for you. Whoever runs this site can fix this (see docs/saml.md).", err)
	case errors.Is(err, auth.ErrSAMLResponse):
		return h.showSignInFailed(c, next, "the sign-in provider's answer could not be verified.", err)
	case err != nil:
		return err
	}

	id, err := h.establishIdentity(c, res.Profile, "saml")
	if err != nil {
		return err
	}
	// Single logout must name the NameID and session index the IdP issued.
	session := res.Session
	session.Expires = id.Expires
	if value, err := h.cookies.EncodeSAMLSession(session); err == nil {
		h.setCookie(c, auth.SAMLHintCookie, value, auth.HintPath, time.Until(id.Expires))
	} else {
		h.clearCookie(c, auth.SAMLHintCookie, auth.HintPath)
		h.logger.InfoContext(c.Request().Context(), "SAML logout hint left out", "error", err.Error())
	}
	h.clearCookie(c, auth.HintCookie, auth.HintPath)
	return c.Redirect(http.StatusSeeOther, auth.SafeNext(res.Next))
}

// samlSessionOf returns the SAML sign-in kept for single logout, if the
// person signed in with SAML.
func (h *Handler) samlSessionOf(c *echo.Context) (auth.SAMLSession, bool) {
	ck, err := h.cookie(c, auth.SAMLHintCookie, auth.HintPath)
	if err != nil {
		return auth.SAMLSession{}, false
	}
	s, err := h.cookies.DecodeSAMLSession(ck.Value)
	return s, err == nil
}

// startSAMLSignOut returns the identity provider's single logout URL with a
// LogoutRequest for s, remembering the request in a cookie for the answer;
// ok is false when the provider offers no single logout.
func (h *Handler) startSAMLSignOut(c *echo.Context, s auth.SAMLSession) (string, bool) {
	if h.saml == nil {
		return "", false
	}
	o, target, ok := h.saml.BeginSignOut(h.origin(c), s, time.Now())
	if !ok {
		return "", false
	}
	value, err := h.cookies.EncodeSAMLSignOut(o)
	if err != nil {
		return "", false
	}
	h.setCrossSiteCookie(c, auth.SAMLSignOutCookie, value, auth.SAMLSLOPath, auth.FlowTTL)
	return target, true
}

// finishSAMLSignOut is the single logout service. A LogoutResponse answers
// the LogoutRequest sent from signOut: this site's cookies are gone
// already, so it only reports whether the provider confirmed. A
// LogoutRequest comes from the provider (someone signed out elsewhere):
// this browser is signed out and the provider gets its answer.
func (h *Handler) finishSAMLSignOut(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if h.saml == nil {
		return errNotFound
	}
	r := c.Request()
	if auth.IsSAMLLogoutResponse(r) {
		ck, cookieErr := h.cookie(c, auth.SAMLSignOutCookie, auth.SAMLSLOPath)
		h.clearCrossSiteCookie(c, auth.SAMLSignOutCookie, auth.SAMLSLOPath)
		if cookieErr != nil {
			h.logger.WarnContext(c.Request().Context(), "SAML sign-out answer without a sign-out in progress")
			return errSignedOutHereOnly
		}
		o, err := h.cookies.DecodeSAMLSignOut(ck.Value)
		if err == nil {
			err = h.saml.FinishSignOut(h.origin(c), o, r)
		}
		if err != nil {
			h.logger.WarnContext(c.Request().Context(), "SAML sign-out not confirmed", "error", err.Error())
			return errSignedOutHereOnly
		}
		h.logger.InfoContext(c.Request().Context(), "signed out at the identity provider")
		return c.Redirect(http.StatusSeeOther, "/")
	}

	target, err := h.saml.AnswerSignOut(h.origin(c), r)
	if err != nil {
		h.logger.WarnContext(c.Request().Context(), "SAML sign-out request refused", "error", err.Error())
		return errSAMLSignOutRefused
	}
	if id := identityOf(c); id != nil {
		if err := h.signouts.SignOut(c.Request().Context(), id.UserID); err != nil {
			return err
		}
		h.logger.InfoContext(c.Request().Context(), "signed out by the identity provider", "user_id", id.UserID)
	}
	h.clearIdentityCookie(c)
	h.clearCookie(c, auth.HintCookie, auth.HintPath)
	h.clearCookie(c, auth.SAMLHintCookie, auth.HintPath)
	c.Set(identityKey, nil)
	c.Set(viewerKey, nil)
	return c.Redirect(http.StatusSeeOther, target)
}

// showSignInChoice lets the person pick the OpenID provider or the SAML
// identity provider; both links keep next.
func (h *Handler) showSignInChoice(c *echo.Context, next string) error {
	with := func(provider string) string {
		q := url.Values{"with": {provider}}
		if next != "/" {
			q.Set("next", next)
		}
		return "/login?" + q.Encode()
	}
	samlHost := hostOf(h.saml.IDPEntityID())
	if samlHost == "" {
		samlHost = hostOf(h.saml.MetadataURL())
	}
	p := h.page(c, "Sign in")
	p.Path = next
	return h.ok(c, views.SignInChoicePage(p, views.SignInChoiceView{
		OIDCURL:  with("oidc"),
		OIDCHost: hostOf(h.cfg.OIDC.IssuerURL),
		SAMLURL:  with("saml"),
		SAMLHost: samlHost,
	}))
}

// hostOf is the host of an http(s) URL, or "".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return u.Hostname()
}

// setCrossSiteCookie sends a cookie that must come back on a request the
// identity provider's page makes to this site: a cross-site POST to the
// assertion consumer or single logout service. SameSite=Lax cookies are not
// sent on a cross-site POST, so over https it is SameSite=None; Secure.
// Over plain http (development, tests) Secure is impossible and browsers
// refuse SameSite=None without it, so the attribute is left out: browsers
// then apply their default, which lets it through when the IdP is on the
// same site (localhost) and, in Chrome, for two minutes on a top-level POST.
// It is HttpOnly, scoped to one path and short-lived either way.
func (h *Handler) setCrossSiteCookie(c *echo.Context, name, value, path string, ttl time.Duration) {
	secure := c.Scheme() == "https"
	c.SetCookie(&http.Cookie{
		Name: auth.WireName(name, path, secure), Value: value, Path: path, MaxAge: max(int(ttl/time.Second), 1),
		HttpOnly: true, SameSite: crossSiteMode(secure), Secure: secure,
	})
}

// clearCrossSiteCookie tells the browser to forget a cookie set by
// setCrossSiteCookie.
func (h *Handler) clearCrossSiteCookie(c *echo.Context, name, path string) {
	secure := c.Scheme() == "https"
	c.SetCookie(&http.Cookie{
		Name: auth.WireName(name, path, secure), Value: "", Path: path, MaxAge: -1,
		HttpOnly: true, SameSite: crossSiteMode(secure), Secure: secure,
	})
}

func crossSiteMode(secure bool) http.SameSite {
	if secure {
		return http.SameSiteNoneMode
	}
	return http.SameSiteDefaultMode
}
