package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/twelve-course/twelve/internal/seal"
)

// Cookie names and lifetimes.
const (
	// IdentityCookie carries who is signed in, on every request. Over
	// https it is sent as "__Host-twelve_id" (see WireName).
	IdentityCookie = "twelve_id"
	// IdentityTTL bounds every cookie's seal, whatever the settings say:
	// SESSION_MAX_LIFETIME may not be longer (config checks it).
	IdentityTTL = 7 * 24 * time.Hour

	// FlowCookie carries one sign-in in progress (state, nonce, PKCE
	// verifier, where to go back to) from /login to /auth/callback. It is
	// scoped to FlowPath and cleared by the first callback.
	FlowCookie = "twelve_signin"
	// FlowPath is the only path the flow cookie is sent to.
	FlowPath = "/auth/callback"
	// FlowTTL bounds how long a person may take at the provider.
	FlowTTL = 10 * time.Minute

	// HintCookie carries the ID token as the id_token_hint for the
	// provider's logout. It is scoped to HintPath so that it is not sent
	// with every request, and left out when it would be too large.
	HintCookie = "twelve_logout_hint"
	// HintPath is the only path the hint cookie is sent to.
	HintPath = "/logout"
)

// maxCookieValue keeps every cookie (name, value and attributes) under the
// 4096 bytes browsers promise to store.
const maxCookieValue = 3800

// ErrCookie means a cookie could not be used: it was tampered with, signed
// with a key this process does not hold, expired, or is not ours.
var ErrCookie = errors.New("auth: cookie refused")

// ErrExpired is wrapped (beside ErrCookie) around a cookie refused only
// because its own expiry has passed: for an identity, the sign-in's
// absolute lifetime (see Lifetime).
var ErrExpired = errors.New("auth: expired")

// Identity is what the identity cookie says about the signed-in person. It
// is signed and encrypted, and carries its own expiry. It holds what the
// provider reported at sign-in, never a role: the role is worked out on
// every request from it and the settings then in force (see Policy).
type Identity struct {
	UserID        int64  `json:"uid"`
	Issuer        string `json:"iss"`
	Subject       string `json:"sub"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"ev,omitempty"`
	// Group is the instructor group (INSTRUCTOR_GROUP as it was then) that
	// the provider listed the person in at sign-in, or "". Groups are only
	// known at sign-in; the group counts while INSTRUCTOR_GROUP still names it.
	Group string `json:"grp,omitempty"`
	// Granted is whether the email held an instructor grant when last
	// read: at sign-in, and again on every instructor page, which reissues
	// the cookie when it changed. Other pages use it for the header only.
	Granted bool `json:"gr,omitempty"`
	// Embedded is whether the sign-in came from an LTI launch inside an
	// LMS page: its cookie (renewals included) is then sent SameSite=None;
	// Secure; Partitioned, so that it works in the LMS's iframe.
	Embedded bool `json:"emb,omitempty"`
	// SignedInAt is when the person signed in with the provider; renewals
	// keep it. The absolute lifetime and "sign out everywhere" count from it.
	SignedInAt time.Time `json:"sat"`
	// IssuedAt is when this cookie was issued (at sign-in or renewal);
	// the idle timeout counts from it.
	IssuedAt time.Time `json:"iat"`
	// Expires is the end of the sign-in's absolute lifetime, as set at
	// sign-in; a shorter SESSION_MAX_LIFETIME set since also counts.
	Expires time.Time `json:"exp"`
}

// Flow is one sign-in in progress, kept in the browser between /login and
// the callback so that any process can finish it.
type Flow struct {
	State       string    `json:"st"`
	Nonce       string    `json:"no"`
	Verifier    string    `json:"pv"`
	RedirectURL string    `json:"ru"`
	Next        string    `json:"nx"`
	Expires     time.Time `json:"exp"`
}

type hint struct {
	IDToken string    `json:"t"`
	Expires time.Time `json:"exp"`
}

// Cookies encodes and decodes Twelve's cookies with the SECRET_KEY list
// (see package seal): the first key signs and encrypts, every key is tried
// when decoding, so a key can be rotated in without signing anyone out. All
// of them share one purpose's keys; each cookie's name is bound into its
// MAC, so one cookie cannot stand in for another.
type Cookies struct {
	identity    *seal.Codec[Identity]
	flow        *seal.Codec[Flow]
	hint        *seal.Codec[hint]
	samlFlow    *seal.Codec[SAMLFlow]
	samlSession *seal.Codec[SAMLSession]
	samlSignOut *seal.Codec[SAMLSignOut]
	now         func() time.Time
}

