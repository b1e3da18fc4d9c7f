package main

import (
	"io"
	"log/slog"

	"github.com/twelve-course/twelve/config"
)

// newLogger writes one event per line to stdout (factor XI).
func newLogger(cfg config.Config, stdout io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(stdout, opts))
	}
	return slog.New(slog.NewJSONHandler(stdout, opts))
}
