// Package seal protects the small values Twelve hands to browsers (cookies,
// the attempt token in a quiz form) with the SECRET_KEY list: the first
// key seals, every key opens, so a key can be rotated in without
// invalidating what is already out there.
//
// Each secret is stretched with HKDF-SHA256 into keys for one purpose
// only; gorilla/securecookie then MACs (HMAC-SHA256), and unless a Spec
// says otherwise encrypts first (AES-256-CTR), the name, a timestamp and
// the JSON value. The MAC covers the name, so a value sealed under one name
// is refused under another, even with the same keys.
package seal

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/securecookie"
)

// ErrRefused means a value could not be opened: it was tampered with,
// sealed with a key this process does not hold, under another name, too
// long ago, or is not one of ours at all.
var ErrRefused = errors.New("seal: value refused")

// Spec says what a Codec seals.
type Spec struct {
	// Purpose selects the keys. Codecs with the same Purpose share keys and
	// tell their values apart by Name; codecs with different purposes share
	// nothing.
	Purpose string
	// Name is bound into every value's MAC: a cookie's name.
	Name string
	// MaxAge refuses values sealed longer ago than this, whatever they say
	// of their own expiry.
	MaxAge time.Duration
	// MaxLength bounds a sealed value, both ways: longer values are neither
	// made nor opened.
	MaxLength int
	// SignOnly leaves the value readable, signed but not encrypted, for
	// values that hold nothing their bearer may not see.
	SignOnly bool
}

// Codec seals values of type T for one Spec.
type Codec[T any] struct {
	name   string
	maxLen int
	codecs []securecookie.Codec
}

// New derives a Codec's keys from secrets, the first of which seals.
func New[T any](secrets [][]byte, s Spec) (*Codec[T], error) {
	if len(secrets) == 0 {
		return nil, errors.New("seal: no secret keys")
	}
	if s.Purpose == "" || s.Name == "" || s.MaxAge <= 0 || s.MaxLength <= 0 {
		return nil, fmt.Errorf("seal: incomplete spec %+v", s)
	}
	c := &Codec[T]{name: s.Name, maxLen: s.MaxLength}
	for _, secret := range secrets {
		sc, err := newCodec(secret, s)
		if err != nil {
			return nil, fmt.Errorf("seal: derive %s keys: %w", s.Purpose, err)
		}
		c.codecs = append(c.codecs, sc)
	}
	return c, nil
}

// newCodec derives one secret's keys. The HKDF labels are those Twelve has
// always used, so values sealed before this package existed still open.
func newCodec(secret []byte, s Spec) (*securecookie.SecureCookie, error) {
	var hashKey, blockKey []byte
	var err error
	if s.SignOnly {
		hashKey, err = hkdf.Key(sha256.New, secret, nil, "twelve "+s.Purpose+" v1", 64)
	} else {
		hashKey, err = hkdf.Key(sha256.New, secret, nil, "twelve "+s.Purpose+" hmac-sha256 v1", 32)
		if err == nil {
			blockKey, err = hkdf.Key(sha256.New, secret, nil, "twelve "+s.Purpose+" aes-256 v1", 32)
		}
	}
	if err != nil {
		return nil, err
	}
	sc := securecookie.New(hashKey, blockKey).
		SetSerializer(securecookie.JSONEncoder{}).
		MaxAge(int(s.MaxAge / time.Second)).
		MaxLength(0) // the Codec checks MaxLength itself, both ways
	return sc, nil
}

// Encode seals v with the first key.
func (c *Codec[T]) Encode(v T) (string, error) {
	s, err := c.codecs[0].Encode(c.name, v)
	if err != nil {
		return "", fmt.Errorf("seal: encode %s: %w", c.name, err)
	}
	if len(s) > c.maxLen {
		return "", fmt.Errorf("seal: encode %s: %d bytes is over the %d allowed", c.name, len(s), c.maxLen)
	}
	return s, nil
}

// Decode opens a value sealed with any of the keys. Every failure wraps
// ErrRefused.
func (c *Codec[T]) Decode(s string) (T, error) {
	var v T
	if s == "" || len(s) > c.maxLen {
		return v, fmt.Errorf("%w: %s: empty or too large", ErrRefused, c.name)
	}
	if err := securecookie.DecodeMulti(c.name, s, &v, c.codecs...); err != nil {
		var zero T
		return zero, fmt.Errorf("%w: %s: %w", ErrRefused, c.name, err)
	}
	return v, nil
}
