package store

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// LTILaunch is what a verified LTI launch tells the store.
type LTILaunch struct {
	PlatformID   int64
	DeploymentID string
	// Issuer and Subject key the user (the platform's issuer, the
	// launch's sub); Email and Name refresh theirs.
	Issuer, Subject, Email, Name string
	// EmailVerified is whether Twelve trusts Email as it trusts a sign-in
	// provider's verified email: only then does the email's instructor
	// grant make the user an instructor of the course (users.instructor).
	// LMS emails are not, by default.
	EmailVerified bool
	// ContextID, ContextTitle and ContextLabel are the LMS course; "" ID
	// when the launch has none (then no class is found or made).
	ContextID, ContextTitle, ContextLabel string
	// Role is the class role the LMS gives (RoleStudent, RoleTA,
	// RoleInstructor), "" for none: then the launch changes no membership.
	Role string
	// ResourceLinkID is the link launched ("" for none, e.g. deep
	// linking). Lesson and Quiz say where it lands when the launch says so
	// (custom parameters, a lesson URL): Lesson "" keeps what the link's
	// row says (the class itself for a new link).
	ResourceLinkID string
	Lesson         string
	Quiz           bool
	// LineItemURL is the launch's AGS line item: the gradebook column of
	// the link's lesson quiz.
	LineItemURL string
	// LineItemsURL, AGSScopes and MembershipsURL are the context's AGS and
	// NRPS endpoints; "" keeps those of an earlier launch.
	LineItemsURL   string
	AGSScopes      []string
	MembershipsURL string
}

// LTILink is where a resource link lands: a lesson (or its quiz when
// Quiz) of the class, or the class itself when Lesson is "".
type LTILink struct {
	ClassID int64
	Lesson  string
	Quiz    bool
}

// LTILaunchResult is what RecordLTILaunch recorded.
type LTILaunchResult struct {
	User User
	// Class is the context's class (zero when the launch had no context);
	// ClassCreated is true when this launch made it.
	Class        Class
	ClassCreated bool
	// Link is the resource link's row (zero when the launch had no link
	// or no context).
	Link LTILink
}

// classNameMax is the longest class name the schema takes, in characters.
const classNameMax = 200

// RecordLTILaunch is a launch's bookkeeping, in one transaction, so that
// a failure leaves no half-made user or class:
//   - the user, upserted by (Issuer, Subject) as RecordSignIn does (their
//     users.instructor flag is false unless their verified email holds an
//     instructor grant);
//   - with a context, its class, found by (platform, deployment, context)
//     or made (named from the title, slug "lti-" and ten characters of a
//     hash, time zone UTC), and the context's AGS and NRPS endpoints;
//   - the user's membership, via "lti", with the LMS's role (a member
//     takes the role their LMS gives them now);
//   - the resource link's row, and the line item of its lesson's quiz;
//   - a NOTIFY on ClassChannel when the class or its members changed.
//
// ErrInvalid when the schema refuses a value (a role, an empty subject).
func (s *Store) RecordLTILaunch(ctx context.Context, in LTILaunch) (LTILaunchResult, error) {
	var out LTILaunchResult
	err := s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		out = LTILaunchResult{}
		var err error
		if out.User, err = ltiUser(ctx, tx, in); err != nil {
			return 0, false, err
		}
		if in.ContextID == "" {
			return 0, false, nil
		}
		if out.Class, out.ClassCreated, err = ltiClass(ctx, tx, in); err != nil {
			return 0, false, err
		}
		joined, err := ltiMember(ctx, tx, out.Class.ID, out.User.ID, in.Role)
		if err != nil {
			return 0, false, err
		}
		if out.Link, err = ltiLink(ctx, tx, in, out.Class.ID); err != nil {
			return 0, false, err
		}
		lesson := in.Lesson
		if in.ResourceLinkID != "" {
			lesson = out.Link.Lesson
		}
		if in.LineItemURL != "" && lesson != "" {
			if _, err := tx.Exec(ctx, setLTILineItemSQL, out.Class.ID, lesson, in.LineItemURL); err != nil {
				return 0, false, err
			}
		}
		return out.Class.ID, out.ClassCreated || joined, nil
	})
	if err != nil {
		return LTILaunchResult{}, ltiWriteError("record LTI launch", err)
	}
	return out, nil
}

// ltiUser upserts the launch's user.
func ltiUser(ctx context.Context, tx pgx.Tx, in LTILaunch) (User, error) {
	if in.Issuer == "" || in.Subject == "" {
		return User{}, fmt.Errorf("%w: a launch needs an issuer and a subject", ErrInvalid)
	}
	rows, _ := tx.Query(ctx, upsertUserSQL, in.Issuer, in.Subject, in.Email, in.Name)
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[User])
	if err != nil {
		return User{}, err
	}
	if email := normalEmail(u.Email); in.EmailVerified && email != "" {
		if err := tx.QueryRow(ctx, hasInstructorGrantSQL, email).Scan(&u.Granted); err != nil {
			return User{}, err
		}
	}
	u.Instructor = u.Granted
	_, err = tx.Exec(ctx, setRoleSQL, u.ID, u.Instructor, false)
	return u, err
}

