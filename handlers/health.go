package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"
)

// healthz says the process is alive; it touches nothing else.
func (h *Handler) healthz(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, "ok\n")
}

// readyz says whether the process can serve everything: its database answers.
func (h *Handler) readyz(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		h.logger.Warn("not ready", "error", err.Error())
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
