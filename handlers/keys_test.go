package handlers

import (
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/auth"
)

// mustCookies is auth.NewCookies for tests.
func mustCookies(tb testing.TB, keys ...[]byte) *auth.Cookies {
	tb.Helper()
	c, err := auth.NewCookies(keys)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// mustNew is New for tests.
func mustNew(tb testing.TB, d Deps) *echo.Echo {
	tb.Helper()
	e, err := New(d)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// mustHandler is newHandler for tests.
func mustHandler(tb testing.TB, d Deps) *Handler {
	tb.Helper()
	h, err := newHandler(d)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}
