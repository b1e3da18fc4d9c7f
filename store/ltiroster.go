package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// LTIMember is one member of an LMS course, as its roster (NRPS) lists
// them.
type LTIMember struct {
	// UserID is the LMS's id for them: the sub of their launches.
	UserID      string
	Name, Email string
	// Role is their class role (RoleStudent, RoleTA, RoleInstructor); ""
	// leaves them out.
	Role string
}

const (
	ltiRosterContextSQL = `
SELECT p.issuer FROM lti_contexts x JOIN lti_platforms p ON p.id = x.platform_id
WHERE x.class_id = $1`
	// A member who never launched becomes a user who has never signed in
	// (last_login_at is their creation); one who has keeps their row, with
	// the roster's email and name when it gives them.
	ltiRosterUsersSQL = `
INSERT INTO users (issuer, subject, email, name)
SELECT $1, s, e, n FROM unnest($2::text[], $3::text[], $4::text[]) AS r(s, e, n)
ON CONFLICT (issuer, subject) DO UPDATE
SET email = coalesce(nullif(EXCLUDED.email, ''), users.email),
    name = coalesce(nullif(EXCLUDED.name, ''), users.name)
RETURNING id, subject`
	ltiRosterMembersSQL = `
INSERT INTO class_members (class_id, user_id, role, via)
SELECT $1, u, r, 'lti' FROM unnest($2::bigint[], $3::text[]) AS m(u, r)
ON CONFLICT (class_id, user_id) DO UPDATE SET role = EXCLUDED.role
WHERE class_members.role <> EXCLUDED.role
RETURNING xmax = 0`
	ltiRosterSyncedSQL = `UPDATE lti_contexts SET roster_synced_at = now() WHERE class_id = $1`
)

// SyncLTIRoster makes the LMS course's members members of its class
// classID, in one transaction: each is the user (platformIssuer, UserID),
// made when they never launched, and joins via "lti" with the roster's
// role (a member takes that role). Members missing from the roster stay:
// a roster sync adds, it never removes. It returns how many joined, and
// ErrNotFound when the class is not an LTI class of a platform with
// platformIssuer, ErrInvalid for a member with no id or an unknown role.
// Syncing the same roster again changes nothing.
func (s *Store) SyncLTIRoster(ctx context.Context, classID int64, platformIssuer string, members []LTIMember) (added int, err error) {
	r, err := s.SyncLTIRosterCounts(ctx, classID, platformIssuer, members)
	return r.Added, err
}

// LTIRosterSync counts what a roster sync changed: members who joined,
// and members already there whose role changed.
type LTIRosterSync struct{ Added, Updated int }

// SyncLTIRosterCounts is SyncLTIRoster, counting the role changes too.
func (s *Store) SyncLTIRosterCounts(ctx context.Context, classID int64, platformIssuer string, members []LTIMember) (LTIRosterSync, error) {
	var out LTIRosterSync
	subjects, emails, names, roles, err := rosterColumns(members)
	if err != nil {
		return out, err
	}
	err = s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		var issuer string
		err := tx.QueryRow(ctx, ltiRosterContextSQL, classID).Scan(&issuer)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && issuer != platformIssuer) {
			return 0, false, ErrNotFound
		}
		if err != nil {
			return 0, false, err
		}
		rows, _ := tx.Query(ctx, ltiRosterUsersSQL, platformIssuer, subjects, emails, names)
		ids := make(map[string]int64, len(subjects))
		var id int64
		var subject string
		if _, err := pgx.ForEachRow(rows, []any{&id, &subject}, func() error { ids[subject] = id; return nil }); err != nil {
			return 0, false, err
		}
		userIDs := make([]int64, len(subjects))
		for i, s := range subjects {
			userIDs[i] = ids[s]
		}
		rows, _ = tx.Query(ctx, ltiRosterMembersSQL, classID, userIDs, roles)
		changed, err := pgx.CollectRows(rows, pgx.RowTo[bool])
		if err != nil {
			return 0, false, err
		}
		for _, inserted := range changed {
			if inserted {
				out.Added++
			} else {
				out.Updated++
			}
		}
		_, err = tx.Exec(ctx, ltiRosterSyncedSQL, classID)
		return classID, len(changed) > 0, err
	})
	if err != nil {
		return LTIRosterSync{}, ltiWriteError("sync LTI roster", err)
	}
	return out, nil
}

// rosterColumns returns the roster as columns, one entry per member with
// a role (the first entry of a member listed twice), by user id: every
// sync locks their rows in the same order, so two at once never
// deadlock. ErrInvalid for a member with no id or an unknown role.
func rosterColumns(members []LTIMember) (subjects, emails, names, roles []string, err error) {
	seen := make(map[string]bool, len(members))
	members = slices.Clone(members)
	slices.SortStableFunc(members, func(a, b LTIMember) int { return strings.Compare(a.UserID, b.UserID) })
	for _, m := range members {
		switch {
		case m.UserID == "":
			return nil, nil, nil, nil, fmt.Errorf("%w: a roster member with no user id", ErrInvalid)
		case m.Role == "" || seen[m.UserID]:
			continue
		case !validRole(m.Role):
			return nil, nil, nil, nil, fmt.Errorf("%w: role %q", ErrInvalid, m.Role)
		}
		seen[m.UserID] = true
		subjects = append(subjects, m.UserID)
		emails = append(emails, m.Email)
		names = append(names, m.Name)
		roles = append(roles, m.Role)
	}
	return subjects, emails, names, roles, nil
}
