package lti

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// KeySet is the tool's signing keys: the first signs, all are published at
// the tool's JWKS URL so a key being rotated out still verifies what it
// signed. Each key's id is its RFC 7638 thumbprint.
type KeySet struct {
	keys []jose.JSONWebKey // private keys, KeyID set
}

// ParseKeys reads one or more PEM private RSA keys (PKCS #1 "RSA PRIVATE
// KEY" or PKCS #8 "PRIVATE KEY"); a key given twice counts once. Text with
// no line break but literal "\n" sequences (as some hosts' config screens
// keep it) is read with those as line breaks. Errors name the block's
// position, never its content.
func ParseKeys(pemText string) (*KeySet, error) {
	if !strings.Contains(pemText, "\n") && strings.Contains(pemText, `\n`) {
		pemText = strings.ReplaceAll(pemText, `\n`, "\n")
	}
	rest := []byte(pemText)
	var keys []*rsa.PrivateKey
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		k, err := parseKey(block)
		if err != nil {
			return nil, fmt.Errorf("lti: PEM block %d: %w", n, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("lti: no PEM private key found")
	}
	return NewKeySet(keys...)
}

func parseKey(block *pem.Block) (*rsa.PrivateKey, error) {
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("not a valid PKCS #1 RSA private key")
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("not a valid PKCS #8 private key")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("not an RSA key")
		}
		return rk, nil
	default:
		return nil, fmt.Errorf("type %q is not an RSA private key", block.Type)
	}
}

// NewKeySet makes a KeySet of keys, the first one signing. Keys shorter
// than 2048 bits are refused.
func NewKeySet(keys ...*rsa.PrivateKey) (*KeySet, error) {
	if len(keys) == 0 {
		return nil, errors.New("lti: no signing key")
	}
	ks := &KeySet{}
	seen := map[string]bool{}
	for i, k := range keys {
		if k == nil {
			return nil, fmt.Errorf("lti: key %d is nil", i+1)
		}
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("lti: key %d has %d bits, want at least 2048", i+1, k.N.BitLen())
		}
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("lti: key %d is invalid", i+1)
		}
		kid, err := Thumbprint(&k.PublicKey)
		if err != nil {
			return nil, err
		}
		if seen[kid] {
			continue
		}
		seen[kid] = true
		ks.keys = append(ks.keys, jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"})
	}
	return ks, nil
}

// Thumbprint is a public key's RFC 7638 SHA-256 thumbprint, base64url
// without padding: the key id Twelve gives it.
func Thumbprint(pub *rsa.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("lti: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// GenerateKey makes a new RSA 2048 private key.
func GenerateKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("lti: generate key: %w", err)
	}
	return k, nil
}

// EncodeKey is k as PEM (PKCS #8 "PRIVATE KEY"), the form ParseKeys reads.
func EncodeKey(k *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", fmt.Errorf("lti: encode key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// KeyID is the id of the key that signs.
func (k *KeySet) KeyID() string { return k.keys[0].KeyID }

// KeyIDs lists every key's id, the signing key first.
func (k *KeySet) KeyIDs() []string {
	ids := make([]string, len(k.keys))
	for i, key := range k.keys {
		ids[i] = key.KeyID
	}
	return ids
}

// JWKS is the public half of every key, for the tool's JWKS URL.
func (k *KeySet) JWKS() jose.JSONWebKeySet {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, len(k.keys))}
	for i := range k.keys {
		set.Keys[i] = k.keys[i].Public()
	}
	return set
}

// Sign serialises claims as JSON and signs them with the first key: an RS256
// compact JWS whose header carries the key id and typ JWT.
func (k *KeySet) Sign(claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("lti: sign: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.keys[0]},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("lti: sign: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("lti: sign: %w", err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("lti: sign: %w", err)
	}
	return out, nil
}
