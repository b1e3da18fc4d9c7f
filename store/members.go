package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// validRole reports whether role is a member role.
func validRole(role string) bool {
	return role == RoleStudent || role == RoleTA || role == RoleInstructor
}

const (
	classForJoinSQL = `SELECT ` + classColumns + ` FROM classes WHERE join_code = $1 FOR SHARE`
	joinClassSQL    = `
INSERT INTO class_members (class_id, user_id, role, via) VALUES ($1, $2, 'student', 'link')
ON CONFLICT (class_id, user_id) DO NOTHING`
)

// JoinClass makes userID a student of the class whose join link has code,
// and returns the class. added is false when they were a member already:
// a member keeps their role, whatever it is. It returns ErrNotFound for a
// code no class has (never set, rotated, switched off) and ErrArchived for
// an archived class.
func (s *Store) JoinClass(ctx context.Context, code string, userID int64) (c Class, added bool, err error) {
	if code == "" {
		return Class{}, false, ErrNotFound
	}
	err = s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		// FOR SHARE: a rotation or an archive waits for the join, or the
		// join for it, so a join never lands through a link already off.
		rows, _ := tx.Query(ctx, classForJoinSQL, code)
		var err error
		if c, err = pgx.CollectExactlyOneRow(rows, scanClass); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				err = ErrNotFound
			}
			return 0, false, err
		}
		if c.Archived() {
			return 0, false, ErrArchived
		}
		tag, err := tx.Exec(ctx, joinClassSQL, c.ID, userID)
		added = err == nil && tag.RowsAffected() == 1
		return c.ID, added, err
	})
	if err != nil {
		return Class{}, false, classWriteError("join class", err)
	}
	return c, added, nil
}

const addMemberSQL = `
INSERT INTO class_members (class_id, user_id, role, via) VALUES ($1, $2, $3, $4)
ON CONFLICT (class_id, user_id) DO UPDATE SET role = EXCLUDED.role
WHERE class_members.role <> EXCLUDED.role
RETURNING xmax = 0`

// AddMember makes userID a member of classID with role, recorded as
// joined via via (ViaAdmin, ViaStaff, …). A member already there keeps how
// they joined but takes the new role: this is how staff promote a student
// to TA or back (a student's gradebook row goes when they become staff and
// comes back, blank or with their class grades, when they are a student
// again). added is true only for a new member. ErrNotFound when the class
// or the user does not exist; ErrInvalid for an unknown role or via.
func (s *Store) AddMember(ctx context.Context, classID, userID int64, role, via string) (added bool, err error) {
	if !validRole(role) {
		return false, fmt.Errorf("%w: role %q", ErrInvalid, role)
	}
	err = s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		rows, _ := tx.Query(ctx, addMemberSQL, classID, userID, role, via)
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[bool])
		added = len(inserted) == 1 && inserted[0]
		return classID, len(inserted) == 1, err
	})
	if err != nil {
		return false, classWriteError("add member", err)
	}
	return added, nil
}

// RemoveMember takes userID out of classID, with their accommodations
// and class gradebook row; the attempts they made in the class and their
// class grades stay (and show again should they rejoin). ErrNotMember
// when they were not a member.
func (s *Store) RemoveMember(ctx context.Context, classID, userID int64) error {
	err := s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		tag, err := tx.Exec(ctx, `DELETE FROM class_members WHERE class_id = $1 AND user_id = $2`, classID, userID)
		if err == nil && tag.RowsAffected() == 0 {
			err = ErrNotMember
		}
		return classID, err == nil, err
	})
	if err != nil {
		return classWriteError("remove member", err)
	}
	return nil
}

const memberColumns = `m.class_id, m.user_id, m.role, m.via, m.joined_at`

func scanMember(row pgx.CollectableRow) (Member, error) {
	var m Member
	err := row.Scan(&m.ClassID, &m.UserID, &m.Role, &m.Via, &m.JoinedAt)
	return m, err
}

// internRole and internVia are b as the constant it spells, so that a
// snapshot of 100,000 members holds no copies of "student"; anything else
// is copied.
func internRole(b []byte) string { return intern(b, RoleStudent, RoleTA, RoleInstructor) }
func internVia(b []byte) string  { return intern(b, ViaLink, ViaRoster, ViaAdmin, ViaStaff, ViaLTI) }

func intern(b []byte, known ...string) string {
	for _, k := range known {
		if string(b) == k {
			return k
		}
	}
	return string(b)
}

// ClassMembers returns the members of a class, every role, with their
// names and emails, by name.
func (s *Store) ClassMembers(ctx context.Context, classID int64) ([]Member, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+memberColumns+`, u.name, u.email
FROM class_members m JOIN users u ON u.id = m.user_id
WHERE m.class_id = $1 ORDER BY lower(u.name), lower(u.email), u.id`, classID)
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Member, error) {
		var m Member
		err := row.Scan(&m.ClassID, &m.UserID, &m.Role, &m.Via, &m.JoinedAt, &m.Name, &m.Email)
		return m, err
	})
	if err != nil {
		return nil, opError("class members", err)
	}
	return ms, nil
}

// MembershipsOf returns the classes userID is a member of, oldest
// membership first (without Name and Email).
func (s *Store) MembershipsOf(ctx context.Context, userID int64) ([]Member, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+memberColumns+` FROM class_members m
WHERE m.user_id = $1 ORDER BY m.joined_at, m.class_id`, userID)
	ms, err := pgx.CollectRows(rows, scanMember)
	if err != nil {
		return nil, opError("memberships", err)
	}
	return ms, nil
}
