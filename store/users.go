package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is one person who has signed in, keyed by their identity provider.
type User struct {
	ID          int64     `db:"id"`
	Issuer      string    `db:"issuer"`
	Subject     string    `db:"subject"`
	Email       string    `db:"email"`
	Name        string    `db:"name"`
	CreatedAt   time.Time `db:"created_at"`
	LastLoginAt time.Time `db:"last_login_at"`
}

const upsertUserSQL = `
INSERT INTO users (issuer, subject, email, name)
VALUES ($1, $2, $3, $4)
ON CONFLICT (issuer, subject) DO UPDATE
SET email = EXCLUDED.email, name = EXCLUDED.name, last_login_at = now()
RETURNING id, issuer, subject, email, name, created_at, last_login_at`

// UpsertUser records a sign-in by (issuer, subject): it creates the user on
// first sign-in and refreshes the email and name the provider now reports.
func (s *Store) UpsertUser(ctx context.Context, issuer, subject, email, name string) (User, error) {
	rows, _ := s.pool.Query(ctx, upsertUserSQL, issuer, subject, email, name)
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[User])
	if err != nil {
		return User{}, opError("upsert user", err)
	}
	return u, nil
}

const hasInstructorGrantSQL = `SELECT EXISTS (SELECT 1 FROM instructor_grants WHERE email = $1)`

// HasInstructorGrant reports whether email was granted the instructor role
// with `twelve admin grant-instructor`. Emails compare case-insensitively.
func (s *Store) HasInstructorGrant(ctx context.Context, email string) (bool, error) {
	email = normalEmail(email)
	if email == "" {
		return false, nil
	}
	var ok bool
	if err := s.pool.QueryRow(ctx, hasInstructorGrantSQL, email).Scan(&ok); err != nil {
		return false, opError("instructor grant", err)
	}
	return ok, nil
}

const grantInstructorSQL = `INSERT INTO instructor_grants (email) VALUES ($1) ON CONFLICT (email) DO NOTHING`

// GrantInstructor grants the instructor role to email, which need not have
// signed in yet, and takes them out of the gradebook at once. added is
// false when the grant already existed.
func (s *Store) GrantInstructor(ctx context.Context, email string) (added bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, grantInstructorSQL, normalEmail(email))
		if err != nil {
			return err
		}
		added = tag.RowsAffected() == 1
		_, err = tx.Exec(ctx, `UPDATE users SET instructor = true WHERE lower(email) = $1`, normalEmail(email))
		return err
	})
	if err != nil {
		return false, opError("grant instructor", err)
	}
	return added, nil
}

// SetInstructor records a user's role as just worked out, so the
// gradebook lists students only.
func (s *Store) SetInstructor(ctx context.Context, userID int64, instructor bool) error {
	_, err := s.pool.Exec(ctx, `UPDATE users SET instructor = $2 WHERE id = $1 AND instructor <> $2`, userID, instructor)
	if err != nil {
		return opError("set instructor", err)
	}
	return nil
}

const revokeInstructorSQL = `DELETE FROM instructor_grants WHERE email = $1`

// RevokeInstructor removes email's instructor grant. removed is false when
// there was none.
func (s *Store) RevokeInstructor(ctx context.Context, email string) (removed bool, err error) {
	tag, err := s.pool.Exec(ctx, revokeInstructorSQL, normalEmail(email))
	if err != nil {
		return false, opError("revoke instructor", err)
	}
	return tag.RowsAffected() == 1, nil
}

// normalEmail is how grants store emails (the table checks it is lowercase).
func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
