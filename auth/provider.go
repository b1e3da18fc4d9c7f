package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/internal/backoff"
)

// Options configures a RelyingParty. Zero durations take the defaults.
type Options struct {
	OIDC   config.OIDC
	Logger *slog.Logger
	// HTTPClient talks to the provider; default: a client with a 10 s timeout.
	HTTPClient *http.Client
	// RetryMin and RetryMax bound the wait between discovery attempts while
	// the provider is unreachable (defaults 1 s and 30 s).
	RetryMin, RetryMax time.Duration
}

// RelyingParty signs people in with one OpenID Connect provider. Discovery
// runs once, in the background (Discover), so that the process binds its
// port and serves lessons while the provider is down; until it succeeds,
// Ready is false and sign-in pages say the provider is unreachable.
type RelyingParty struct {
	cfg    config.OIDC
	logger *slog.Logger
	client *http.Client
	retry  *backoff.Backoff

	found atomic.Pointer[discovered]
}

// discovered is what discovery learnt, immutable once published.
type discovered struct {
	provider   *oidc.Provider
	verifier   *oidc.IDTokenVerifier
	endSession string
}

// NewRelyingParty returns a relying party for o.OIDC. Call Discover before
// it can sign anyone in.
func NewRelyingParty(o Options) *RelyingParty {
	rp := &RelyingParty{
		cfg:    o.OIDC,
		logger: o.Logger,
		client: o.HTTPClient,
	}
	rp.retry = backoff.New(o.RetryMin, o.RetryMax, func() bool { return !rp.Ready() })
	if rp.logger == nil {
		rp.logger = slog.New(slog.DiscardHandler)
	}
	if rp.client == nil {
		rp.client = &http.Client{Timeout: 10 * time.Second}
	}
	return rp
}

// Ready reports whether discovery has succeeded.
func (rp *RelyingParty) Ready() bool { return rp.found.Load() != nil }

// Discover fetches the provider's discovery document, retrying with
// exponential backoff and jitter until it succeeds or ctx ends. Run it in
// its own goroutine at start-up; it returns at once when already done.
func (rp *RelyingParty) Discover(ctx context.Context) {
	if rp.Ready() {
		return
	}
	attempts, err := rp.retry.Retry(ctx, rp.discoverOnce, func(attempt int, wait time.Duration, err error) {
		attrs := []any{"issuer", rp.cfg.IssuerURL, "attempt", attempt, "retry_in_ms", wait.Milliseconds(), "error", err.Error()}
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			// A setting is wrong; retrying only helps once it is fixed upstream.
			rp.logger.Error("sign-in provider names another issuer; set OIDC_ISSUER_URL to it", append(attrs, "discovered_issuer", mismatch.Discovered)...)
		} else {
			rp.logger.Warn("sign-in provider unreachable; retrying", attrs...)
		}
	})
	if err == nil {
		rp.logger.Info("sign-in provider discovered", "issuer", rp.cfg.IssuerURL, "attempt", attempts)
	}
}

// Nudge asks a Discover that is waiting to retry now rather than after its
// backoff; it never blocks.
func (rp *RelyingParty) Nudge() { rp.retry.Nudge() }

func (rp *RelyingParty) discoverOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, rp.client), rp.cfg.IssuerURL)
	if err != nil {
		return fmt.Errorf("auth: discovery: %w", err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&meta); err != nil {
		return fmt.Errorf("auth: discovery: %w", err)
	}
	if u, err := url.Parse(meta.EndSession); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		meta.EndSession = ""
	}
	rp.found.Store(&discovered{
		provider:   provider,
		verifier:   provider.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID}),
		endSession: meta.EndSession,
	})
	return nil
}

// oauth2Config is the client's configuration for one redirect URL, which
// may differ per request when BASE_URL is unset.
func (rp *RelyingParty) oauth2Config(d *discovered, redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     rp.cfg.ClientID,
		ClientSecret: rp.cfg.ClientSecret,
		Endpoint:     d.provider.Endpoint(),
		RedirectURL:  redirectURL,
		Scopes:       rp.cfg.Scopes,
	}
}

// Begin starts a sign-in that returns to redirectURL and then to next: it
// returns the flow to keep in the browser and the provider URL to send the
// browser to. It fails with ErrUnavailable until discovery has succeeded.
func (rp *RelyingParty) Begin(redirectURL, next string, now time.Time) (Flow, string, error) {
	d := rp.found.Load()
	if d == nil {
		rp.Nudge()
		return Flow{}, "", ErrUnavailable
	}
	f := Flow{
		State:       randomToken(),
		Nonce:       randomToken(),
		Verifier:    oauth2.GenerateVerifier(),
		RedirectURL: redirectURL,
		Next:        SafeNext(next),
		Expires:     now.Add(FlowTTL),
	}
	authURL := rp.oauth2Config(d, redirectURL).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return f, authURL, nil
}

