package quiz

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/securecookie"
)

// Token is an attempt in progress. Starting a quiz writes nothing: the form
// carries this token, signed, and any process holding SECRET_KEY can take
// the submit — after a restart or a redeploy too.
type Token struct {
	AttemptID string    `json:"a"` // UUID; submitting is idempotent on it
	UserID    int64     `json:"u"`
	Quiz      string    `json:"q"` // lesson slug
	Version   string    `json:"v"` // content version the student saw
	Seed      uint64    `json:"s"` // draws the questions and orders options
	Started   time.Time `json:"t"`
	Deadline  time.Time `json:"d,omitzero"` // zero: no time limit
}

// Token errors.
var (
	ErrBadToken     = errors.New("quiz: attempt token is not valid")
	ErrExpiredToken = errors.New("quiz: attempt token has expired")
)

// TokenLifetime bounds how long an attempt without a time limit stays open.
const TokenLifetime = 14 * 24 * time.Hour

// NewToken starts an attempt of q for user at now.
func NewToken(q *Quiz, userID int64, now time.Time) Token {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("quiz: no randomness: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40 // UUID version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	seed := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[9])<<24 | uint64(b[10])<<16 | uint64(b[11])<<8 | uint64(b[12])
	h := hex.EncodeToString(b[:])
	return Token{
		AttemptID: h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32],
		UserID:    userID,
		Quiz:      q.Slug,
		Version:   q.Version,
		Seed:      seed,
		Started:   now.UTC().Truncate(time.Second),
		Deadline:  q.Settings.Deadline(now.UTC().Truncate(time.Second)),
	}
}

// Signer signs and verifies attempt tokens with keys derived from
// SECRET_KEY: the first key signs, all verify (rotation).
type Signer struct {
	codecs []securecookie.Codec
}

// NewSigner derives a signing key per secret. Tokens are signed, not
// encrypted: they hold nothing the student may not see.
func NewSigner(secrets [][]byte) (*Signer, error) {
	if len(secrets) == 0 {
		return nil, errors.New("quiz: no secret keys")
	}
	s := &Signer{}
	for _, secret := range secrets {
		key, err := hkdf.Key(sha256.New, secret, nil, "twelve attempt token v1", 64)
		if err != nil {
			return nil, fmt.Errorf("quiz: derive token key: %w", err)
		}
		sc := securecookie.New(key, nil)
		sc.SetSerializer(securecookie.JSONEncoder{})
		sc.MaxAge(int((TokenLifetime + 24*time.Hour).Seconds()))
		sc.MaxLength(2048)
		s.codecs = append(s.codecs, sc)
	}
	return s, nil
}

const tokenName = "attempt"

// Encode signs t.
func (s *Signer) Encode(t Token) (string, error) {
	v, err := securecookie.EncodeMulti(tokenName, t, s.codecs...)
	if err != nil {
		return "", fmt.Errorf("quiz: sign token: %w", err)
	}
	return v, nil
}

// Decode verifies raw and returns its token. A token past its lifetime is
// ErrExpiredToken; anything forged, altered or malformed is ErrBadToken.
// Deadlines (time limits) are the caller's to judge with Settings.Late.
func (s *Signer) Decode(raw string, now time.Time) (Token, error) {
	var t Token
	if raw == "" || len(raw) > 2048 {
		return Token{}, ErrBadToken
	}
	if err := securecookie.DecodeMulti(tokenName, raw, &t, s.codecs...); err != nil {
		return Token{}, ErrBadToken
	}
	if t.AttemptID == "" || t.Quiz == "" || t.Version == "" || t.UserID <= 0 || t.Started.IsZero() {
		return Token{}, ErrBadToken
	}
	if now.Sub(t.Started) > TokenLifetime {
		return Token{}, ErrExpiredToken
	}
	return t, nil
}
