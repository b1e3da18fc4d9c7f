// Package devlog is the request log of the development servers (the
// OpenID provider and the test LMS): one line per request on their
// logger, without query strings, which carry states, nonces, codes and
// hints.
package devlog

import (
	"log/slog"
	"net/http"
	"time"
)

// Requests logs one line per request next serves: method, path, status
// and duration.
func Requests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		logger.Info("request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", sw.status,
			"duration_ms", time.Since(start).Milliseconds(),
		)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}
