// Package auth is Twelve's sign-in: an OpenID Connect relying party, the
// signed and encrypted cookies that carry identity between requests (no
// server-side session, factor VI), the instructor role rules and the check
// that keeps "come back to" links on this site.
//
// It knows nothing of HTTP routing or SQL: handlers wire it to echo and to
// the store.
package auth

import "errors"

// ErrForbidden means the viewer is signed in but may not see this page.
var ErrForbidden = errors.New("auth: forbidden")

// ErrUnavailable means the identity provider has not been reached yet:
// discovery is still being retried in the background.
var ErrUnavailable = errors.New("auth: identity provider unreachable")

// Reasons a sign-in callback is refused. Each is wrapped around the detail,
// which is logged and never shown.
var (
	// ErrState: the callback's state does not match the sign-in this
	// browser started (missing, wrong, replayed or expired).
	ErrState = errors.New("auth: sign-in state does not match")
	// ErrProviderRefused: the provider answered with an error parameter,
	// such as access_denied when the person cancelled.
	ErrProviderRefused = errors.New("auth: provider refused the sign-in")
	// ErrExchange: the provider did not turn the code into tokens.
	ErrExchange = errors.New("auth: code exchange failed")
	// ErrIDToken: the ID token failed verification (signature, issuer,
	// audience, expiry or nonce) or lacks a subject.
	ErrIDToken = errors.New("auth: ID token refused")
)
