package lti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// ErrToken is wrapped by every refusal of an id_token; errors.As with a
// *TokenError gives the reason, which is safe to show to the user.
var ErrToken = errors.New("lti: id_token refused")

// ErrJWKS is wrapped when the platform's public keys could not be fetched:
// the platform (or the network) is at fault, not the user.
var ErrJWKS = errors.New("lti: platform keys unreachable")

// TokenError is an id_token refusal: Reason says why, in words fit for the
// page the user sees.
type TokenError struct{ Reason string }

func (e *TokenError) Error() string { return "lti: id_token refused: " + e.Reason }

// Unwrap makes errors.Is(err, ErrToken) hold.
func (e *TokenError) Unwrap() error { return ErrToken }

func refuse(format string, args ...any) error {
	return &TokenError{Reason: fmt.Sprintf(format, args...)}
}

// DefaultSkew is how far in the future a token's iat may be; MaxSkew caps
// Verifier.Skew.
const (
	DefaultSkew = time.Minute
	MaxSkew     = 5 * time.Minute
	// maxTokenAge refuses tokens issued long ago even when the platform
	// gave them a distant exp: a launch token is posted right after issue.
	maxTokenAge = time.Hour
)

// Verifier checks launch id_tokens. It keeps one go-oidc RemoteKeySet per
// platform JWKS URL, so keys are fetched once and refetched when a token
// names a key id not seen yet (key rotation). It is safe for concurrent use.
type Verifier struct {
	// Skew is the clock difference tolerated on iat (zero: DefaultSkew; at
	// most MaxSkew). Set it before the first Verify.
	Skew time.Duration

	client *http.Client
	now    func() time.Time

	mu   sync.Mutex
	keys map[string]*oidc.RemoteKeySet
}

// NewVerifier makes a Verifier that fetches platform keys with client (nil:
// a client with a 10 s timeout) and reads the time from now (nil: time.Now).
func NewVerifier(client *http.Client, now func() time.Time) *Verifier {
	if client == nil {
		client = defaultClient()
	}
	if now == nil {
		now = time.Now
	}
	return &Verifier{client: client, now: now, keys: map[string]*oidc.RemoteKeySet{}}
}

// defaultTimeout bounds every call to a platform when the caller's client
// sets no timeout.
const defaultTimeout = 10 * time.Second

func defaultClient() *http.Client { return &http.Client{Timeout: defaultTimeout} }

// Verify checks rawIDToken as a launch from p answering the login whose
// nonce was nonce: signature (RS256, by p's JWKS), iss, aud, exp through
// go-oidc, then azp, iat, nonce, LTI version, message type, deployment and
// the claims the message type requires. Refusals wrap ErrToken (a
// *TokenError); an unreachable JWKS wraps ErrJWKS.
func (v *Verifier) Verify(ctx context.Context, p Platform, rawIDToken, nonce string) (*Launch, error) {
	if err := CheckURL(p.JWKSURL); err != nil {
		return nil, fmt.Errorf("%w: platform %q has an unusable JWKS URL", ErrJWKS, p.Issuer)
	}
	idv := oidc.NewVerifier(p.Issuer, &keySet{remote: v.remote(p.JWKSURL)}, &oidc.Config{
		ClientID:             p.ClientID,
		SupportedSigningAlgs: []string{oidc.RS256},
		Now:                  v.now,
	})
	// go-oidc flattens the key set's error into text: the key set reports
	// it here too, so a bad signature and unreachable keys can be told apart.
	var sigErr *signatureError
	tok, err := idv.Verify(context.WithValue(ctx, sigErrKey{}, &sigErr), rawIDToken)
	if err != nil {
		if sigErr != nil {
			err = sigErr
		}
		return nil, explain(err, p, rawIDToken)
	}
	var c claims
	if err := tok.Claims(&c); err != nil {
		return nil, refuse("its LTI claims are malformed")
	}
	if err := v.checkTime(tok.IssuedAt); err != nil {
		return nil, err
	}
	if err := checkAZP(c.AZP, tok.Audience, p.ClientID); err != nil {
		return nil, err
	}
	if nonce == "" || tok.Nonce != nonce {
		return nil, refuse("its nonce does not match this sign-in")
	}
	if err := c.check(p); err != nil {
		return nil, err
	}
	return c.launch(tok, p), nil
}

