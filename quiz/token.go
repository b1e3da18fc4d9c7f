package quiz

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/twelve-course/twelve/internal/seal"
)

// Token is an attempt in progress. The form carries it, signed, and any
// process holding SECRET_KEY can render the form or take the submit — after
// a restart or a redeploy too. Starting a quiz with neither an attempt limit
// nor a time limit writes nothing (NewToken); starting one with either is
// recorded once, numbered, and the token is made from that record
// (Signer.StartToken; see Settings.StartCounts).
type Token struct {
	AttemptID string    `json:"a"` // UUID; submitting is idempotent on it
	UserID    int64     `json:"u"`
	Quiz      string    `json:"q"` // lesson slug
	Version   string    `json:"v"` // content version the student saw
	Seed      uint64    `json:"s"` // draws the questions and orders options
	Started   time.Time `json:"t"`
	Deadline  time.Time `json:"d,omitzero"` // zero: no time limit
	// No is the attempt's number when its start was recorded; zero when
	// it was not (a quiz without limits).
	No int `json:"n,omitzero"`

	// A class's rules for the attempt, resolved at its start (package
	// classes) and held by the token, so that a change made while the
	// student is mid-attempt applies to their next attempt, never to this
	// one. All zero for an attempt of the open course.

	// Class is the class the attempt is taken in; 0 is the open course.
	Class int64 `json:"c,omitzero"`
	// Due is when the attempt is due (zero: no due date): a later submit
	// is late, under Late.
	Due  time.Time  `json:"du,omitzero"`
	Late LatePolicy `json:"l,omitzero"`
	// Close is when submissions stop (zero: never), the student's own
	// close date when they have one.
	Close time.Time `json:"cl,omitzero"`
	// Limit is the attempt limit that applied at the start, extra
	// attempts included (0: unlimited); only for a class attempt.
	Limit int `json:"lim,omitzero"`
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
	codec   *seal.Codec[Token]
	seedKey []byte // draws recorded attempts' papers; from the first key
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
	seedKey, err := hkdf.Key(sha256.New, secrets[0], nil, "twelve attempt seed v1", 32)
	if err != nil {
		return nil, fmt.Errorf("quiz: seed key: %w", err)
	}
	return &Signer{codec: codec, seedKey: seedKey}, nil
}

// StartToken is the token of attempt number no of q by user, started at
// now, for a start that is recorded (Settings.StartCounts). Its seed comes
// from the user, the quiz and the attempt number, keyed with SECRET_KEY's
// first key: the same attempt draws the same paper whichever process makes
// it, even if its record were lost, and nobody without the key can tell
// which questions a later attempt will draw.
func (s *Signer) StartToken(q *Quiz, userID int64, no int, now time.Time) Token {
	t := NewToken(q, userID, now)
	t.No = no
	t.Seed = s.seed(userID, q.Slug, no)
	return t
}

func (s *Signer) seed(userID int64, slug string, no int) uint64 {
	m := hmac.New(sha256.New, s.seedKey)
	m.Write([]byte(strconv.FormatInt(userID, 10) + "\x00" + slug + "\x00" + strconv.Itoa(no)))
	return binary.BigEndian.Uint64(m.Sum(nil))
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
