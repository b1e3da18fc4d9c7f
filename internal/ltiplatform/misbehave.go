package ltiplatform

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"time"
)

// Kind names a way to misbehave.
type Kind string

// The misbehaviours. The launch kinds change one thing about an otherwise
// valid id_token.
const (
	// ExpiredToken issues an id_token that expired an hour ago.
	ExpiredToken Kind = "ExpiredToken"
	// FutureIat issues an id_token issued ten minutes from now.
	FutureIat Kind = "FutureIat"
	// WrongAudience issues the id_token to another client_id.
	WrongAudience Kind = "WrongAudience"
	// NoAzpManyAud sends two audiences (the client and another) and no azp.
	NoAzpManyAud Kind = "NoAzpManyAud"
	// ReuseNonce puts the previous launch's nonce in the id_token (and
	// LaunchOptions.Replay replays a whole launch).
	ReuseNonce Kind = "ReuseNonce"
	// BadSignature signs with a key that is not published, under the
	// published key's kid.
	BadSignature Kind = "BadSignature"
	// UnknownDeployment claims a deployment id the tool was never told of.
	UnknownDeployment Kind = "UnknownDeployment"
	// WrongVersion claims LTI version 1.1.0.
	WrongVersion Kind = "WrongVersion"
	// MissingClaim leaves out a required claim: Misbehaviour.Claim, or
	// resource_link (deep_linking_settings for deep linking requests).
	MissingClaim Kind = "MissingClaim"
	// RotateKeys switches to a new signing key at once; only the new key
	// is published from then on. It is an action, not a lasting state.
	RotateKeys Kind = "RotateKeys"
	// JWKSDown makes /jwks answer 503.
	JWKSDown Kind = "JWKSDown"
	// TokenDown makes /token answer 503.
	TokenDown Kind = "TokenDown"
	// KindScoreStatus makes score posts answer Misbehaviour.Status (with
	// Retry-After on 429) without recording them. See ScoreStatus.
	KindScoreStatus Kind = "ScoreStatus"
	// KindScoreDelay makes score posts wait Misbehaviour.Delay (or until
	// the client gives up) before being handled. See ScoreDelay.
	KindScoreDelay Kind = "ScoreDelay"
)

// Misbehaviour is one way to misbehave, on the next Times requests it
// affects, or until cleared when Times is 0.
type Misbehaviour struct {
	Kind Kind
	// Times is how many requests (launches, score posts, …) misbehave;
	// 0 means until Clear.
	Times int
	// Status is KindScoreStatus's answer: 400, 401, 403, 404, 429 or 500.
	Status int
	// RetryAfter is the Retry-After of a 429, in seconds (default 1).
	RetryAfter int
	// Delay is KindScoreDelay's wait.
	Delay time.Duration
	// Claim is the claim MissingClaim leaves out: a full claim name or a
	// standard one such as "sub".
	Claim string
}

// ScoreStatus makes the next times score posts (all, when times is 0)
// answer status.
func ScoreStatus(status, times int) Misbehaviour {
	return Misbehaviour{Kind: KindScoreStatus, Status: status, Times: times}
}

// ScoreDelay makes the next times score posts (all, when times is 0) wait d
// first; a long d hangs until the client gives up.
func ScoreDelay(d time.Duration, times int) Misbehaviour {
	return Misbehaviour{Kind: KindScoreDelay, Delay: d, Times: times}
}

// Once is m's kind for the next request only.
func Once(k Kind) Misbehaviour { return Misbehaviour{Kind: k, Times: 1} }

func (k Kind) valid() bool {
	switch k {
	case ExpiredToken, FutureIat, WrongAudience, NoAzpManyAud, ReuseNonce, BadSignature,
		UnknownDeployment, WrongVersion, MissingClaim, RotateKeys, JWKSDown, TokenDown,
		KindScoreStatus, KindScoreDelay:
		return true
	}
	return false
}

// launchKinds spoil id_tokens; one launch takes at most one of them.
func launchKinds() []Kind {
	return []Kind{ExpiredToken, FutureIat, WrongAudience, NoAzpManyAud, ReuseNonce,
		BadSignature, UnknownDeployment, WrongVersion, MissingClaim}
}

// Misbehave starts misbehaving as m says, replacing an earlier
// misbehaviour of the same kind; RotateKeys rotates at once.
func (p *Platform) Misbehave(m Misbehaviour) error {
	if !m.Kind.valid() {
		return fmt.Errorf("ltiplatform: unknown misbehaviour %q", m.Kind)
	}
	if m.Kind == KindScoreStatus {
		switch m.Status {
		case 400, 401, 403, 404, 429, 500, 502, 503:
		default:
			return fmt.Errorf("ltiplatform: ScoreStatus %d: want 400, 401, 403, 404, 429, 500, 502 or 503", m.Status)
		}
	}
	if m.Kind == RotateKeys {
		keys, err := newKeyPair()
		if err != nil {
			return err
		}
		p.mu.Lock()
		p.keys = keys
		p.mu.Unlock()
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.misbehaviours[m.Kind] = &m
	return nil
}

// Clear stops the given misbehaviours, or all of them when none is given.
func (p *Platform) Clear(kinds ...Kind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(kinds) == 0 {
		clear(p.st.misbehaviours)
	}
	for _, k := range kinds {
		delete(p.st.misbehaviours, k)
	}
}

// take reports whether misbehaviour k is active, counting one use.
func (p *Platform) take(k Kind) (Misbehaviour, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.takeLocked(k)
}

func (p *Platform) takeLocked(k Kind) (Misbehaviour, bool) {
	m, ok := p.st.misbehaviours[k]
	if !ok {
		return Misbehaviour{}, false
	}
	if m.Times > 0 {
		m.Times--
		if m.Times == 0 {
			delete(p.st.misbehaviours, k)
		}
	}
	return *m, true
}

// spoil breaks claims as the first active launch misbehaviour says and
// returns the key to sign with.
func (p *Platform) spoil(claims map[string]any, req authRequest, previousNonce string, now time.Time, keys keyPair) (*rsa.PrivateKey, error) {
	var m Misbehaviour
	found := false
	p.mu.Lock()
	for _, k := range launchKinds() {
		if m, found = p.takeLocked(k); found {
			break
		}
	}
	p.mu.Unlock()
	if !found {
		return keys.key, nil
	}
	p.log.Info("misbehaving", "kind", string(m.Kind), "client_id", req.reg.ClientID)
	switch m.Kind {
	case ExpiredToken:
		claims["iat"] = now.Add(-2 * time.Hour).Unix()
		claims["exp"] = now.Add(-time.Hour).Unix()
	case FutureIat:
		claims["iat"] = now.Add(10 * time.Minute).Unix()
		claims["exp"] = now.Add(15 * time.Minute).Unix()
	case WrongAudience:
		claims["aud"] = "not-" + req.reg.ClientID
		claims["azp"] = "not-" + req.reg.ClientID
	case NoAzpManyAud:
		claims["aud"] = []string{req.reg.ClientID, "another-tool"}
		delete(claims, "azp")
	case ReuseNonce:
		if previousNonce != "" {
			claims["nonce"] = previousNonce
		}
	case BadSignature:
		return rsa.GenerateKey(rand.Reader, 2048)
	case UnknownDeployment:
		claims[claimDeploy] = "dep-unknown"
	case WrongVersion:
		claims[claimVersion] = "1.1.0"
	case MissingClaim:
		name := m.Claim
		if name == "" {
			name = claimResourceLink
			if req.hint.Deep {
				name = claimDeepLinking
			}
		}
		delete(claims, name)
	}
	return keys.key, nil
}