func (v *Verifier) remote(jwksURL string) *oidc.RemoteKeySet {
	v.mu.Lock()
	defer v.mu.Unlock()
	if ks, ok := v.keys[jwksURL]; ok {
		return ks
	}
	timeout := v.client.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	client := &http.Client{Timeout: timeout, Transport: &jwksTransport{base: v.client.Transport}}
	ks := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), client), jwksURL)
	v.keys[jwksURL] = ks
	return ks
}

func (v *Verifier) checkTime(iat time.Time) error {
	skew := v.Skew
	if skew <= 0 {
		skew = DefaultSkew
	}
	skew = min(skew, MaxSkew)
	now := v.now()
	switch {
	case iat.IsZero():
		return refuse("it has no issue time (iat)")
	case iat.After(now.Add(skew)):
		return refuse("it was issued in the future: check the platform's clock")
	case iat.Before(now.Add(-maxTokenAge - skew)):
		return refuse("it was issued too long ago")
	}
	return nil
}

func checkAZP(azp string, aud []string, clientID string) error {
	switch {
	case azp != "" && azp != clientID:
		return refuse("it was issued to another tool (azp)")
	case azp == "" && len(aud) > 1:
		return refuse("it has several audiences but no authorized party (azp)")
	}
	return nil
}

// explain turns a go-oidc refusal into a reason fit to show.
func explain(err error, p Platform, raw string) error {
	var se *signatureError
	if errors.As(err, &se) {
		if se.fetch {
			return fmt.Errorf("%w: platform %q: %v", ErrJWKS, p.Issuer, se.err)
		}
		return refuse("its signature does not match the platform's keys")
	}
	var te *oidc.TokenExpiredError
	if errors.As(err, &te) {
		return refuse("it has expired")
	}
	jws, perr := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if perr != nil {
		return refuse("it is not an RS256-signed JWT")
	}
	// The signature was checked before go-oidc looked at these claims.
	var c struct {
		Issuer   string   `json:"iss"`
		Audience audience `json:"aud"`
	}
	if json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &c) != nil {
		return refuse("its claims are malformed")
	}
	switch {
	case c.Issuer != p.Issuer:
		return refuse("it was issued by another platform (iss)")
	case !contains(c.Audience, p.ClientID):
		return refuse("it is meant for another tool (aud)")
	}
	return refuse("it could not be verified")
}

// keySet is the platform's RemoteKeySet, marking its failures so explain
// can tell a bad signature from keys that could not be fetched.
type keySet struct{ remote *oidc.RemoteKeySet }

type signatureError struct {
	fetch bool
	err   error
}

func (e *signatureError) Error() string { return e.err.Error() }
func (e *signatureError) Unwrap() error { return e.err }

// sigErrKey is the context key under which Verify leaves a
// **signatureError for keySet to fill.
type sigErrKey struct{}

func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if err != nil {
		var fe *jwksFetchError
		se := &signatureError{fetch: errors.As(err, &fe), err: err}
		if slot, ok := ctx.Value(sigErrKey{}).(**signatureError); ok {
			*slot = se
		}
		return nil, se
	}
	return payload, nil
}

// jwksFetchError is any failure to get a usable key set: network, status,
// or a body that is not a JWKS.
type jwksFetchError struct{ reason string }

func (e *jwksFetchError) Error() string { return e.reason }

// jwksTransport turns every failure to fetch a JWKS into a jwksFetchError,
// which go-oidc's RemoteKeySet passes up wrapped.
type jwksTransport struct{ base http.RoundTripper }

const maxJWKS = 1 << 20

func (t *jwksTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, &jwksFetchError{reason: "fetch keys: " + err.Error()}
	}
	body, err := readLimited(resp, maxJWKS)
	if err != nil {
		return nil, &jwksFetchError{reason: "read keys: " + err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &jwksFetchError{reason: "keys answered " + resp.Status}
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if json.Unmarshal(body, &set) != nil || len(set.Keys) == 0 {
		return nil, &jwksFetchError{reason: "the keys URL did not answer a JWKS"}
	}
	resp.Body = bodyOf(body)
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Type", "application/json")
	return resp, nil
}

// audience is aud: a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*a = audience{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	*a = ss
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
