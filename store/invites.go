package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A roster is a list of people by email (an upload, staff added by
// email). Someone who has signed in with that email becomes a member at
// once; anyone else is invited, and becomes a member at their next sign-in
// whose email the identity provider vouches for (RecordSignIn).

const (
	// rosterMembersSQL adds the roster rows whose email a user has (any of
	// them: one person may have signed in with two providers). A member
	// keeps their role, as a joiner does.
	rosterMembersSQL = `
INSERT INTO class_members (class_id, user_id, role, via)
SELECT $1, u.id, r.role, 'roster'
FROM unnest($2::text[], $3::text[]) AS r(email, role)
JOIN users u ON lower(u.email) = r.email
ON CONFLICT (class_id, user_id) DO NOTHING`
	// rosterInvitesSQL invites the others; an invite already there takes
	// the new role and name.
	rosterInvitesSQL = `
INSERT INTO class_invites (class_id, email, role, name)
SELECT $1, r.email, r.role, r.name
FROM unnest($2::text[], $3::text[], $4::text[]) AS r(email, role, name)
WHERE NOT EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = r.email)
ON CONFLICT (class_id, email) DO UPDATE SET role = EXCLUDED.role, name = EXCLUDED.name
WHERE (class_invites.role, class_invites.name) IS DISTINCT FROM (EXCLUDED.role, EXCLUDED.name)`
)

// AddRoster adds rows (their ClassID is ignored) to classID, in one
// transaction: the email of a user who has signed in makes that user a
// member at once with the row's role (via roster; a member already there
// keeps their role), any other email is invited. Emails compare ignoring
// case and surrounding space; a repeated email counts once (its first
// row). members is how many became members, invites how many invites were
// made or changed. ErrInvalid for a role or an email the schema refuses
// (nothing is added then), ErrNotFound when there is no such class.
func (s *Store) AddRoster(ctx context.Context, classID int64, rows []Invite) (members, invites int, err error) {
	var emails, roles, names []string
	seen := map[string]bool{}
	for _, r := range rows {
		email := normalEmail(r.Email)
		if !validRole(r.Role) {
			return 0, 0, fmt.Errorf("%w: role %q for %s", ErrInvalid, r.Role, email)
		}
		if at := strings.IndexByte(email, '@'); at < 1 || at == len(email)-1 {
			return 0, 0, fmt.Errorf("%w: email %q", ErrInvalid, r.Email)
		}
		if seen[email] {
			continue
		}
		seen[email] = true
		emails, roles, names = append(emails, email), append(roles, r.Role), append(names, r.Name)
	}
	if len(emails) == 0 {
		return 0, 0, nil
	}
	err = s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		b := &pgx.Batch{}
		b.Queue(rosterMembersSQL, classID, emails, roles).Exec(func(tag pgconn.CommandTag) error {
			members = int(tag.RowsAffected())
			return nil
		})
		b.Queue(rosterInvitesSQL, classID, emails, roles, names).Exec(func(tag pgconn.CommandTag) error {
			invites = int(tag.RowsAffected())
			return nil
		})
		err := tx.SendBatch(ctx, b).Close()
		return classID, err == nil && members+invites > 0, err
	})
	if err != nil {
		return 0, 0, classWriteError("add roster", err)
	}
	return members, invites, nil
}

// ClassInvites returns the class's invites, by email.
func (s *Store) ClassInvites(ctx context.Context, classID int64) ([]Invite, error) {
	rows, _ := s.pool.Query(ctx, `SELECT class_id, email, role, name FROM class_invites WHERE class_id = $1 ORDER BY email`, classID)
	is, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Invite])
	if err != nil {
		return nil, opError("class invites", err)
	}
	return is, nil
}

// WithdrawInvite deletes the class's invite of email, so that person does
// not join at their next sign-in. ErrNotFound when there is none.
func (s *Store) WithdrawInvite(ctx context.Context, classID int64, email string) error {
	err := s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		tag, err := tx.Exec(ctx, `DELETE FROM class_invites WHERE class_id = $1 AND email = $2`, classID, normalEmail(email))
		if err == nil && tag.RowsAffected() == 0 {
			err = ErrNotFound
		}
		return classID, err == nil, err
	})
	if errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return classWriteError("withdraw invite", err)
	}
	return nil
}

// acceptInvitesSQL, in RecordSignIn's transaction, turns the invites of
// the verified email $2 into memberships of user $1 (via roster for students, staff for TAs and
// instructors; someone already a member keeps their role), deletes them,
// and announces each class changed.
const acceptInvitesSQL = `
WITH invited AS (
	DELETE FROM class_invites WHERE email = $2 RETURNING class_id, role
), joined AS (
	INSERT INTO class_members (class_id, user_id, role, via)
	SELECT class_id, $1, role, CASE WHEN role = 'student' THEN 'roster' ELSE 'staff' END FROM invited
	ON CONFLICT (class_id, user_id) DO NOTHING
)
SELECT pg_notify('` + ClassChannel + `', class_id::text) FROM invited`
