package lti

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tokenKey names a cached access token: a platform registration and a
// sorted, space-separated scope set.
type tokenKey struct {
	platform         int64
	issuer, clientID string
	scopes           string
}

// token is an access token and when the platform said it expires.
type token struct {
	value   string
	expires time.Time
}

// tokenEntry serialises token requests for one (platform, scopes) pair, so
// concurrent calls share one token.
type tokenEntry struct {
	mu  sync.Mutex
	tok token
}

// token returns a cached access token for p and scopes, or gets a new one.
func (s *Services) token(ctx context.Context, p Platform, scopes []string) (string, error) {
	e := s.entry(tokenKeyOf(p, scopes))
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tok.value != "" && s.now().Before(e.tok.expires.Add(-tokenMargin)) {
		return e.tok.value, nil
	}
	tok, err := s.requestToken(ctx, p, scopes)
	if err != nil {
		e.tok = token{}
		return "", err
	}
	e.tok = tok
	return tok.value, nil
}

func (s *Services) entry(k tokenKey) *tokenEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.tokens[k]
	if !ok {
		e = &tokenEntry{}
		s.tokens[k] = e
	}
	return e
}

// dropToken forgets the cached token when it is still the one refused.
func (s *Services) dropToken(p Platform, scopes []string, refused string) {
	e := s.entry(tokenKeyOf(p, scopes))
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tok.value == refused {
		e.tok = token{}
	}
}

func tokenKeyOf(p Platform, scopes []string) tokenKey {
	sorted := slices.Clone(scopes)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	return tokenKey{platform: p.ID, issuer: p.Issuer, clientID: p.ClientID, scopes: strings.Join(sorted, " ")}
}

// requestToken performs the client credentials grant with a signed client
// assertion (private_key_jwt).
func (s *Services) requestToken(ctx context.Context, p Platform, scopes []string) (token, error) {
	if err := CheckURL(p.TokenURL); err != nil {
		return token{}, &ServiceError{Message: "unusable token URL: " + err.Error()}
	}
	keys := s.keys()
	if keys == nil {
		return token{}, errors.New("lti: no tool keys to sign the client assertion")
	}
	now := s.now()
	assertion, err := keys.Sign(map[string]any{
		"iss": p.ClientID,
		"sub": p.ClientID,
		"aud": p.tokenAudience(),
		"iat": now.Unix(),
		"exp": now.Add(assertionLifetime).Unix(),
		"jti": rand.Text(),
	})
	if err != nil {
		return token{}, err
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
		"scope":                 {tokenKeyOf(p, scopes).scopes},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return token{}, &ServiceError{Message: "unusable token URL"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	a, err := s.roundTrip(req)
	if err != nil {
		return token{}, fmt.Errorf("lti: access token: %w", err)
	}
	var out struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(a.body, &out); err != nil || out.AccessToken == "" {
		return token{}, &ServiceError{Status: a.status, Message: "the token endpoint answered no access token"}
	}
	life := defaultTokenLife
	if n, err := strconv.ParseFloat(strings.Trim(string(out.ExpiresIn), `"`), 64); err == nil && n > 0 {
		life = time.Duration(n * float64(time.Second))
	}
	return token{value: out.AccessToken, expires: now.Add(life)}, nil
}
