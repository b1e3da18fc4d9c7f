package ltiplatform

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// newKeyPair makes an RSA 2048 key whose kid is its RFC 7638 thumbprint.
func newKeyPair() (keyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return keyPair{}, fmt.Errorf("ltiplatform: generate key: %w", err)
	}
	thumb, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return keyPair{}, fmt.Errorf("ltiplatform: key thumbprint: %w", err)
	}
	return keyPair{key: key, kid: base64.RawURLEncoding.EncodeToString(thumb)}, nil
}

// jwks is the public half of k as a key set.
func (k keyPair) jwks() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &k.key.PublicKey, KeyID: k.kid, Algorithm: string(jose.RS256), Use: "sig",
	}}}
}

// signJWT makes an RS256 JWT of claims with key, its header naming kid.
func signJWT(key *rsa.PrivateKey, kid string, claims any) (string, error) {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return "", fmt.Errorf("ltiplatform: sign: %w", err)
	}
	token, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("ltiplatform: sign: %w", err)
	}
	return token, nil
}

// toolKeys fetches and caches tools' JWKS by URL; an unknown kid refetches
// (key rotation).
type toolKeys struct {
	client *http.Client
	mu     sync.Mutex
	sets   map[string]jose.JSONWebKeySet
}

func newToolKeys(client *http.Client) *toolKeys {
	return &toolKeys{client: client, sets: make(map[string]jose.JSONWebKeySet)}
}

// errToolKeys says the tool's JWKS could not be fetched.
var errToolKeys = errors.New("tool JWKS unreachable")

// key finds the key kid in the set at jwksURL.
func (t *toolKeys) key(ctx context.Context, jwksURL, kid string) (*jose.JSONWebKey, error) {
	t.mu.Lock()
	set, ok := t.sets[jwksURL]
	t.mu.Unlock()
	if ok {
		if k := pick(set, kid); k != nil {
			return k, nil
		}
	}
	set, err := t.fetch(ctx, jwksURL)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.sets[jwksURL] = set
	t.mu.Unlock()
	if k := pick(set, kid); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("no key %q in the tool's JWKS", kid)
}

func pick(set jose.JSONWebKeySet, kid string) *jose.JSONWebKey {
	if kid == "" && len(set.Keys) == 1 {
		return &set.Keys[0]
	}
	for _, k := range set.Key(kid) {
		if k.Use == "" || k.Use == "sig" {
			return &k
		}
	}
	return nil
}

func (t *toolKeys) fetch(ctx context.Context, jwksURL string) (jose.JSONWebKeySet, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("%w: %v", errToolKeys, err)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("%w: %v", errToolKeys, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return jose.JSONWebKeySet{}, fmt.Errorf("%w: %s answered %s", errToolKeys, jwksURL, resp.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("%w: %s: %v", errToolKeys, jwksURL, err)
	}
	return set, nil
}

// verifyToolJWT checks a JWT the tool signed (client assertion, deep
// linking response) with the tool's JWKS and the expected registered
// claims, and decodes its claims into out.
func (p *Platform) verifyToolJWT(ctx context.Context, raw string, reg *Registration, want jwt.Expected, out any) error {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return fmt.Errorf("not an RS256 JWT: %v", err)
	}
	kid := ""
	if len(tok.Headers) > 0 {
		kid = tok.Headers[0].KeyID
	}
	key, err := p.toolKeys.key(ctx, reg.JWKSURI, kid)
	if err != nil {
		return err
	}
	var std jwt.Claims
	if err := tok.Claims(key.Key, &std, out); err != nil {
		return fmt.Errorf("signature: %v", err)
	}
	if std.Expiry == nil || std.IssuedAt == nil {
		return errors.New("exp and iat are required")
	}
	want.Time = p.now()
	if err := std.ValidateWithLeeway(want, time.Minute); err != nil {
		return err
	}
	return nil
}
