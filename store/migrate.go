package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/twelve-course/twelve/migrations"
)

// ErrSchemaBehind is returned by CheckSchema when migrations are pending.
var ErrSchemaBehind = errors.New("store: database schema is behind this release; run `twelve migrate`")

// migrationLockID is the advisory lock that serialises concurrent migrators,
// so two release phases running at once apply each migration once.
const migrationLockID = 4_212_121_212

// MigrationResult is what one applied migration reports.
type MigrationResult struct {
	Version  int64
	Source   string
	Duration string
}

// Migrate applies every pending migration under a session advisory lock and
// returns those it applied (none when the schema is current).
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) ([]MigrationResult, error) {
	p, closeDB, err := provider(pool, true)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	var out []MigrationResult
	for _, r := range results {
		out = append(out, MigrationResult{Version: r.Source.Version, Source: r.Source.Path, Duration: r.Duration.String()})
		logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
	}
	return out, nil
}

// SchemaVersion returns the applied and the latest known migration version.
func SchemaVersion(ctx context.Context, pool *pgxpool.Pool) (current, latest int64, err error) {
	p, closeDB, err := provider(pool, false)
	if err != nil {
		return 0, 0, err
	}
	defer closeDB()
	current, latest, err = p.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("store: schema version: %w", err)
	}
	return current, latest, nil
}

// CheckSchema returns ErrSchemaBehind when migrations are pending.
func CheckSchema(ctx context.Context, pool *pgxpool.Pool) error {
	current, latest, err := SchemaVersion(ctx, pool)
	if err != nil {
		return err
	}
	if current < latest {
		return fmt.Errorf("%w (database at %d, release needs %d)", ErrSchemaBehind, current, latest)
	}
	return nil
}

func provider(pool *pgxpool.Pool, locked bool) (*goose.Provider, func(), error) {
	db := stdlib.OpenDBFromPool(pool)
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if locked {
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 600))
		if err != nil {
			db.Close()
			return nil, nil, fmt.Errorf("store: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, opts...)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, func() { db.Close() }, nil
}
