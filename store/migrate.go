package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

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

// riverMigrationLockID serialises concurrent runs of River's migrations,
// as migrationLockID does Twelve's own.
const riverMigrationLockID = 4_212_121_214

// Migrate applies every pending migration under a session advisory lock,
// then River's (the job queue's tables, see LTI grade delivery), and
// returns those it applied (none when the schema is current). River's
// migrations are reported with Source "river/NAME".
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) ([]MigrationResult, error) {
	out, err := migrateGoose(ctx, pool, logger)
	if err != nil {
		return nil, err
	}
	river, err := migrateRiver(ctx, pool, logger)
	if err != nil {
		return out, err
	}
	return append(out, river...), nil
}

// migrateGoose applies Twelve's own migrations. The connections goose
// held go back to the pool when it returns.
func migrateGoose(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) ([]MigrationResult, error) {
	p, closeDB, err := provider(pool, true)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	results, err := p.Up(ctx)
	if err != nil {
		return nil, opError("migrate", err)
	}
	var out []MigrationResult
	for _, r := range results {
		out = append(out, MigrationResult{Version: r.Source.Version, Source: r.Source.Path, Duration: r.Duration.String()})
		logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
	}
	return out, nil
}

// migrateRiver applies River's pending migrations while holding a session
// advisory lock on a connection of its own, so that two release phases at
// once apply each one once: the second finds them applied.
func migrateRiver(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) ([]MigrationResult, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, opError("river migration lock", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(riverMigrationLockID)); err != nil {
		return nil, opError("river migration lock", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(riverMigrationLockID)) //nolint:errcheck
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: logger})
	if err != nil {
		return nil, opError("river migrations", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, opError("river migrate", err)
	}
	var out []MigrationResult
	for _, v := range res.Versions {
		out = append(out, MigrationResult{Version: int64(v.Version), Source: "river/" + v.Name, Duration: v.Duration.String()})
		logger.Info("migration applied", "version", v.Version, "file", "river/"+v.Name, "duration_ms", v.Duration.Milliseconds())
	}
	return out, nil
}

// checkRiver returns ErrSchemaBehind when River's migrations are pending.
func checkRiver(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return opError("river migrations", err)
	}
	res, err := m.Validate(ctx, nil)
	if err != nil {
		return opError("river schema version", err)
	}
	if !res.OK {
		return fmt.Errorf("%w (the job queue's tables: %s)", ErrSchemaBehind, strings.Join(res.Messages, "; "))
	}
	return nil
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
		return 0, 0, opError("schema version", err)
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
	return checkRiver(ctx, pool)
}

func provider(pool *pgxpool.Pool, locked bool) (*goose.Provider, func(), error) {
	db := stdlib.OpenDBFromPool(pool)
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if locked {
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 600))
		if err != nil {
			db.Close()
			return nil, nil, opError("migration lock", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, opts...)
	if err != nil {
		db.Close()
		return nil, nil, opError("migrations", err)
	}
	return p, func() { db.Close() }, nil
}

// Migration is one applied schema migration, as goose recorded it.
type Migration struct {
	Version   int64     `db:"version_id"`
	AppliedAt time.Time `db:"applied_at"`
}

// goose stores tstamp as a timestamp without time zone, written as now() in
// the migrating session's time zone; read back in the same zone it is exact.
const lastMigrationSQL = `
SELECT version_id, tstamp AT TIME ZONE current_setting('TimeZone') AS applied_at
FROM goose_db_version
WHERE is_applied AND version_id > 0
ORDER BY id DESC
LIMIT 1`

// LastMigration returns the migration applied most recently, or
// ErrNotFound when none has been.
func (s *Store) LastMigration(ctx context.Context) (Migration, error) {
	rows, err := s.pool.Query(ctx, lastMigrationSQL)
	if err != nil {
		return Migration{}, opError("last migration", err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Migration])
	if errors.Is(err, pgx.ErrNoRows) {
		return Migration{}, ErrNotFound
	}
	if err != nil {
		return Migration{}, opError("last migration", err)
	}
	return m, nil
}

// LatestVersion is the newest migration embedded in this binary: the schema
// version this release needs. It reads no database.
func LatestVersion() (int64, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return 0, opError("migrations", err)
	}
	var latest int64
	for _, name := range names {
		v, err := goose.NumericComponent(name)
		if err != nil {
			return 0, opError("migration "+name, err)
		}
		latest = max(latest, v)
	}
	return latest, nil
}
