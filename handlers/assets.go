package handlers

import (
	"net/http"

	"github.com/labstack/echo/v5"
)

// serveAsset serves an embedded file under its content-hashed name; the name
// changes whenever the content does, so it may be cached for a year.
func (h *Handler) serveAsset(c *echo.Context) error {
	asset, ok := h.assets.Lookup(c.Param("name"))
	if !ok {
		return errNotFound
	}
	hdr := c.Response().Header()
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	return c.Blob(http.StatusOK, asset.ContentType, asset.Body)
}

// serveFavicon points browsers that ask for /favicon.ico at the SVG icon.
func (h *Handler) serveFavicon(c *echo.Context) error {
	return c.Redirect(http.StatusMovedPermanently, h.assets.Path("favicon.svg"))
}
