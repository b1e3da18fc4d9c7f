package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
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
	ctx := views.WithRequest(c.Request().Context(), viewerOf(c))
	if err := comp.Render(ctx, buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return writeHTML(c, status, buf.Bytes())
}

// renderShell writes a prerendered page, rendering only its fills.
func (h *Handler) renderShell(c *echo.Context, status int, shell *views.Shell, fills views.Fills) error {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer buffers.Put(buf)
	buf.Grow(shell.Size() + len(fills.Panel) + 2048) // one allocation for a fresh buffer, none for a reused one
	ctx := views.WithRequest(c.Request().Context(), viewerOf(c))
	if err := shell.Render(ctx, buf, fills); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return writeHTML(c, status, buf.Bytes())
}

// writeHTML sends a rendered page. Its length, known up front, spares the
// chunked encoding and a write to the socket (the gzip middleware drops it
// when it compresses).
func writeHTML(c *echo.Context, status int, page []byte) error {
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(page)))
	return c.Blob(status, "text/html; charset=utf-8", page)
}

// page is the layout's view model for this request.
func (h *Handler) page(c *echo.Context, title string) views.Page {
	return h.pageAt(title, c.Request().URL.RequestURI())
}

// pageAt is the layout's view model for a page at path.
func (h *Handler) pageAt(title, path string) views.Page {
	return views.Page{
		Title:         title,
		Path:          path,
		Stylesheet:    h.assets.Path("style.css"),
		Script:        h.assets.Path("app.js"),
		Revision:      shortRevision(h.revision),
		SignInEnabled: h.cfg.SignInEnabled(),
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
