package handlers

import "github.com/labstack/echo/v5"

// routes lists every route of the app, top to bottom.
func (h *Handler) routes(e *echo.Echo) {
	// Course
	e.GET("/", h.showHome)

	// Operations
	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)

	// Assets
	e.GET("/static/:name", h.serveAsset)
	e.GET("/favicon.ico", h.serveFavicon)

	drillRoutes(e)
	e.RouteNotFound("/*", func(c *echo.Context) error { return errNotFound })
}