// ltiContextClassSQL returns the class of the context, and updates the
// context's endpoints when the launch changes them ("" keeps the stored
// one): only then is the row written, so that launches into one course
// do not queue for its row.
const ltiContextClassSQL = `
WITH cur AS (
	SELECT class_id, lineitems_url, ags_scopes, memberships_url,
		coalesce(nullif($4, ''), lineitems_url) AS new_lineitems,
		CASE WHEN $4 <> '' OR cardinality($5::text[]) > 0 THEN $5::text[] ELSE ags_scopes END AS new_scopes,
		coalesce(nullif($6, ''), memberships_url) AS new_memberships
	FROM lti_contexts
	WHERE platform_id = $1 AND deployment_id = $2 AND context_id = $3
), changed AS (
	UPDATE lti_contexts x
	SET lineitems_url = cur.new_lineitems, ags_scopes = cur.new_scopes, memberships_url = cur.new_memberships
	FROM cur
	WHERE x.class_id = cur.class_id
	  AND (cur.new_lineitems, cur.new_scopes, cur.new_memberships) IS DISTINCT FROM (cur.lineitems_url, cur.ags_scopes, cur.memberships_url)
)
SELECT ` + classColumns + ` FROM classes WHERE id = (SELECT class_id FROM cur)`

const (
	createLTIClassSQL = `
INSERT INTO classes (slug, name, time_zone) VALUES ($1, $2, 'UTC')
RETURNING ` + classColumns
	createLTIContextSQL = `
INSERT INTO lti_contexts (platform_id, deployment_id, context_id, class_id, lineitems_url, ags_scopes, memberships_url)
VALUES ($1, $2, $3, $4, $5, $6::text[], $7)`
)

// ltiClass finds or makes the class of the launch's context. Two first
// launches of one context at once make one class: the second waits for
// the first's transaction (an advisory lock on the context) and finds it.
func ltiClass(ctx context.Context, tx pgx.Tx, in LTILaunch) (Class, bool, error) {
	scopes := in.AGSScopes
	if scopes == nil {
		scopes = []string{}
	}
	find := func() (Class, error) {
		rows, _ := tx.Query(ctx, ltiContextClassSQL, in.PlatformID, in.DeploymentID, in.ContextID,
			in.LineItemsURL, scopes, in.MembershipsURL)
		return pgx.CollectExactlyOneRow(rows, scanClass)
	}
	c, err := find()
	if !errors.Is(err, pgx.ErrNoRows) {
		return c, false, err
	}
	slug, lock := ltiContextKey(in.PlatformID, in.DeploymentID, in.ContextID)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lock); err != nil {
		return Class{}, false, err
	}
	if c, err = find(); !errors.Is(err, pgx.ErrNoRows) {
		return c, false, err
	}
	rows, _ := tx.Query(ctx, createLTIClassSQL, slug, LTIClassName(in.ContextTitle, in.ContextLabel, in.ContextID))
	if c, err = pgx.CollectExactlyOneRow(rows, scanClass); err != nil {
		return Class{}, false, err
	}
	_, err = tx.Exec(ctx, createLTIContextSQL, in.PlatformID, in.DeploymentID, in.ContextID, c.ID,
		in.LineItemsURL, scopes, in.MembershipsURL)
	return c, true, err
}

// ltiContextKey returns the slug of the class of a context, "lti-" and
// ten lowercase base32 characters of a SHA-256 of its key, and an
// advisory lock id made from the same hash.
func ltiContextKey(platformID int64, deploymentID, contextID string) (slug string, lock int64) {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%s", platformID, deploymentID, contextID))
	code := strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:10]
	return "lti-" + code, int64(binary.BigEndian.Uint64(sum[24:]))
}

// LTIClassName is the name of the class made for an LMS course: its
// title, else "LMS course" and its label or id, cut to what a class name
// may hold.
func LTIClassName(title, label, id string) string {
	name := strings.TrimSpace(title)
	if name == "" {
		name = strings.TrimSpace(label)
		if name == "" {
			name = id
		}
		name = "LMS course " + name
	}
	if utf8.RuneCountInString(name) > classNameMax {
		name = strings.TrimSpace(string([]rune(name)[:classNameMax]))
	}
	return name
}

const ltiMemberSQL = `
INSERT INTO class_members (class_id, user_id, role, via) VALUES ($1, $2, $3, 'lti')
ON CONFLICT (class_id, user_id) DO UPDATE SET role = EXCLUDED.role
WHERE class_members.role <> EXCLUDED.role
RETURNING xmax = 0`

