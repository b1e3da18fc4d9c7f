package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is one person who has signed in, keyed by their identity provider.
type User struct {
	ID      int64  `db:"id"`
	Issuer  string `db:"issuer"`
	Subject string `db:"subject"`
	Email   string `db:"email"`
	Name    string `db:"name"`
	// Instructor is the role the reports go by (see RecordSignIn).
	Instructor bool `db:"instructor"`
	// Granted is whether the email holds an instructor grant; only
	// RecordSignIn fills it in.
	Granted     bool      `db:"-"`
	CreatedAt   time.Time `db:"created_at"`
	LastLoginAt time.Time `db:"last_login_at"`
}

const userColumns = `id, issuer, subject, email, name, instructor, created_at, last_login_at`

const upsertUserSQL = `
INSERT INTO users (issuer, subject, email, name)
VALUES ($1, $2, $3, $4)
ON CONFLICT (issuer, subject) DO UPDATE
SET email = EXCLUDED.email, name = EXCLUDED.name, last_login_at = now()
RETURNING ` + userColumns

// UpsertUser records a user by (issuer, subject): it creates the user the
// first time and refreshes the email and name the provider now reports. It
// leaves the role alone: a sign-in goes through RecordSignIn.
func (s *Store) UpsertUser(ctx context.Context, issuer, subject, email, name string) (User, error) {
	rows, _ := s.pool.Query(ctx, upsertUserSQL, issuer, subject, email, name)
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[User])
	if err != nil {
		return User{}, opError("upsert user", err)
	}
	return u, nil
}

// SignIn is a verified sign-in, as the identity provider reported it.
type SignIn struct {
	Issuer, Subject, Email, Name string
	// EmailVerified is whether the provider vouches for Email (OpenID
	// Connect's email_verified; a SAML assertion's email): only then do the
	// email's class invites become memberships.
	EmailVerified bool
}

const setRoleSQL = `UPDATE users SET instructor = $2, instructor_by_setting = $3 WHERE id = $1`

// RecordSignIn is the sign-in's bookkeeping, in one transaction: it upserts
// the user by (issuer, subject), reads whether their email holds an
// instructor grant, asks role whether they are an instructor given that
// (handlers pass the role policy, auth.Policy, with the sign-in's email
// verification and groups) and records the answer; role is asked again
// with granted false for instructor_by_setting (below). The user's row is
// written first, so a grant-instructor or revoke-instructor running at the
// same moment waits for this transaction and then writes its own answer.
//
// users.instructor exists for the reports, which list students only; who
// may open an instructor page is decided on each request, from the
// settings and the grants as they are then, and that check writes nothing.
// The flag is written at three moments, each in one transaction:
//   - here, at sign-in, by the whole policy, with the groups the provider
//     reports (groups are only known at sign-in);
//   - by GrantInstructor, which sets it for the email's users;
//   - by RevokeInstructor, which sets it back to instructor_by_setting,
//     the role the settings alone (INSTRUCTOR_EMAILS, INSTRUCTOR_GROUP)
//     gave at the last sign-in, also recorded here.
//
// So a grant or revoke shows in the reports at once; a change of
// INSTRUCTOR_EMAILS or of group membership at the person's next sign-in.
//
// When the provider vouches for the email (in.EmailVerified), the email's
// class invites (AddRoster) become memberships in the same transaction.
func (s *Store) RecordSignIn(ctx context.Context, in SignIn, role func(granted bool) bool) (User, error) {
	var u User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, upsertUserSQL, in.Issuer, in.Subject, in.Email, in.Name)
		var err error
		if u, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[User]); err != nil {
			return err
		}
		granted := false
		if email := normalEmail(u.Email); email != "" {
			if err := tx.QueryRow(ctx, hasInstructorGrantSQL, email).Scan(&granted); err != nil {
				return err
			}
		}
		u.Granted = granted
		u.Instructor = role(granted)
		b := &pgx.Batch{}
		b.Queue(setRoleSQL, u.ID, u.Instructor, role(false))
		if email := normalEmail(u.Email); in.EmailVerified && email != "" {
			b.Queue(acceptInvitesSQL, u.ID, email) // in the same round trip
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return User{}, opError("record sign-in", err)
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

const (
	grantInstructorSQL = `INSERT INTO instructor_grants (email) VALUES ($1) ON CONFLICT (email) DO NOTHING`
	grantRoleSQL       = `UPDATE users SET instructor = true WHERE lower(email) = $1`
)

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
		_, err = tx.Exec(ctx, grantRoleSQL, normalEmail(email))
		return err
	})
	if err != nil {
		return false, opError("grant instructor", err)
	}
	return added, nil
}

const (
	revokeInstructorSQL = `DELETE FROM instructor_grants WHERE email = $1`
	// Back to the role the settings gave at the last sign-in.
	roleWithoutGrantSQL = `UPDATE users SET instructor = instructor_by_setting WHERE lower(email) = $1`
)

// RevokeInstructor removes email's instructor grant, and puts the email's
// users back in the reports unless the settings made them instructors at
// their last sign-in (see RecordSignIn). removed is false when there was no
// grant.
func (s *Store) RevokeInstructor(ctx context.Context, email string) (removed bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, revokeInstructorSQL, normalEmail(email))
		if err != nil {
			return err
		}
		removed = tag.RowsAffected() == 1
		if !removed {
			return nil
		}
		_, err = tx.Exec(ctx, roleWithoutGrantSQL, normalEmail(email))
		return err
	})
	if err != nil {
		return false, opError("revoke instructor", err)
	}
	return removed, nil
}

// normalEmail is how grants store emails (the table checks it is lowercase).
func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CalendarGeneration returns the generation of userID's calendar feed
// links (a link names the generation it was made for), or ErrNotFound.
func (s *Store) CalendarGeneration(ctx context.Context, userID int64) (int, error) {
	var gen int
	err := s.pool.QueryRow(ctx, `SELECT calendar_generation FROM users WHERE id = $1`, userID).Scan(&gen)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, opError("calendar generation", err)
	}
	return gen, nil
}

// RevokeCalendar stops every calendar feed link of userID made so far,
// and returns the generation new links are made for; ErrNotFound when
// there is no such user.
func (s *Store) RevokeCalendar(ctx context.Context, userID int64) (newGeneration int, err error) {
	err = s.pool.QueryRow(ctx, `UPDATE users SET calendar_generation = calendar_generation + 1 WHERE id = $1
RETURNING calendar_generation`, userID).Scan(&newGeneration)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, opError("revoke calendar", err)
	}
	return newGeneration, nil
}
