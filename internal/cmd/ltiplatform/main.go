// Command ltiplatform runs the LTI 1.3 test platform (an LMS with one
// course, "Twelve-Factor 101", and demo users) on a loopback address, for
// make dev and for tests that run Twelve as a separate process.
//
//	ltiplatform [-addr 127.0.0.1:5557] [-tool http://localhost:8080] [-client-id twelve-lti-dev] [-deployment dep-1] [-page-size 50]
//
// The address may also come from LTIPLATFORM_ADDR and the tool URL from
// LTIPLATFORM_TOOL_URL; flags win. Port 0 binds any free port; the first
// log line, "ltiplatform listening", names the bound address and the
// endpoints to register with Twelve. It stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/twelve-course/twelve/internal/devlog"

	"github.com/twelve-course/twelve/internal/ltiplatform"
)

const (
	defaultAddr    = "127.0.0.1:5557"
	defaultToolURL = "http://localhost:8080"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run serves the platform until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ltiplatform", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", or(getenv("LTIPLATFORM_ADDR"), defaultAddr), "loopback `host:port` to listen on (env LTIPLATFORM_ADDR)")
	tool := fs.String("tool", or(getenv("LTIPLATFORM_TOOL_URL"), defaultToolURL), "the tool's (Twelve's) `origin` (env LTIPLATFORM_TOOL_URL)")
	clientID := fs.String("client-id", ltiplatform.DefaultClientID, "the preconfigured tool's client_id")
	deployment := fs.String("deployment", ltiplatform.DefaultDeploymentID, "the deployment id")
	pageSize := fs.Int("page-size", ltiplatform.DefaultPageSize, "page size of /memberships and /lineitems")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("ltiplatform: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("ltiplatform: unexpected arguments %q", fs.Args())
	}

	logger := slog.New(slog.NewJSONHandler(stdout, nil))
	p, ln, err := ltiplatform.Listen(*addr, ltiplatform.Options{
		ToolURL: *tool, ClientID: *clientID, DeploymentID: *deployment, PageSize: *pageSize, Logger: logger,
	})
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           devlog.Requests(logger, p.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	logger.Info("ltiplatform listening", "addr", ln.Addr().String(), "issuer", p.Issuer(),
		"client_id", p.ClientID(), "deployment_id", p.DeploymentID(),
		"auth_url", p.AuthURL(), "token_url", p.TokenURL(), "jwks_url", p.JWKSURL(), "tool", *tool)

	select {
	case err := <-served:
		return fmt.Errorf("ltiplatform: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("ltiplatform: shutdown: %w", err)
	}
	logger.Info("ltiplatform stopped")
	return nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
