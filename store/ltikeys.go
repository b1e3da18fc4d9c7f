package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ltiKeyLockID is the advisory lock under which a process looks for the
// tool's signing key and makes one when there is none, so that processes
// starting together make one key between them.
const ltiKeyLockID = 4_212_121_213

// LTIKey is one of the tool's own signing keys, kept when LTI_PRIVATE_KEY
// is unset: the private key sealed with SECRET_KEY (purpose "lti-key").
type LTIKey struct {
	KID       string
	Sealed    string
	CreatedAt time.Time
	RetiredAt time.Time // zero: in use
}

const ltiKeysSQL = `
SELECT kid, sealed, created_at, retired_at FROM lti_keys
ORDER BY retired_at IS NOT NULL, created_at DESC, kid`

func scanLTIKey(row pgx.CollectableRow) (LTIKey, error) {
	var k LTIKey
	var retired *time.Time
	err := row.Scan(&k.KID, &k.Sealed, &k.CreatedAt, &retired)
	k.RetiredAt = deref(retired)
	return k, err
}

// LTIKeys returns every stored key, those in use first, newest first:
// the first signs.
func (s *Store) LTIKeys(ctx context.Context) ([]LTIKey, error) {
	rows, _ := s.pool.Query(ctx, ltiKeysSQL)
	keys, err := pgx.CollectRows(rows, scanLTIKey)
	if err != nil {
		return nil, opError("LTI keys", err)
	}
	return keys, nil
}

// EnsureLTIKey returns the stored keys as LTIKeys does, after storing one
// made by newKey when none is in use. It runs under an advisory lock, so
// that however many processes call it at once, one key is made.
func (s *Store) EnsureLTIKey(ctx context.Context, newKey func() (kid, sealed string, err error)) ([]LTIKey, error) {
	var keys []LTIKey
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(ltiKeyLockID)); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, ltiKeysSQL)
		var err error
		if keys, err = pgx.CollectRows(rows, scanLTIKey); err != nil {
			return err
		}
		if len(keys) > 0 && keys[0].RetiredAt.IsZero() {
			return nil
		}
		kid, sealed, err := newKey()
		if err != nil {
			return fmt.Errorf("make key: %w", err)
		}
		rows, _ = tx.Query(ctx, `INSERT INTO lti_keys (kid, sealed) VALUES ($1, $2)
RETURNING kid, sealed, created_at, retired_at`, kid, sealed)
		k, err := pgx.CollectExactlyOneRow(rows, scanLTIKey)
		keys = append([]LTIKey{k}, keys...)
		return err
	})
	if err != nil {
		return nil, opError("ensure LTI key", err)
	}
	return keys, nil
}
