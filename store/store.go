// Package store is Twelve's PostgreSQL layer: the connection pool, the
// schema migrations and every SQL statement the app runs.
package store

import (
	"context"
	"errors"

	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// Store runs Twelve's SQL on one pool.
type Store struct {
	pool *pgxpool.Pool
	// versions holds the quiz version hashes seen stored (see SaveAttempt).
	versions sync.Map
	// jobs queues River jobs in the store's transactions (LTI scores);
	// jobsErr is why it could not be made.
	jobs    *river.Client[pgx.Tx]
	jobsErr error
}

// New wraps an open pool.
func New(pool *pgxpool.Pool) *Store {
	s := &Store{pool: pool}
	s.jobs, s.jobsErr = newJobs(pool)
	return s
}

// Pool returns the underlying pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Open connects a pool to databaseURL with at most maxConns connections.
// The URL is dialled as given: config.Load has validated DATABASE_URL and
// made its sslmode explicit. Open does not wait for the database to
// answer: a process starts even while its database is down, and /readyz
// says so.
func Open(ctx context.Context, databaseURL string, maxConns int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, errors.New("store: DATABASE_URL could not be parsed")
	}
	cfg.MaxConns = int32(maxConns)
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	cfg.ConnConfig.RuntimeParams["application_name"] = "twelve"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, opError("open pool", err)
	}
	return pool, nil
}

// Ping checks the database answers within the context's deadline.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return opError("ping", err)
	}
	return nil
}

// ServerVersion returns the database server's version string, e.g. "15.18".
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	var v string
	if err := s.pool.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", opError("server version", err)
	}
	if i := strings.IndexByte(v, ' '); i > 0 {
		v = v[:i]
	}
	return v, nil
}

// inTx runs fn in one transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// inBatchTx is inTx for writes that cannot spare a round trip: first
// begins the transaction (Batch.BeginTx) and carries its first queries in
// the same round trip; then fn runs in the transaction, which commits when
// fn returns nil and rolls back otherwise.
func (s *Store) inBatchTx(ctx context.Context, first *pgx.Batch, fn func(pgx.Tx) error) error {
	br := s.pool.SendBatch(ctx, first)
	tx := br.Tx()
	err := br.Close()
	if err == nil {
		err = fn(tx)
	}
	if err != nil {
		_ = tx.Rollback(ctx) // a transaction that never began is closed already
		return err
	}
	return tx.Commit(ctx)
}
