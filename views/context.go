// Package views holds Twelve's templ components. Each page takes one view
// model with exactly what it shows; the request context carries only the
// current viewer and the CSRF token.
package views

import (
	"context"
)

// Viewer is the signed-in person, as the header shows them.
type Viewer struct {
	ID         int64
	Name       string
	Email      string
	Instructor bool
}

// Role names the viewer's role for display.
func (v *Viewer) Role() string {
	if v.Instructor {
		return "instructor"
	}
	return "student"
}

type ctxKey int

const (
	viewerKey ctxKey = iota
	csrfKey
)

// WithRequest returns ctx carrying the viewer (nil when signed out) and the
// CSRF token for forms. The token is asked for only by pages with a form:
// csrf is called on first use (it may mint the token and set its cookie).
// There is no CSP nonce: the pages have no inline scripts.
func WithRequest(ctx context.Context, v *Viewer, csrf func() string) context.Context {
	ctx = context.WithValue(ctx, viewerKey, v)
	return context.WithValue(ctx, csrfKey, csrf)
}

// ViewerFrom returns the signed-in viewer, or nil.
func ViewerFrom(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey).(*Viewer)
	return v
}

// CSRFToken returns the token forms must carry.
func CSRFToken(ctx context.Context) string {
	if f, _ := ctx.Value(csrfKey).(func() string); f != nil {
		return f()
	}
	return ""
}

// CSRFFieldName is the form field the CSRF middleware reads.
const CSRFFieldName = "csrf"

// Page is what the layout shows around every page.
type Page struct {
	Title       string
	Description string
	// Path is the current request path, for "sign in and come back".
	Path       string
	Stylesheet string
	// Script is the progressive-enhancement script; pages work without it.
	Script   string
	Revision string
	// SignInEnabled is false when no identity provider is configured.
	SignInEnabled bool
}
