// Package storetest gives each test its own PostgreSQL database, cloned from
// a migrated template, on the server named by TEST_DATABASE_URL (which
// `make test` points at the project-local cluster of scripts/pg.sh).
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/twelve-course/twelve/migrations"
	"github.com/twelve-course/twelve/store"
)

// riverSchema names the River release whose migrations store.Migrate
// applies after Twelve's: a new one makes a new template.
const riverSchema = "river v0.51.2"

var template struct {
	once sync.Once
	name string
	err  error
}

// AdminURL returns TEST_DATABASE_URL, failing the test when it is unset.
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		t.Fatal("TEST_DATABASE_URL is not set: run the tests with `make test`, which starts the project-local PostgreSQL cluster, or point it at a server where you may create databases")
	}
	return u
}

// NewURL creates a fresh, migrated database for this test, dropped when the
// test ends, and returns its URL.
func NewURL(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	template.once.Do(func() { template.name, template.err = ensureTemplate(context.Background(), admin) })
	if template.err != nil {
		t.Fatalf("storetest: template database: %v", template.err)
	}
	return createDB(t, admin, "TEMPLATE "+template.name)
}

// NewEmptyURL creates a fresh database with no schema at all, for tests of
// the migrations themselves.
func NewEmptyURL(t testing.TB) string {
	t.Helper()
	return createDB(t, AdminURL(t), "")
}

func createDB(t testing.TB, admin, options string) string {
	t.Helper()
	ctx := context.Background()
	name := "twelve_test_" + randomHex(6)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("storetest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s %s", name, options)); err != nil {
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return withDatabase(admin, name)
}

// NewPool creates a fresh, migrated database and returns a pool on it,
// closed when the test ends.
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := store.Open(context.Background(), NewURL(t), 10)
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// ensureTemplate makes a migrated template database named after the
// migrations' content, once per server: later runs and packages reuse it.
func ensureTemplate(ctx context.Context, admin string) (string, error) {
	name := "twelve_tmpl_" + migrationsHash()[:12]
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	// Packages run in parallel processes: one builds the template, the others wait.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(4212)"); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(4212)") //nolint:errcheck
	var ready bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&ready)
	if err != nil || ready {
		return name, err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s", name)); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s", name)); err != nil {
		return "", err
	}
	pool, err := store.Open(ctx, withDatabase(admin, name), 2)
	if err != nil {
		return "", err
	}
	_, err = store.Migrate(ctx, pool, slog.New(slog.DiscardHandler))
	pool.Close()
	if err != nil {
		return "", err
	}
	_, err = conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s WITH is_template true ALLOW_CONNECTIONS false", name))
	return name, err
}

func migrationsHash() string {
	h := sha256.New()
	h.Write([]byte(riverSchema))
	_ = fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))
}

func withDatabase(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
