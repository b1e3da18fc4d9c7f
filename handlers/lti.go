package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/internal/seal"
	"github.com/twelve-course/twelve/lti"
)

// LTI 1.3 tool endpoints (see docs/lti.md). The platform is given the
// login, launch and JWKS URLs at registration.
const (
	ltiLoginPath    = "/lti/login"
	ltiLaunchPath   = "/lti/launch"
	ltiJWKSPath     = "/lti/jwks"
	ltiLandedPath   = "/lti/landed"
	ltiContinuePath = "/lti/continue"
	// ltiDeepLinkPath is where a deep linking request lands (handlers/
	// ltideeplink.go), with the request sealed in ?dl= (ltiDeepLink).
	ltiDeepLinkPath = "/lti/deep-link"
	// ltiFlowPath scopes the flow cookies: the launch and the landing.
	ltiFlowPath = "/lti/"
)

// Lifetimes of what an LTI launch hands to the browser.
const (
	// ltiFlowTTL bounds a launch from login initiation to id_token.
	ltiFlowTTL = 10 * time.Minute
	// ltiTicketTTL bounds the landing after a launch, including a person
	// reading "open in a new window" and clicking it.
	ltiTicketTTL = 10 * time.Minute
	// ltiDeepLinkTTL bounds an instructor picking lessons to add.
	ltiDeepLinkTTL = time.Hour
)

// ltiTool is what the LTI routes need besides the rest of the handlers:
// the id_token verifier (with its cache of platform keys), the tool's own
// keys, and the seals of what a launch hands to the browser.
type ltiTool struct {
	verifier  *lti.Verifier
	keys      func(context.Context) (*lti.KeySet, error)
	flows     *seal.Codec[ltiFlow]
	tickets   *seal.Codec[ltiTicket]
	deepLinks *seal.Codec[ltiDeepLink]
}

// newLTITool makes the LTI routes' dependencies; client fetches platform
// keys (nil: a client with a 10 s timeout).
func newLTITool(secrets [][]byte, keys func(context.Context) (*lti.KeySet, error), client *http.Client) (ltiTool, error) {
	t := ltiTool{verifier: lti.NewVerifier(client, nil), keys: keys}
	var errs [3]error
	t.flows, errs[0] = seal.New[ltiFlow](secrets, seal.Spec{Purpose: "lti", Name: "twelve_lti_flow", MaxAge: ltiFlowTTL, MaxLength: 3800})
	t.tickets, errs[1] = seal.New[ltiTicket](secrets, seal.Spec{Purpose: "lti", Name: "twelve_lti_ticket", MaxAge: ltiTicketTTL, MaxLength: 3800})
	t.deepLinks, errs[2] = seal.New[ltiDeepLink](secrets, seal.Spec{Purpose: "lti", Name: "twelve_lti_deep_link", MaxAge: ltiDeepLinkTTL, MaxLength: 16 << 10})
	if err := errors.Join(errs[:]...); err != nil {
		return ltiTool{}, fmt.Errorf("handlers: LTI keys: %w", err)
	}
	return t, nil
}

// ltiFlow is one launch in progress, from the login initiation to the
// id_token: in a cookie named after its state (ltiFlowCookie), and, when
// the platform offers its storage, in that storage too.
type ltiFlow struct {
	State      string `json:"st"`
	Nonce      string `json:"no"`
	PlatformID int64  `json:"pid"`
	Issuer     string `json:"iss"`
	ClientID   string `json:"cid"`
	// Target is the login's target_link_uri.
	Target string `json:"tg,omitempty"`
	// Storage is the platform storage's frame (lti_storage_target), "" when
	// the platform offered none.
	Storage string `json:"sto,omitempty"`
	// Origin is the LMS page that started the login (its Origin header),
	// "" when unknown: once the launch is verified it may frame Twelve.
	Origin  string    `json:"or,omitempty"`
	Expires time.Time `json:"exp"`
}

// ltiTicket carries a verified launch to its landing page: the identity
// whose cookie the launch set, and where to go. /lti/landed checks the
// cookie arrived; when it did not (the browser keeps cookies out of the
// LMS's iframe), /lti/continue uses the ticket once, in a window of its
// own, to set a first-party cookie.
type ltiTicket struct {
	ID       string        `json:"id"`
	Identity auth.Identity `json:"who"`
	Next     string        `json:"nx"`
	Expires  time.Time     `json:"exp"`
}

// ltiDeepLink is the handoff from a verified LtiDeepLinkingRequest to
// the deep-linking page (lane F: handlers/ltideeplink.go). The launch
// redirects to ltiDeepLinkPath+"?dl="+sealed, sealed by Handler.sealDeepLink;
// the page opens it with Handler.openDeepLink. It carries everything the
// page and its form need, so that they work where the identity cookie
// does not (an LMS iframe whose browser refuses cookies): the form can
// post it back as a hidden field. It is signed and encrypted with
// SECRET_KEY and lasts ltiDeepLinkTTL.
type ltiDeepLink struct {
	// PlatformID and DeploymentID say where the response goes (the
	// store's platform, for KeySet.DeepLinkingResponse).
	PlatformID   int64  `json:"pid"`
	DeploymentID string `json:"dep"`
	// UserID is the Twelve user who launched; ClassRole their role in the
	// LMS course (lti.RoleInstructor, lti.RoleTA, lti.RoleStudent or "").
	// Only instructors and TAs may add lessons.
	UserID    int64  `json:"uid"`
	ClassRole string `json:"role"`
	// ClassID is the LMS course's class, 0 when the launch had no context.
	ClassID int64 `json:"cls,omitempty"`
	// Settings are the request's deep_linking_settings (return URL, accepted
	// types, data to echo).
	Settings lti.DeepLinkingSettings `json:"dl"`
	Expires  time.Time               `json:"exp"`
}

// Staff reports whether the launch's user may add lessons.
func (d ltiDeepLink) Staff() bool {
	return d.ClassRole == lti.RoleInstructor || d.ClassRole == lti.RoleTA
}

// sealDeepLink seals d for the deep-linking page's URL or form.
func (h *Handler) sealDeepLink(d ltiDeepLink) (string, error) {
	return h.lti.deepLinks.Encode(d)
}

// errDeepLinkExpired answers a deep-linking handoff that cannot be opened.
var errDeepLinkExpired = &Error{Status: http.StatusBadRequest, Heading: "This page has expired",
	Message: "Adding lessons must be finished within an hour of opening it from your LMS. Open it from your LMS again."}

// openDeepLink opens a sealed handoff; a value that is tampered with,
// foreign or expired gives errDeepLinkExpired.
func (h *Handler) openDeepLink(value string) (ltiDeepLink, error) {
	d, err := h.lti.deepLinks.Decode(value)
	if err != nil || !time.Now().Before(d.Expires) || d.UserID == 0 || d.Settings.ReturnURL == "" {
		return ltiDeepLink{}, errDeepLinkExpired
	}
	return d, nil
}

// serveJWKS publishes the tool's public keys, which platforms use to
// check its deep linking responses and service token requests.
func (h *Handler) serveJWKS(c *echo.Context) error {
	keys, err := h.lti.keys(c.Request().Context())
	if err != nil {
		return fmt.Errorf("lti: tool keys: %w", err)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, keys.JWKS())
}
