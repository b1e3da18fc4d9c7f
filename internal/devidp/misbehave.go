package devidp

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Misbehaviour is one way to break an ID token, so that tests can check a
// relying party refuses it. See Server.MisbehaveNext.
type Misbehaviour int

// The misbehaviours. Each changes one thing about an otherwise valid token.
const (
	// NoMisbehaviour issues an honest token.
	NoMisbehaviour Misbehaviour = iota
	// WrongAudience issues the token to another client_id.
	WrongAudience
	// WrongIssuer claims another issuer.
	WrongIssuer
	// Expired issues a token that expired an hour ago.
	Expired
	// BadSignature signs with a key that is not in the JWKS, under the
	// published key's kid.
	BadSignature
	// AlgNone issues an unsigned token with alg "none".
	AlgNone
	// WrongNonce echoes a nonce other than the one the client sent.
	WrongNonce
	// OmitProfile leaves out email, email_verified, name and groups, so the
	// client must fetch them from the userinfo endpoint.
	OmitProfile
)

// String names m as its constant does.
func (m Misbehaviour) String() string {
	switch m {
	case NoMisbehaviour:
		return "NoMisbehaviour"
	case WrongAudience:
		return "WrongAudience"
	case WrongIssuer:
		return "WrongIssuer"
	case Expired:
		return "Expired"
	case BadSignature:
		return "BadSignature"
	case AlgNone:
		return "AlgNone"
	case WrongNonce:
		return "WrongNonce"
	case OmitProfile:
		return "OmitProfile"
	}
	return fmt.Sprintf("Misbehaviour(%d)", int(m))
}

// spoil re-issues the ID token mockoidc signed, broken as m says.
func (s *Server) spoil(idToken string, m Misbehaviour) (string, error) {
	parsed, err := jwt.ParseSigned(idToken, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return "", fmt.Errorf("devidp: spoil %s: %w", m, err)
	}
	var claims map[string]any
	if err := parsed.Claims(&s.signingKey.PublicKey, &claims); err != nil {
		return "", fmt.Errorf("devidp: spoil %s: %w", m, err)
	}

	key := s.signingKey
	switch m {
	case WrongAudience:
		claims["aud"] = []string{"not-" + s.clientID}
	case WrongIssuer:
		claims["iss"] = s.origin + "/not-the-issuer"
	case Expired:
		issued := time.Now().Add(-2 * time.Hour)
		claims["iat"] = issued.Unix()
		claims["nbf"] = issued.Unix()
		claims["exp"] = issued.Add(time.Hour).Unix()
	case BadSignature:
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return "", fmt.Errorf("devidp: spoil %s: %w", m, err)
		}
	case AlgNone:
		return unsigned(claims)
	case WrongNonce:
		claims["nonce"] = "not-the-nonce-you-sent"
	case OmitProfile:
		for _, name := range []string{"email", "email_verified", "name", "groups"} {
			delete(claims, name)
		}
	default:
		return "", fmt.Errorf("devidp: spoil: unknown %s", m)
	}
	return sign(key, s.keyID, claims)
}

// sign makes an RS256 JWT of claims with key, labelled kid.
func sign(key *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return "", fmt.Errorf("devidp: sign: %w", err)
	}
	token, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("devidp: sign: %w", err)
	}
	return token, nil
}

// unsigned makes an alg "none" JWT (RFC 7519 section 6), which go-jose
// rightly refuses to produce, so it is put together here.
func unsigned(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("devidp: unsigned token: %w", err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + ".", nil
}
