package auth

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/securecookie"
)

// Cookie names and lifetimes.
const (
	// IdentityCookie carries who is signed in, on every request.
	IdentityCookie = "twelve_id"
	// IdentityTTL is how long one sign-in lasts.
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

// Identity is what the identity cookie says about the signed-in person. It
// is signed and encrypted, and carries its own expiry.
type Identity struct {
	UserID        int64  `json:"uid"`
	Issuer        string `json:"iss"`
	Subject       string `json:"sub"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"ev,omitempty"`
	// Instructor is the role when the cookie was issued; pages use it for
	// display only. Instructor pages recompute it (see Policy).
	Instructor bool `json:"ins,omitempty"`
	// GroupInstructor records that the provider put the person in the
	// instructor group at sign-in; groups are only known then.
	GroupInstructor bool      `json:"gi,omitempty"`
	Expires         time.Time `json:"exp"`
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

// Cookies encodes and decodes Twelve's cookies with the SECRET_KEY list:
// the first key signs and encrypts, every key is tried when decoding, so a
// key can be rotated in without signing anyone out.
//
// Each secret is stretched with HKDF-SHA256 into two independent keys, one
// for HMAC-SHA256 and one for AES-256, which gorilla/securecookie uses as
// encrypt-then-MAC over the cookie name, a timestamp and the JSON value.
// The MAC covers the name, so one cookie cannot stand in for another.
type Cookies struct {
	codecs []securecookie.Codec
	now    func() time.Time
}

// NewCookies derives the cookie keys from secrets (first signs, all verify).
// With no secrets every Encode fails.
func NewCookies(secrets [][]byte) *Cookies {
	c := &Cookies{now: time.Now}
	for _, secret := range secrets {
		hashKey, err1 := hkdf.Key(sha256.New, secret, nil, "twelve cookie hmac-sha256 v1", 32)
		blockKey, err2 := hkdf.Key(sha256.New, secret, nil, "twelve cookie aes-256 v1", 32)
		if err1 != nil || err2 != nil {
			continue // only for absurd lengths; 32 bytes always works
		}
		sc := securecookie.New(hashKey, blockKey).
			SetSerializer(securecookie.JSONEncoder{}).
			MaxLength(0). // Encode checks maxCookieValue itself
			// securecookie's own timestamp check backs up each payload's
			// expiry; no cookie lives longer than an identity.
			MaxAge(int(IdentityTTL / time.Second))
		c.codecs = append(c.codecs, sc)
	}
	return c
}

// EncodeIdentity returns the identity cookie's value.
func (c *Cookies) EncodeIdentity(id Identity) (string, error) {
	return c.encode(IdentityCookie, id)
}

// DecodeIdentity returns the identity in an identity cookie's value, or an
// error wrapping ErrCookie when it is tampered with, foreign or expired.
func (c *Cookies) DecodeIdentity(value string) (Identity, error) {
	var id Identity
	if err := c.decode(IdentityCookie, value, &id); err != nil {
		return Identity{}, err
	}
	if err := c.checkExpiry(id.Expires); err != nil {
		return Identity{}, err
	}
	if id.UserID <= 0 || id.Subject == "" {
		return Identity{}, fmt.Errorf("%w: no user", ErrCookie)
	}
	return id, nil
}

// EncodeFlow returns the flow cookie's value.
func (c *Cookies) EncodeFlow(f Flow) (string, error) {
	return c.encode(FlowCookie, f)
}

// DecodeFlow returns the sign-in in a flow cookie's value.
func (c *Cookies) DecodeFlow(value string) (Flow, error) {
	var f Flow
	if err := c.decode(FlowCookie, value, &f); err != nil {
		return Flow{}, err
	}
	if err := c.checkExpiry(f.Expires); err != nil {
		return Flow{}, err
	}
	if f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return Flow{}, fmt.Errorf("%w: incomplete flow", ErrCookie)
	}
	return f, nil
}

// EncodeHint returns the logout hint cookie's value, or an error when the
// ID token makes it too large for a cookie; then the hint is left out.
func (c *Cookies) EncodeHint(idToken string, expires time.Time) (string, error) {
	return c.encode(HintCookie, hint{IDToken: idToken, Expires: expires})
}

// DecodeHint returns the ID token kept for logout.
func (c *Cookies) DecodeHint(value string) (string, error) {
	var h hint
	if err := c.decode(HintCookie, value, &h); err != nil {
		return "", err
	}
	if err := c.checkExpiry(h.Expires); err != nil {
		return "", err
	}
	return h.IDToken, nil
}

func (c *Cookies) encode(name string, v any) (string, error) {
	if len(c.codecs) == 0 {
		return "", errors.New("auth: no cookie keys")
	}
	s, err := c.codecs[0].Encode(name, v)
	if err != nil {
		return "", fmt.Errorf("auth: encode %s: %w", name, err)
	}
	if len(s) > maxCookieValue {
		return "", fmt.Errorf("auth: encode %s: %d bytes is too large for a cookie", name, len(s))
	}
	return s, nil
}

func (c *Cookies) decode(name, value string, dst any) error {
	if len(value) > maxCookieValue {
		return fmt.Errorf("%w: too large", ErrCookie)
	}
	if err := securecookie.DecodeMulti(name, value, dst, c.codecs...); err != nil {
		return fmt.Errorf("%w: %w", ErrCookie, err)
	}
	return nil
}

func (c *Cookies) checkExpiry(expires time.Time) error {
	if expires.IsZero() || !c.now().Before(expires) {
		return fmt.Errorf("%w: expired", ErrCookie)
	}
	return nil
}
