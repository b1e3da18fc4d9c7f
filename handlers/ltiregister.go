package handlers

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/framing"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// LTI Dynamic Registration (/lti/register): an LMS administrator pastes
// this address into the LMS, which opens it (in a frame or a window) with
// openid_configuration, the address of its OpenID configuration, and
// registration_token, a single-use token for its registration endpoint.
// Twelve fetches the configuration, registers itself there and stores the
// platform. Anyone who runs a platform can do this for their own issuer;
// docs/lti.md ("Who may register, and why that is safe") says what that allows and what not.

var errRegistrationReused = &Error{Status: http.StatusConflict, Heading: "This registration was used already",
	Message: "Each registration token works once, and this one has been used. Start the registration again in the LMS, which gives a new token; nothing was changed."}

// registerTool answers Dynamic Registration's initiation request: 400 for
// a missing or unusable parameter, 409 for a token seen before, 502 with
// the LMS's reason when its configuration or registration fails (then
// nothing is stored but the spent token), else the platform is stored
// and the page asks the LMS to close its dialog.
func (h *Handler) registerTool(c *echo.Context) error {
	q := c.QueryParams()
	configURL, token := strings.TrimSpace(q.Get("openid_configuration")), strings.TrimSpace(q.Get("registration_token"))
	h.allowRegistrationFrame(c, configURL)
	c.Response().Header().Set("Cache-Control", "no-store")
	if err := checkRegistrationParams(configURL, token); err != nil {
		return err
	}
	if err := h.checkLoopbackPlatform(c, configURL); err != nil {
		return err
	}
	hash := sha256.Sum256([]byte(token))
	if err := h.store.UseRegistrationToken(c.Request().Context(), hash[:]); errors.Is(err, store.ErrNonceUsed) {
		return errRegistrationReused
	} else if err != nil {
		return err
	}
	p, err := h.registerWith(c, configURL, token)
	if err != nil {
		return err
	}
	stored, err := h.store.AddLTIPlatform(c.Request().Context(), store.LTIPlatform{
		Issuer: p.Issuer, ClientID: p.ClientID, Name: p.Name, AuthURL: p.AuthURL, TokenURL: p.TokenURL,
		JWKSURL: p.JWKSURL, TokenAudience: p.TokenAudience, Via: store.LTIViaDynamic, Deployments: p.Deployments,
		LearnsDeployments: len(p.Deployments) == 0,
	})
	switch {
	case errors.Is(err, store.ErrLTIPlatformExists):
		return &Error{Status: http.StatusConflict, Heading: "Twelve is registered with this LMS already",
			Message: "The LMS gave a client id that Twelve knows already (" + truncate(p.ClientID, 100) + "), so nothing was changed."}
	case errors.Is(err, store.ErrInvalid):
		return &Error{Status: http.StatusBadGateway, Heading: "The LMS's registration could not be used",
			Message: "The LMS registered Twelve but gave an empty or unusable client id, deployment id or address, so nothing was stored. Tell the LMS's administrator."}
	case err != nil:
		return err
	}
	for _, o := range stored.Origins {
		h.frames.Add(o) // this process at once; the others on the store's NOTIFY
	}
	h.logger.InfoContext(c.Request().Context(), "lti platform registered", "platform_id", stored.ID, "issuer", stored.Issuer, "client_id", stored.ClientID)
	v := views.LTIRegisteredView{Platform: platformName(stored), ClientID: stored.ClientID}
	if len(stored.Deployments) > 0 {
		v.Deployment = stored.Deployments[0]
	}
	pg := h.page(c, "Twelve is registered")
	pg.Script = h.assets.Path("ltidialog.js")
	return h.ok(c, views.LTIRegisteredPage(pg, v))
}

// registerWith reads the LMS's configuration at configURL and registers
// Twelve there; its failures are the pages to show.
func (h *Handler) registerWith(c *echo.Context, configURL, token string) (lti.Platform, error) {
	ctx := c.Request().Context()
	cfg, err := h.ltiCalls.FetchOpenIDConfig(ctx, configURL, token)
	if err != nil {
		return lti.Platform{}, h.platformFailed(c, "The LMS's configuration could not be used", "Twelve read the LMS's OpenID configuration and could not use it", err)
	}
	if err := h.checkIssuerKeys(c, cfg); err != nil {
		return lti.Platform{}, err
	}
	p, err := h.ltiCalls.Register(ctx, cfg, token, lti.ToolConfig{
		BaseURL: h.origin(c), Name: "Twelve",
		Description: "A course on the Twelve-Factor App: twelve lessons, each with a graded quiz.",
		LogoURL:     h.origin(c) + h.assets.Path("favicon.svg"),
	})
	if err != nil {
		return lti.Platform{}, h.platformFailed(c, "The LMS refused the registration", "Twelve asked the LMS to register it, and the LMS did not", err)
	}
	return p, nil
}

// checkIssuerKeys refuses a registration for an issuer Twelve already
// knows with keys at another address. Users are keyed by issuer and
// subject, so whoever could register an LMS's issuer with keys of their
// own could sign launches as that LMS's users: that takes serving a
// configuration under the issuer's URL (some LMSs serve uploaded files
// there), and the first registration of an issuer pins its keys against
// it. A second registration with the same keys (another client id of
// the same LMS, such as Canvas's many institutions) is fine.
func (h *Handler) checkIssuerKeys(c *echo.Context, cfg lti.OpenIDConfig) error {
	all, err := h.store.LTIPlatforms(c.Request().Context())
	if err != nil {
		return err
	}
	for _, p := range all {
		if p.Issuer == cfg.Issuer && p.JWKSURL != cfg.JWKSURI {
			h.logger.WarnContext(c.Request().Context(), "lti registration with other keys refused", "issuer", cfg.Issuer, "platform_id", p.ID)
			return &Error{Status: http.StatusConflict, Heading: "This LMS is registered already, with other keys",
				Message: "Twelve knows " + truncate(cfg.Issuer, 100) + " with its keys at another address, and a registration naming other keys could sign in as that LMS's users, so nothing was changed. " +
					"If the LMS really moved its keys, Twelve's administrator can remove the old registration (twelve admin lti-list, lti-remove) and the registration can then be done again."}
		}
	}
	return nil
}

