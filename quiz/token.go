package quiz

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/twelve-course/twelve/internal/seal"
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
	start := now.UTC().Truncate(time.Second)
	return Token{
		AttemptID: uuid.NewString(),
		UserID:    userID,
		Quiz:      q.Slug,
		Version:   q.Version,
		Seed:      rand.Uint64(),
		Started:   start,
		Deadline:  q.Settings.Deadline(start),
	}
}

// Signer signs and verifies attempt tokens with keys derived from
// SECRET_KEY: the first key signs, all verify (rotation).
type Signer struct {
	codec *seal.Codec[Token]
}

// NewSigner derives a signing key per secret. Tokens are signed, not
// encrypted: they hold nothing the student may not see.
func NewSigner(secrets [][]byte) (*Signer, error) {
	codec, err := seal.New[Token](secrets, seal.Spec{
		Purpose:   "attempt token",
		Name:      "attempt",
		MaxAge:    TokenLifetime + 24*time.Hour,
		MaxLength: 2048,
		SignOnly:  true,
	})
	if err != nil {
		return nil, fmt.Errorf("quiz: token keys: %w", err)
	}
	return &Signer{codec: codec}, nil
}

// Encode signs t.
func (s *Signer) Encode(t Token) (string, error) {
	v, err := s.codec.Encode(t)
	if err != nil {
		return "", fmt.Errorf("quiz: sign token: %w", err)
	}
	return v, nil
}

// Decode verifies raw and returns its token. A token past its lifetime is
// ErrExpiredToken; anything forged, altered or malformed is ErrBadToken.
// Deadlines (time limits) are the caller's to judge with Settings.Late.
func (s *Signer) Decode(raw string, now time.Time) (Token, error) {
	t, err := s.codec.Decode(raw)
	if err != nil {
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
