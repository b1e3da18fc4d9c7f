package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

func TestLastMigration(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewPool(t)
	st := store.New(pool)
	_, latest, err := store.SchemaVersion(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.LastMigration(ctx)
	if err != nil {
		t.Fatalf("LastMigration = %v", err)
	}
	if m.Version != latest {
		t.Errorf("last migration version = %d, want the latest, %d", m.Version, latest)
	}
	if m.AppliedAt.IsZero() || m.AppliedAt.After(time.Now().Add(time.Minute)) {
		t.Errorf("applied at %v, want a time in the past", m.AppliedAt)
	}

	// A migration applied now reads back as now, also in a database whose
	// sessions are not on UTC (goose's tstamp has no time zone).
	if _, err := pool.Exec(ctx, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'Pacific/Auckland'); END $$"); err != nil {
		t.Fatal(err)
	}
	pool.Reset() // new connections pick up the database's time zone
	if _, err := pool.Exec(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)"); err != nil {
		t.Fatal(err)
	}
	var tz string
	if err := pool.QueryRow(ctx, "SHOW timezone").Scan(&tz); err != nil || tz != "Pacific/Auckland" {
		t.Fatalf("session time zone = %q, %v; want Pacific/Auckland", tz, err)
	}
	m, err = st.LastMigration(ctx)
	if err != nil || m.Version != 999 {
		t.Fatalf("LastMigration = %+v, %v; want version 999", m, err)
	}
	if d := time.Since(m.AppliedAt); d < -5*time.Second || d > 5*time.Second {
		t.Errorf("version 999 applied at %v, %v from now; want now", m.AppliedAt, d)
	}

	if _, err := pool.Exec(ctx, "DELETE FROM goose_db_version WHERE version_id > 0"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LastMigration(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LastMigration with none applied = %v, want ErrNotFound", err)
	}
}

func TestLatestVersionMatchesGoose(t *testing.T) {
	_, want, err := store.SchemaVersion(context.Background(), storetest.NewPool(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := store.LatestVersion(); err != nil || got != want {
		t.Errorf("LatestVersion = %d, %v; want goose's %d", got, err, want)
	}
}
