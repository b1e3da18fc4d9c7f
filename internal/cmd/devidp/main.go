// Command devidp runs the development OpenID Connect provider on a loopback
// address, with the demo accounts and the twelve-dev client.
//
//	devidp [-addr 127.0.0.1:5556]
//
// The address may also come from DEVIDP_ADDR; the flag wins. Port 0 binds
// any free port; the first log line, "devidp listening", names the bound
// address. The issuer is http://<addr>/oidc. It stops cleanly on SIGINT or
// SIGTERM.
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

	"github.com/twelve-course/twelve/internal/devidp"
)

const defaultAddr = "127.0.0.1:5556"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run serves the provider until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("devidp", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addrDefault := defaultAddr
	if v := getenv("DEVIDP_ADDR"); v != "" {
		addrDefault = v
	}
	addr := fs.String("addr", addrDefault, "loopback `host:port` to listen on (env DEVIDP_ADDR)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("devidp: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("devidp: unexpected arguments %q", fs.Args())
	}

	logger := slog.New(slog.NewJSONHandler(stdout, nil))
	srv, ln, err := devidp.Listen(*addr, devidp.Options{})
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           devlog.Requests(logger, srv.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	logger.Info("devidp listening", "addr", ln.Addr().String(), "issuer", srv.Issuer(), "client_id", srv.ClientID())

	select {
	case err := <-served:
		return fmt.Errorf("devidp: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("devidp: shutdown: %w", err)
	}
	logger.Info("devidp stopped")
	return nil
}