// checkRegistrationParams is 400 naming what is missing or unusable.
func checkRegistrationParams(configURL, token string) error {
	var missing []string
	if configURL == "" {
		missing = append(missing, "openid_configuration")
	}
	if token == "" {
		missing = append(missing, "registration_token")
	}
	if len(missing) > 0 {
		return &Error{Status: http.StatusBadRequest, Heading: "This registration link is incomplete",
			Message: "The LMS opens this page with openid_configuration and registration_token; " + strings.Join(missing, " and ") +
				" " + isOrAre(len(missing)) + " missing. Start the registration from the LMS, with Twelve's registration address " +
				"(this page's address without its parameters); nothing was changed."}
	}
	if err := lti.CheckURL(configURL); err != nil {
		return &Error{Status: http.StatusBadRequest, Heading: "The LMS's configuration address cannot be used",
			Message: "openid_configuration must be an https address (plain http only on this computer's loopback address); nothing was changed."}
	}
	if len(token) > 4096 {
		return &Error{Status: http.StatusBadRequest, Heading: "This registration link cannot be used",
			Message: "registration_token is longer than 4096 characters; nothing was changed."}
	}
	return nil
}

// checkLoopbackPlatform refuses a platform on a loopback address unless
// this Twelve is reached on one too (development and tests): otherwise
// anyone could make a deployed Twelve call services on its own machine.
func (h *Handler) checkLoopbackPlatform(c *echo.Context, configURL string) error {
	u, err := url.Parse(configURL)
	if err != nil || !isLoopback(strings.ToLower(u.Hostname())) {
		return nil
	}
	self, err := url.Parse(h.origin(c))
	if err == nil && isLoopback(strings.ToLower(self.Hostname())) {
		return nil
	}
	return &Error{Status: http.StatusBadRequest, Heading: "The LMS's configuration address cannot be used",
		Message: "openid_configuration names this computer's loopback address, which only a Twelve running on the same computer may use; nothing was changed."}
}

func isOrAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// platformFailed is the 502 page for an LMS that failed a call: what was
// tried, and the LMS's own reason (its text, cut short by package lti).
func (h *Handler) platformFailed(c *echo.Context, heading, tried string, err error) error {
	reason := platformReason(err)
	h.logger.WarnContext(c.Request().Context(), "lti platform call failed", "error", err.Error())
	return &Error{Status: http.StatusBadGateway, Heading: heading,
		Message: tried + ": " + reason + " Nothing was stored; tell the LMS's administrator."}
}

// platformReason says why a call to a platform failed, in words fit for
// the page: the platform's status and message, or what package lti found
// wrong with its answer (its errors name no secrets: tokens and query
// strings are left out).
func platformReason(err error) string {
	var se *lti.ServiceError
	if errors.As(err, &se) {
		switch {
		case se.Status == 0:
			return "it could not be reached (" + se.Message + ")."
		case se.Message != "" && se.Message != http.StatusText(se.Status):
			return "it answered " + http.StatusText(se.Status) + ": “" + se.Message + "”."
		}
		return "it answered " + http.StatusText(se.Status) + "."
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "it did not answer in time."
	}
	msg := err.Error()
	for strings.HasPrefix(msg, "lti: ") {
		msg = strings.TrimPrefix(msg, "lti: ")
	}
	return msg + "."
}

// allowRegistrationFrame lets the LMS whose configuration address this
// is frame the registration page (it is not yet registered, so not yet
// among the origins that may frame Twelve). The page has nothing to act
// on but the header's sign-out, whose cookie another site's frame does
// not get (docs/lti.md), so framing it tricks no one.
func (h *Handler) allowRegistrationFrame(c *echo.Context, configURL string) {
	u, err := url.Parse(configURL)
	if err != nil || lti.CheckURL(configURL) != nil {
		return
	}
	o, ok := framing.Origin(u.Scheme + "://" + u.Host)
	if !ok {
		return
	}
	hdr := c.Response().Header()
	csp := hdr.Get("Content-Security-Policy")
	if i := strings.Index(csp, "; frame-ancestors"); i >= 0 {
		csp = csp[:i]
	}
	hdr.Del("X-Frame-Options")
	hdr.Set("Content-Security-Policy", csp+"; frame-ancestors 'self' "+o)
}

// platformName is how a page names a platform: its name, else its
// issuer's host.
func platformName(p store.LTIPlatform) string {
	if p.Name != "" {
		return p.Name
	}
	if u, err := url.Parse(p.Issuer); err == nil && u.Host != "" {
		return u.Host
	}
	return p.Issuer
}

// currentLTIKeys are the tool's keys for package lti's services, nil
// when they cannot be had (the services then fail with a clear error).
func (h *Handler) currentLTIKeys() *lti.KeySet {
	k, err := h.lti.keys(context.Background())
	if err != nil {
		h.logger.Error("lti keys unavailable", "error", err.Error())
		return nil
	}
	return k
}
