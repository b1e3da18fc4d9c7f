// Package ltikeys gives the LTI tool its signing keys (lti.KeySet): those
// of LTI_PRIVATE_KEY when it is set, else the keys kept in the database
// (store.LTIKeys), the first of which is generated once, by whichever
// process needs it first, and kept sealed with SECRET_KEY (package seal,
// purpose "lti-key"): every SECRET_KEY in the list opens it, so a
// SECRET_KEY rotation keeps it.
package ltikeys

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twelve-course/twelve/internal/seal"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/store"
)

const (
	// reloadEvery is how long the database's keys are used before they are
	// read again (a key retired by hand, or one rotated in).
	reloadEvery = 10 * time.Minute
	// retiredKept is how long a retired key is still published, so that
	// what it signed last still verifies.
	retiredKept = 24 * time.Hour
	// sealedMaxAge is how old a sealed key may be: keys are kept for
	// years, so this only stops the seal's own expiry.
	sealedMaxAge = 100 * 365 * 24 * time.Hour
)

// sealedKey is what lti_keys.sealed holds, sealed.
type sealedKey struct {
	PKCS8 []byte `json:"k"`
}

// Source gives the tool's KeySet. It is safe for concurrent use.
type Source struct {
	st    *store.Store
	codec *seal.Codec[sealedKey]
	fixed *lti.KeySet // from LTI_PRIVATE_KEY; nil: the database's
	now   func() time.Time

	mu     sync.Mutex
	cached *lti.KeySet
	until  time.Time
}

// New returns the Source of the keys configured (config.Config.LTIKeys),
// or, when there are none, of the keys in st, sealed with secrets
// (config.Config.SecretKeys).
func New(st *store.Store, secrets [][]byte, configured []*rsa.PrivateKey) (*Source, error) {
	codec, err := seal.New[sealedKey](secrets, seal.Spec{Purpose: "lti-key", Name: "lti_key", MaxAge: sealedMaxAge, MaxLength: 16 << 10})
	if err != nil {
		return nil, fmt.Errorf("ltikeys: %w", err)
	}
	s := &Source{st: st, codec: codec, now: time.Now}
	if len(configured) > 0 {
		if s.fixed, err = lti.NewKeySet(configured...); err != nil {
			return nil, fmt.Errorf("ltikeys: LTI_PRIVATE_KEY: %w", err)
		}
	}
	return s, nil
}

// KeySet returns the tool's keys: the first signs, all are published.
// The database's are made at the first call when there are none, then
// read again every few minutes; should that fail, the keys read last
// serve meanwhile.
func (s *Source) KeySet(ctx context.Context) (*lti.KeySet, error) {
	if s.fixed != nil {
		return s.fixed, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && s.now().Before(s.until) {
		return s.cached, nil
	}
	ks, err := s.load(ctx)
	if err != nil {
		if s.cached != nil {
			return s.cached, nil
		}
		return nil, err
	}
	s.cached, s.until = ks, s.now().Add(reloadEvery)
	return ks, nil
}

// load reads the database's keys, making the first.
func (s *Source) load(ctx context.Context) (*lti.KeySet, error) {
	stored, err := s.st.EnsureLTIKey(ctx, s.newKey)
	if err != nil {
		return nil, fmt.Errorf("ltikeys: %w", err)
	}
	var keys []*rsa.PrivateKey
	for i, k := range stored {
		if !k.RetiredAt.IsZero() && s.now().Sub(k.RetiredAt) > retiredKept {
			continue
		}
		key, err := s.open(k.Sealed)
		if err != nil {
			if i == 0 { // the signing key
				return nil, fmt.Errorf("ltikeys: the LTI key %s in the database: %w", k.KID, err)
			}
			continue // a retired key sealed with a SECRET_KEY since dropped
		}
		keys = append(keys, key)
	}
	ks, err := lti.NewKeySet(keys...)
	if err != nil {
		return nil, fmt.Errorf("ltikeys: %w", err)
	}
	return ks, nil
}

// newKey makes a key for store.EnsureLTIKey: its id and its sealed form.
func (s *Source) newKey() (kid, sealed string, err error) {
	key, err := lti.GenerateKey()
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("ltikeys: marshal key: %w", err)
	}
	if kid, err = lti.Thumbprint(&key.PublicKey); err != nil {
		return "", "", err
	}
	if sealed, err = s.codec.Encode(sealedKey{PKCS8: der}); err != nil {
		return "", "", fmt.Errorf("ltikeys: %w", err)
	}
	return kid, sealed, nil
}

// open unseals a stored key.
func (s *Source) open(sealed string) (*rsa.PrivateKey, error) {
	v, err := s.codec.Decode(sealed)
	if err != nil {
		return nil, errors.New("sealed with a SECRET_KEY not in the list")
	}
	k, err := x509.ParsePKCS8PrivateKey(v.PKCS8)
	if err != nil {
		return nil, errors.New("not a PKCS #8 key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}
