package main

import (
	"context"
	"flag"
	"io"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/store"
)

// runMigrate applies pending migrations. Two at once are safe: an advisory
// lock serialises them and the second finds nothing to do.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stdout)
	pool, err := store.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	applied, err := store.Migrate(ctx, pool, logger)
	if err != nil {
		return err
	}
	current, _, err := store.SchemaVersion(ctx, pool)
	if err != nil {
		return err
	}
	logger.Info("schema up to date", "version", current, "applied", len(applied))
	return nil
}