// NewCookies derives the cookie keys from secrets (first signs, all verify).
func NewCookies(secrets [][]byte) (*Cookies, error) {
	if len(secrets) == 0 {
		return nil, errors.New("auth: no cookie keys")
	}
	c := &Cookies{now: time.Now}
	var errs [6]error
	c.identity, errs[0] = cookieCodec[Identity](secrets, IdentityCookie)
	c.flow, errs[1] = cookieCodec[Flow](secrets, FlowCookie)
	c.hint, errs[2] = cookieCodec[hint](secrets, HintCookie)
	c.samlFlow, errs[3] = cookieCodec[SAMLFlow](secrets, SAMLFlowCookie)
	c.samlSession, errs[4] = cookieCodec[SAMLSession](secrets, SAMLHintCookie)
	c.samlSignOut, errs[5] = cookieCodec[SAMLSignOut](secrets, SAMLSignOutCookie)
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("auth: cookie keys: %w", err)
	}
	return c, nil
}

func cookieCodec[T payload](secrets [][]byte, name string) (*seal.Codec[T], error) {
	return seal.New[T](secrets, seal.Spec{
		Purpose: "cookie", // the label identity cookies have always had
		Name:    name,
		// The seal's own timestamp check backs up each payload's expiry;
		// no cookie lives longer than an identity.
		MaxAge:    IdentityTTL,
		MaxLength: maxCookieValue,
	})
}

// payload is what a cookie carries: it says when it expires and whether
// it has what its reader needs.
type payload interface {
	expiry() time.Time
	complete() bool
}

func (id Identity) expiry() time.Time   { return id.Expires }
func (id Identity) complete() bool      { return id.UserID > 0 && id.Subject != "" }
func (f Flow) expiry() time.Time        { return f.Expires }
func (f Flow) complete() bool           { return f.State != "" && f.Nonce != "" && f.Verifier != "" }
func (h hint) expiry() time.Time        { return h.Expires }
func (h hint) complete() bool           { return true }
func (f SAMLFlow) expiry() time.Time    { return f.Expires }
func (f SAMLFlow) complete() bool       { return f.RequestID != "" && f.Relay != "" }
func (s SAMLSession) expiry() time.Time { return s.Expires }
func (s SAMLSession) complete() bool    { return s.NameID != "" }
func (s SAMLSignOut) expiry() time.Time { return s.Expires }
func (s SAMLSignOut) complete() bool    { return s.RequestID != "" }

func encode[T payload](codec *seal.Codec[T], v T) (string, error) {
	s, err := codec.Encode(v)
	if err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	return s, nil
}

// decode opens a cookie's value and refuses it, with an error wrapping
// ErrCookie, when it is tampered with, foreign, expired or incomplete.
func decode[T payload](codec *seal.Codec[T], value string, now time.Time) (T, error) {
	var zero T
	v, err := codec.Decode(value)
	if err != nil {
		return zero, fmt.Errorf("%w: %w", ErrCookie, err)
	}
	if exp := v.expiry(); exp.IsZero() || !now.Before(exp) {
		return zero, fmt.Errorf("%w: %w", ErrCookie, ErrExpired)
	}
	if !v.complete() {
		return zero, fmt.Errorf("%w: incomplete", ErrCookie)
	}
	return v, nil
}

// EncodeIdentity returns the identity cookie's value.
func (c *Cookies) EncodeIdentity(id Identity) (string, error) { return encode(c.identity, id) }

// DecodeIdentity returns the identity in an identity cookie's value, or an
// error wrapping ErrCookie when it is tampered with, foreign or expired
// (then ErrExpired too). Idle timeout and revocation are checked by the
// caller (Lifetime.Check, handlers).
func (c *Cookies) DecodeIdentity(value string) (Identity, error) {
	return decode(c.identity, value, c.now())
}

// EncodeFlow returns the flow cookie's value.
func (c *Cookies) EncodeFlow(f Flow) (string, error) { return encode(c.flow, f) }

// DecodeFlow returns the sign-in in a flow cookie's value.
func (c *Cookies) DecodeFlow(value string) (Flow, error) { return decode(c.flow, value, c.now()) }

// EncodeHint returns the logout hint cookie's value, or an error when the
// ID token makes it too large for a cookie; then the hint is left out.
func (c *Cookies) EncodeHint(idToken string, expires time.Time) (string, error) {
	return encode(c.hint, hint{IDToken: idToken, Expires: expires})
}

// DecodeHint returns the ID token kept for logout.
func (c *Cookies) DecodeHint(value string) (string, error) {
	h, err := decode(c.hint, value, c.now())
	return h.IDToken, err
}

// WireName is the name a cookie called name, scoped to path, is sent
// under. Over https the browser is asked to guarantee its attributes with
// a prefix: "__Host-" for a cookie on the whole site (Secure, Path=/, no
// Domain: no subdomain or plain-http page can set or shadow it) and
// "__Secure-" for a path-scoped one, which "__Host-" does not allow. Over
// plain http (make dev, tests) neither prefix is possible, and the plain
// name is used. The seal binds the plain name, so a value opens under
// either.
func WireName(name, path string, https bool) string {
	switch {
	case !https:
		return name
	case path == "/":
		return "__Host-" + name
	default:
		return "__Secure-" + name
	}
}