// Finish completes the sign-in f with the provider's callback parameters:
// it checks the state, exchanges the code (with the PKCE verifier),
// verifies the ID token's signature, issuer, audience, expiry and nonce,
// and reads the profile, asking the userinfo endpoint for what the ID token
// lacks. Errors wrap ErrState, ErrProviderRefused, ErrExchange, ErrIDToken
// or ErrUnavailable.
func (rp *RelyingParty) Finish(ctx context.Context, f Flow, params url.Values) (Profile, error) {
	d := rp.found.Load()
	if d == nil {
		rp.Nudge()
		return Profile{}, ErrUnavailable
	}
	switch state := params.Get("state"); {
	case state == "":
		return Profile{}, fmt.Errorf("%w: the callback has no state", ErrState)
	case subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1:
		return Profile{}, fmt.Errorf("%w: the callback's state is another sign-in's", ErrState)
	}
	if e := params.Get("error"); e != "" {
		return Profile{}, fmt.Errorf("%w: %s: %s", ErrProviderRefused, truncate(e, 64), truncate(params.Get("error_description"), 200))
	}
	code := params.Get("code")
	if code == "" {
		return Profile{}, fmt.Errorf("%w: no code in the callback", ErrExchange)
	}

	ctx = oidc.ClientContext(ctx, rp.client)
	token, err := rp.oauth2Config(d, f.RedirectURL).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return Profile{}, fmt.Errorf("%w: %w", ErrExchange, err)
	}
	rawID, _ := token.Extra("id_token").(string)
	if rawID == "" {
		return Profile{}, fmt.Errorf("%w: the token response has no id_token", ErrIDToken)
	}
	idToken, err := d.verifier.Verify(ctx, rawID)
	if err != nil {
		return Profile{}, fmt.Errorf("%w: %w", ErrIDToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(f.Nonce)) != 1 {
		return Profile{}, fmt.Errorf("%w: nonce does not match", ErrIDToken)
	}
	if idToken.AccessTokenHash != "" {
		if err := idToken.VerifyAccessToken(token.AccessToken); err != nil {
			return Profile{}, fmt.Errorf("%w: %w", ErrIDToken, err)
		}
	}
	if idToken.Subject == "" {
		return Profile{}, fmt.Errorf("%w: no subject", ErrIDToken)
	}
	var claims claimSet
	if err := idToken.Claims(&claims); err != nil {
		return Profile{}, fmt.Errorf("%w: claims: %w", ErrIDToken, err)
	}

	fields := readProfile(claims, rp.cfg.GroupsClaim)
	if !fields.complete(rp.cfg.GroupsClaim != "") && d.provider.UserInfoEndpoint() != "" {
		more, err := rp.userinfo(ctx, d, token, idToken.Subject)
		if err != nil {
			// What the ID token said is enough to sign in; the person is a
			// student unless it also said otherwise.
			rp.logger.Warn("userinfo failed; signing in with the ID token's claims", "error", err.Error())
		} else {
			fields.fill(readProfile(more, rp.cfg.GroupsClaim))
		}
	}

	p := Profile{
		Issuer:        idToken.Issuer,
		Subject:       idToken.Subject,
		Email:         cleanEmail(fields.email),
		EmailVerified: fields.emailVerified,
		Name:          cleanText(fields.name, maxNameRunes),
		Groups:        fields.groups,
		IDToken:       rawID,
	}
	if p.Name == "" {
		p.Name = p.Email
	}
	if p.Email == "" {
		p.EmailVerified = false
	}
	return p, nil
}

// userinfo asks the provider's userinfo endpoint for the profile claims.
func (rp *RelyingParty) userinfo(ctx context.Context, d *discovered, token *oauth2.Token, subject string) (claimSet, error) {
	info, err := d.provider.UserInfo(ctx, oauth2.StaticTokenSource(token))
	if err != nil {
		return nil, fmt.Errorf("auth: userinfo: %w", err)
	}
	// OpenID Connect Core 5.3.2: the sub must match the ID token's.
	if info.Subject != subject {
		return nil, errors.New("auth: userinfo: subject does not match the ID token")
	}
	var claims claimSet
	if err := info.Claims(&claims); err != nil {
		return nil, fmt.Errorf("auth: userinfo: %w", err)
	}
	return claims, nil
}

// EndSessionURL is where to send the browser to sign out at the provider
// too, with post_logout_redirect_uri and, when known, id_token_hint. ok is
// false when the provider has no end_session_endpoint or is not discovered.
func (rp *RelyingParty) EndSessionURL(postLogoutRedirect, idTokenHint string) (string, bool) {
	d := rp.found.Load()
	if d == nil || d.endSession == "" {
		return "", false
	}
	u, err := url.Parse(d.endSession)
	if err != nil {
		return "", false
	}
	q := u.Query()
	q.Set("client_id", rp.cfg.ClientID)
	q.Set("post_logout_redirect_uri", postLogoutRedirect)
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	}
	u.RawQuery = q.Encode()
	return u.String(), true
}

// randomToken is 32 random bytes, base64url: unguessable state and nonce.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
