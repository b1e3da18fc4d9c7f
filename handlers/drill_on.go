//go:build drill

package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"
)

// drillRoutes adds a deliberately slow route to binaries built with
// `-tags drill`, which the graceful-stop test uses to have requests in
// flight when SIGTERM arrives; it logs "drill sleeping" as it starts, so the
// test knows when they are. Release builds never contain it.
func drillRoutes(e *echo.Echo) {
	e.GET("/_drill/sleep", func(c *echo.Context) error {
		ms, _ := strconv.Atoi(c.QueryParam("ms"))
		c.Logger().Info("drill sleeping", "ms", ms)
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-c.Request().Context().Done():
			return c.Request().Context().Err()
		}
		return c.String(http.StatusOK, "slept "+strconv.Itoa(ms)+"ms")
	})
}
