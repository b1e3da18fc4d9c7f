package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// ClassProgress is one student's progress in a class, from its gradebook:
// lessons attempted and passed in the class, and the class total.
type ClassProgress struct {
	UserID    int64   `db:"user_id"`
	Attempted int     `db:"attempted"`
	Passes    int     `db:"passes"`
	Total     float64 `db:"total"`
}

const classProgressSQL = `
SELECT user_id, attempted, passes, total FROM class_gradebook WHERE class_id = $1`

// ClassProgress returns the progress of every student of class classID,
// by user, in one query: the roster on a class's overview page.
func (s *Store) ClassProgress(ctx context.Context, classID int64) (map[int64]ClassProgress, error) {
	rows, _ := s.pool.Query(ctx, classProgressSQL, classID)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[ClassProgress])
	if err != nil {
		return nil, opError("class progress", err)
	}
	out := make(map[int64]ClassProgress, len(list))
	for _, p := range list {
		out[p.UserID] = p
	}
	return out, nil
}
