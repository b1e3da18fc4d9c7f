package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/views"
)

const viewerKey = "viewer"

// viewerOf returns the signed-in viewer, or nil.
func viewerOf(c *echo.Context) *views.Viewer {
	v, _ := c.Get(viewerKey).(*views.Viewer)
	return v
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render renders comp into a buffer first, so a failed render still becomes
// a proper error page rather than half a page.
func (h *Handler) render(c *echo.Context, status int, comp templ.Component) error {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer buffers.Put(buf)
	csrf, _ := c.Get(csrfKey).(string)
	nonce, _ := c.Get(nonceKey).(string)
	ctx := views.WithRequest(c.Request().Context(), viewerOf(c), csrf, nonce)
	if err := comp.Render(ctx, buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return c.Blob(status, "text/html; charset=utf-8", buf.Bytes())
}

// page is the layout's view model for this request.
func (h *Handler) page(c *echo.Context, title string) views.Page {
	return views.Page{
		Title:         title,
		Path:          c.Request().URL.RequestURI(),
		Stylesheet:    h.assets.Path("style.css"),
		Script:        h.assets.Path("app.js"),
		Revision:      shortRevision(h.process.Revision),
		SignInEnabled: h.cfg.OIDC.Enabled(),
	}
}

func shortRevision(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}

// ok is a shorthand for rendering a page with 200.
func (h *Handler) ok(c *echo.Context, comp templ.Component) error {
	return h.render(c, http.StatusOK, comp)
}
