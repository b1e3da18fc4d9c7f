package calendar

import (
	"errors"
	"fmt"
	"time"

	"github.com/twelve-course/twelve/internal/seal"
)

// ErrBadToken means a feed link's token is forged, altered, sealed with a
// key this process does not hold, or not a feed token at all.
var ErrBadToken = errors.New("calendar: bad feed token")

// FeedToken is what a feed link carries: whose feed it is and the
// generation of their feed links it belongs to. Revoking a user's links
// increments their generation (users.calendar_generation), so every older
// token is refused from then on.
type FeedToken struct {
	UserID     int64 `json:"u"`
	Generation int   `json:"g"`
}

// Revoked reports whether t belongs to an older generation of links than
// current, the user's stored calendar_generation.
func (t FeedToken) Revoked(current int) bool { return t.Generation != current }

// FeedLifetime bounds how long a feed link works. Calendars fetch a
// subscription for as long as it exists, so it stands for "until revoked"
// (seal needs some MaxAge): ten years. Removing a key from SECRET_KEY also
// ends the links it signed.
const FeedLifetime = 10 * 365 * 24 * time.Hour

// FeedTokens signs and verifies feed tokens with keys derived from
// SECRET_KEY: the first key signs, all verify.
type FeedTokens struct {
	codec *seal.Codec[FeedToken]
}

// NewFeedTokens derives the feed tokens' keys from secrets. Tokens are
// signed, not encrypted: they hold only the user's id and a counter, and
// their bearer already reads that user's due dates.
func NewFeedTokens(secrets [][]byte) (*FeedTokens, error) {
	codec, err := seal.New[FeedToken](secrets, seal.Spec{
		Purpose:   "calendar feed",
		Name:      "calendar",
		MaxAge:    FeedLifetime,
		MaxLength: 512,
		SignOnly:  true,
	})
	if err != nil {
		return nil, fmt.Errorf("calendar: feed token keys: %w", err)
	}
	return &FeedTokens{codec: codec}, nil
}

// Encode signs t. The result is URL-safe base64, to put in a query string
// (url.Values encodes its padding).
func (f *FeedTokens) Encode(t FeedToken) (string, error) {
	if t.UserID <= 0 || t.Generation < 0 {
		return "", fmt.Errorf("calendar: sign feed token: incomplete %+v", t)
	}
	v, err := f.codec.Encode(t)
	if err != nil {
		return "", fmt.Errorf("calendar: sign feed token: %w", err)
	}
	return v, nil
}

// Decode verifies raw and returns its token; every failure is
// ErrBadToken. Whether the token is revoked is the caller's to check
// against the stored generation (FeedToken.Revoked).
func (f *FeedTokens) Decode(raw string) (FeedToken, error) {
	t, err := f.codec.Decode(raw)
	if err != nil || t.UserID <= 0 || t.Generation < 0 {
		return FeedToken{}, ErrBadToken
	}
	return t, nil
}
