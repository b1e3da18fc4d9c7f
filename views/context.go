// Package views holds Twelve's templ components. Each page takes one view
// model with exactly what it shows; the request context carries only the
// current viewer.
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
	// Teaches is whether they are an instructor or TA of some class.
	Teaches bool
}

// Role names the viewer's role for display.
func (v *Viewer) Role() string {
	switch {
	case v.Instructor:
		return "instructor"
	case v.Teaches:
		return "class staff"
	}
	return "student"
}

type ctxKey int

const viewerKey ctxKey = 0

// WithRequest returns ctx carrying the viewer (nil when signed out). Forms
// carry no CSRF token: cross-origin posts are refused by their headers (see
// docs/csrf.md). There is no CSP nonce: the pages have no inline scripts.
func WithRequest(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey, v)
}

// ViewerFrom returns the signed-in viewer, or nil.
func ViewerFrom(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey).(*Viewer)
	return v
}

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
