package handlers

import (
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/views"
)

// showHome renders the course home.
func (h *Handler) showHome(c *echo.Context) error {
	return h.ok(c, views.HomePage(h.page(c, "The Twelve-Factor App")))
}