// ltiMember gives userID role in classID ("" changes nothing), and
// reports whether the membership changed.
func ltiMember(ctx context.Context, tx pgx.Tx, classID, userID int64, role string) (bool, error) {
	if role == "" {
		return false, nil
	}
	rows, _ := tx.Query(ctx, ltiMemberSQL, classID, userID, role)
	changed, err := pgx.CollectRows(rows, pgx.RowTo[bool])
	return len(changed) == 1, err
}

const (
	// A launch naming its lesson sets the link; one that does not keeps
	// what the row says (a new row lands on the class).
	setLTILinkSQL = `
INSERT INTO lti_links (platform_id, deployment_id, resource_link_id, class_id, lesson, quiz)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (platform_id, deployment_id, resource_link_id) DO UPDATE
SET class_id = EXCLUDED.class_id, lesson = EXCLUDED.lesson, quiz = EXCLUDED.quiz
RETURNING class_id, lesson, quiz`
	keepLTILinkSQL = `
INSERT INTO lti_links (platform_id, deployment_id, resource_link_id, class_id)
VALUES ($1, $2, $3, $4)
ON CONFLICT (platform_id, deployment_id, resource_link_id) DO UPDATE SET class_id = EXCLUDED.class_id
RETURNING class_id, lesson, quiz`
)

// ltiLink records the launch's resource link and returns its row.
func ltiLink(ctx context.Context, tx pgx.Tx, in LTILaunch, classID int64) (LTILink, error) {
	if in.ResourceLinkID == "" {
		return LTILink{}, nil
	}
	var l LTILink
	var err error
	if in.Lesson != "" {
		err = tx.QueryRow(ctx, setLTILinkSQL, in.PlatformID, in.DeploymentID, in.ResourceLinkID, classID, in.Lesson, in.Quiz).
			Scan(&l.ClassID, &l.Lesson, &l.Quiz)
	} else {
		err = tx.QueryRow(ctx, keepLTILinkSQL, in.PlatformID, in.DeploymentID, in.ResourceLinkID, classID).
			Scan(&l.ClassID, &l.Lesson, &l.Quiz)
	}
	return l, err
}

// LTIContext is the LMS course of a class: its platform and services.
type LTIContext struct {
	ClassID      int64
	Platform     LTIPlatform
	DeploymentID string
	ContextID    string
	// LineItemsURL and AGSScopes are the AGS endpoint of the last launch
	// that had one ("" and none when no launch had).
	LineItemsURL string
	AGSScopes    []string
	// MembershipsURL is the NRPS endpoint, "" when no launch had one.
	MembershipsURL string
	// RosterSyncedAt is the last SyncLTIRoster, zero when never.
	RosterSyncedAt time.Time
}

const ltiContextOfSQL = `
SELECT platform_id, deployment_id, context_id, lineitems_url, ags_scopes, memberships_url, roster_synced_at
FROM lti_contexts WHERE class_id = $1`

// LTIContextOf returns the LMS course of class classID, and false when
// the class is not an LTI class.
func (s *Store) LTIContextOf(ctx context.Context, classID int64) (LTIContext, bool, error) {
	c := LTIContext{ClassID: classID}
	var synced *time.Time
	err := s.pool.QueryRow(ctx, ltiContextOfSQL, classID).Scan(&c.Platform.ID, &c.DeploymentID, &c.ContextID,
		&c.LineItemsURL, &c.AGSScopes, &c.MembershipsURL, &synced)
	if errors.Is(err, pgx.ErrNoRows) {
		return LTIContext{}, false, nil
	}
	if err != nil {
		return LTIContext{}, false, opError("LTI context", err)
	}
	c.RosterSyncedAt = deref(synced)
	if c.Platform, err = s.LTIPlatformByID(ctx, c.Platform.ID); err != nil {
		if errors.Is(err, ErrNotFound) { // removed meanwhile: the context went with it
			return LTIContext{}, false, nil
		}
		return LTIContext{}, false, err
	}
	return c, true, nil
}

const setLTILineItemSQL = `
INSERT INTO lti_lineitems (class_id, quiz, lineitem_url) VALUES ($1, $2, $3)
ON CONFLICT (class_id, quiz) DO UPDATE SET lineitem_url = EXCLUDED.lineitem_url`

// SetLTILineItem records url as the LMS line item (gradebook column) of
// quiz in class classID. ErrNotFound when there is no such class,
// ErrInvalid for an empty url.
func (s *Store) SetLTILineItem(ctx context.Context, classID int64, quiz, url string) error {
	if _, err := s.pool.Exec(ctx, setLTILineItemSQL, classID, quiz, url); err != nil {
		return ltiWriteError("set LTI line item", err)
	}
	return nil
}

// LTILineItem returns the LMS line item URL of quiz in class classID, ""
// when none is known yet.
func (s *Store) LTILineItem(ctx context.Context, classID int64, quiz string) (string, error) {
	var url string
	err := s.pool.QueryRow(ctx, `SELECT lineitem_url FROM lti_lineitems WHERE class_id = $1 AND quiz = $2`, classID, quiz).Scan(&url)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", opError("LTI line item", err)
	}
	return url, nil
}
