package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// Error is an answer meant for the person who made the request: a status, a
// heading and a sentence saying what happened and what to do.
type Error struct {
	Status  int
	Heading string
	Message string
}

func (e *Error) Error() string   { return e.Heading }
func (e *Error) StatusCode() int { return e.Status }

var errNotFound = &Error{Status: http.StatusNotFound, Heading: "Page not found", Message: "There is no page at this address. The course starts on the home page."}

// badRequest is a 400 with a message for the user.
func badRequest(msg string) error {
	return &Error{Status: http.StatusBadRequest, Heading: "That request could not be used", Message: msg}
}

// handleError answers any error with a proper page. 5xx errors are logged
// once, with the request id the page shows; their details never reach the page.
func (h *Handler) handleError(c *echo.Context, err error) {
	if resp, _ := echo.UnwrapResponse(c.Response()); resp != nil && resp.Committed {
		h.logger.ErrorContext(c.Request().Context(), "error after response started", "error", err.Error())
		return
	}
	e := classify(err)
	if e.Status >= 500 {
		attrs := []any{"error", err.Error(), "status", e.Status, "path", loggedPath(c.Request().URL.Path)}
		var ps *middleware.PanicStackError
		if errors.As(err, &ps) {
			attrs = append(attrs, "stack", string(ps.Stack))
		}
		h.logger.Log(c.Request().Context(), slog.LevelError, "request failed", attrs...)
	}
	if e.Status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", "5")
	}
	// The request's context may already be cancelled (timeout, client gone);
	// the page is still owed.
	c.SetRequest(c.Request().WithContext(context.WithoutCancel(c.Request().Context())))
	page := views.ErrorPage(h.page(c, e.Heading), views.ErrorView{
		Status: e.Status, Heading: e.Heading, Message: e.Message, RequestID: requestIDOf(c),
	})
	if rerr := h.render(c, e.Status, page); rerr != nil {
		h.logger.ErrorContext(c.Request().Context(), "error page failed", "error", rerr.Error())
		_ = c.String(e.Status, e.Heading+"\n")
	}
}

// classify turns any error into what the user is told.
func classify(err error) *Error {
	var ue *Error
	if errors.As(err, &ue) {
		return ue
	}
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	if errors.Is(err, auth.ErrForbidden) {
		return errForbidden
	}
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Status: http.StatusServiceUnavailable, Heading: "Busy for a moment", Message: "The course could not finish this request in time. Nothing was lost: wait a few seconds and try again."}
	}
	switch code := echo.StatusCode(err); {
	case code == http.StatusNotFound:
		return errNotFound
	case code == http.StatusMethodNotAllowed:
		return &Error{Status: code, Heading: "Not allowed here", Message: "This page cannot be used that way."}
	case code == http.StatusRequestEntityTooLarge:
		return &Error{Status: code, Heading: "Too much data", Message: "What you sent is larger than this site accepts, so nothing was saved."}
	case code == http.StatusServiceUnavailable:
		return &Error{Status: code, Heading: "Busy for a moment", Message: "The course could not finish this request in time. Nothing was lost: wait a few seconds and try again."}
	case code >= 400 && code < 500:
		return &Error{Status: code, Heading: http.StatusText(code), Message: "That request could not be used."}
	}
	return &Error{Status: http.StatusInternalServerError, Heading: "Something went wrong", Message: "The course hit an unexpected problem and has logged it. Please try again; if it keeps happening, tell your instructor the request id below."}
}
