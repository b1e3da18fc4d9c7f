package handlers

import (
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/live"
	"github.com/twelve-course/twelve/views"
)

// showFactors renders all twelve live panels on one page.
func (h *Handler) showFactors(c *echo.Context) error {
	v := h.live.Page(c.Request().Context(), liveRequest(c))
	return h.ok(c, views.FactorsPage(h.page(c, "This app, right now"), v))
}

// liveRequest is what the live panels show of c.
func liveRequest(c *echo.Context) live.Request {
	r := c.Request()
	lr := live.Request{
		ID: requestIDOf(c), Method: r.Method, Path: r.URL.Path,
		Host: r.Host, Scheme: c.Scheme(), RemoteIP: c.RealIP(),
	}
	if v := viewerOf(c); v != nil {
		lr.SignedIn, lr.UserID = true, v.ID
	}
	return lr
}
