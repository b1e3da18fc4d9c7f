package handlers

import (
	"context"
	"log/slog"
	"strings"
)

// loggedPath is a request path as logs show it: a class's join code is a
// shared secret (whoever holds it can join), so it is left out. Query
// strings, which carry the calendar feed's token, are never logged.
func loggedPath(path string) string {
	if strings.HasPrefix(path, "/join/") {
		return "/join/[code]"
	}
	return path
}

// requestIDContextKey keys the request id in a request's context.
type requestIDContextKey struct{}

// withRequestID returns ctx carrying the request id id.
func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDContextKey{}, id)
}

// requestIDFrom returns the request id ctx carries, or "".
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDContextKey{}).(string)
	return id
}

// requestIDs is a slog.Handler that adds the request id to every event
// logged with a request's context, so no log call has to name it (factor
// XI: every event of one request can be found by its id).
type requestIDs struct{ slog.Handler }

// logRequestIDs wraps h so that events logged with a request's context
// carry its request_id.
func logRequestIDs(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDs); ok {
		return h
	}
	return requestIDs{h}
}

func (h requestIDs) Handle(ctx context.Context, r slog.Record) error {
	if id := requestIDFrom(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDs{h.Handler.WithAttrs(attrs)}
}

func (h requestIDs) WithGroup(name string) slog.Handler {
	return requestIDs{h.Handler.WithGroup(name)}
}
