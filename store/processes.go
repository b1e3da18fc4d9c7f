package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Process is one running process of the formation.
type Process struct {
	ID        string    `db:"id"`
	Kind      string    `db:"kind"`
	Host      string    `db:"host"`
	PID       int       `db:"pid"`
	StartedAt time.Time `db:"started_at"`
	LastSeen  time.Time `db:"last_seen"`
}

const beatSQL = `
INSERT INTO processes (id, kind, host, pid, started_at, last_seen)
VALUES ($1, $2, $3, $4, $5, now())
ON CONFLICT (id) DO UPDATE SET last_seen = now()`

// Beat records that p is alive now.
func (s *Store) Beat(ctx context.Context, p Process) error {
	if _, err := s.pool.Exec(ctx, beatSQL, p.ID, p.Kind, p.Host, p.PID, p.StartedAt); err != nil {
		return opError("heartbeat", err)
	}
	return nil
}

// Forget removes p from the formation, on a clean stop.
func (s *Store) Forget(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM processes WHERE id = $1", id); err != nil {
		return opError("forget process", err)
	}
	return nil
}

const formationSQL = `
SELECT id, kind, host, pid, started_at, last_seen
FROM processes
WHERE last_seen > now() - make_interval(secs => $1)
ORDER BY kind, started_at`

// Formation lists the processes seen within the last window, and deletes
// those silent for ten windows (processes killed without a clean stop).
func (s *Store) Formation(ctx context.Context, window time.Duration) ([]Process, error) {
	if _, err := s.pool.Exec(ctx, "DELETE FROM processes WHERE last_seen < now() - make_interval(secs => $1)", 10*window.Seconds()); err != nil {
		return nil, opError("prune formation", err)
	}
	rows, err := s.pool.Query(ctx, formationSQL, window.Seconds())
	if err != nil {
		return nil, opError("formation", err)
	}
	ps, err := pgx.CollectRows(rows, pgx.RowToStructByName[Process])
	if err != nil {
		return nil, opError("formation", err)
	}
	return ps, nil
}
