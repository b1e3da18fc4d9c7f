package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/quiz"
)

// ClassChannel is the PostgreSQL NOTIFY channel on which every write to a
// class is announced, in the writing transaction: the payload is the
// class id. Web processes reload that class (package classes).
const ClassChannel = "twelve_classes"

// Class errors.
var (
	// ErrSlugTaken is a class slug already used by another class.
	ErrSlugTaken = errors.New("store: class slug taken")
	// ErrNotMember is a change for someone who is not a member of the class.
	ErrNotMember = errors.New("store: not a member of the class")
	// ErrArchived is a change a class's archive refuses (joining it).
	ErrArchived = errors.New("store: class archived")
	// ErrInvalid is a class write whose values the schema refuses (a slug,
	// name, time zone, role, date order or percentage out of range): the
	// error names the rule broken.
	ErrInvalid = errors.New("store: invalid class data")
)

// Member roles.
const (
	RoleStudent    = "student"
	RoleTA         = "ta"
	RoleInstructor = "instructor"
)

// How a member joined.
const (
	ViaLink   = "link"
	ViaRoster = "roster"
	ViaAdmin  = "admin"
	ViaStaff  = "staff"
	ViaLTI    = "lti"
)

// Class is one class: a section, a cohort, a team.
type Class struct {
	ID       int64
	Slug     string
	Name     string
	TimeZone string // IANA name
	// StartsOn and EndsOn are dates (midnight UTC of the day), zero when unset.
	StartsOn, EndsOn time.Time
	// JoinCode is the code of the class's join link, "" when it is off.
	JoinCode   string
	ArchivedAt time.Time // zero: not archived
	CreatedAt  time.Time
}

// Archived reports whether the class is archived.
func (c Class) Archived() bool { return !c.ArchivedAt.IsZero() }

// Member is a user's place in a class.
type Member struct {
	ClassID  int64
	UserID   int64
	Role     string
	Via      string
	JoinedAt time.Time
	// Name and Email are the user's, for rosters.
	Name, Email string
}

// Invite is someone added to a class by email who has not signed in since.
type Invite struct {
	ClassID int64
	Email   string
	Role    string
	Name    string
}

// QuizSettings are a class's overrides of one quiz's settings; a nil field
// keeps the quiz's own.
type QuizSettings struct {
	ClassID      int64
	Quiz         string
	OpensAt      *time.Time
	DueAt        *time.Time
	ClosesAt     *time.Time
	AttemptLimit *int
	TimeLimit    *time.Duration // whole minutes
	PassMark     *float64       // fraction 0..1, whole percents
	Grading      *quiz.Method
	Review       *quiz.Review
	Late         quiz.LatePolicy
}

// Accommodation is one student's adjustments in a class, for one quiz or
// (Quiz "") for every quiz of the class.
type Accommodation struct {
	ClassID       int64
	UserID        int64
	Quiz          string
	TimeFactor    float64 // ≥ 1; 1 is none
	ExtraMinutes  int
	ExtraAttempts int
	DueAt         *time.Time
	ClosesAt      *time.Time
	Note          string
}

// ClassSnapshot is everything a web process keeps of one class in memory
// (package classes): read in one transaction, so its parts agree.
type ClassSnapshot struct {
	Class          Class
	Members        []Member // without Name and Email
	Settings       []QuizSettings
	Accommodations []Accommodation
}

// The class functions are the whole of the classes' SQL (this file,
// members.go, classsettings.go, classload.go). Every one that writes sends
// NOTIFY on ClassChannel in its transaction, so a listener hears of a
// change when it is committed, never of one rolled back.

// notifyClassSQL announces a change to class $1.
const notifyClassSQL = `SELECT pg_notify('` + ClassChannel + `', $1::bigint::text)`

const createClassSQL = `
INSERT INTO classes (slug, name, time_zone, starts_on, ends_on, join_code)
VALUES ($1, $2, $3, $4::date, $5::date, nullif($6, ''))
RETURNING ` + classColumns

// CreateClass creates c (its ID, ArchivedAt and CreatedAt are ignored) and
// returns it as stored. A TimeZone of "" is UTC. It returns ErrSlugTaken
// when another class has the slug, and ErrInvalid for values the schema
// refuses (slug, name, time zone, an end before the start, a join code's
// form).
func (s *Store) CreateClass(ctx context.Context, c Class) (Class, error) {
	if c.TimeZone == "" {
		c.TimeZone = "UTC"
	}
	if err := checkTimeZone(c.TimeZone); err != nil {
		return Class{}, err
	}
	var out Class
	err := s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		rows, _ := tx.Query(ctx, createClassSQL, c.Slug, c.Name, c.TimeZone, orNull(c.StartsOn), orNull(c.EndsOn), c.JoinCode)
		var err error
		out, err = pgx.CollectExactlyOneRow(rows, scanClass)
		return out.ID, true, err
	})
	if err != nil {
		return Class{}, classWriteError("create class", err)
	}
	return out, nil
}

const updateClassSQL = `
UPDATE classes SET name = $2, time_zone = $3, starts_on = $4::date, ends_on = $5::date
WHERE id = $1`

// UpdateClass changes the name, time zone and dates of class c.ID; its
// slug, join code and archive stay. ErrNotFound when there is no such
// class, ErrInvalid as for CreateClass.
func (s *Store) UpdateClass(ctx context.Context, c Class) error {
	if err := checkTimeZone(c.TimeZone); err != nil {
		return err
	}
	return s.classUpdate(ctx, "update class", c.ID, updateClassSQL, c.ID, c.Name, c.TimeZone, orNull(c.StartsOn), orNull(c.EndsOn))
}

// classUpdate runs an UPDATE of one class row, ErrNotFound when it
// matched none, and announces the change.
func (s *Store) classUpdate(ctx context.Context, op string, id int64, sql string, args ...any) error {
	err := s.classTx(ctx, func(tx pgx.Tx) (int64, bool, error) {
		tag, err := tx.Exec(ctx, sql, args...)
		if err == nil && tag.RowsAffected() == 0 {
			err = ErrNotFound
		}
		return id, err == nil, err
	})
	if err != nil {
		return classWriteError(op, err)
	}
	return nil
}

const setClassArchivedSQL = `
UPDATE classes SET archived_at = CASE WHEN $2 THEN coalesce(archived_at, now()) END WHERE id = $1`

// SetClassArchived archives a class (keeping the moment it was first
// archived) or brings it back. An archived class refuses joins
// (ErrArchived); its members, settings and grades stay.
func (s *Store) SetClassArchived(ctx context.Context, id int64, archived bool) error {
	return s.classUpdate(ctx, "archive class", id, setClassArchivedSQL, id, archived)
}

const setJoinCodeSQL = `UPDATE classes SET join_code = nullif($2, '') WHERE id = $1`

// SetJoinCode sets the code of the class's join link: a new one stops the
// old link at once, and "" switches the link off. The code is the
// caller's (16 to 64 characters of [A-Za-z0-9_-], ErrInvalid otherwise).
func (s *Store) SetJoinCode(ctx context.Context, id int64, code string) error {
	return s.classUpdate(ctx, "set join code", id, setJoinCodeSQL, id, code)
}

// Classes returns every class, archived ones too, by name.
func (s *Store) Classes(ctx context.Context) ([]Class, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+classColumns+` FROM classes ORDER BY lower(name), id`)
	cs, err := pgx.CollectRows(rows, scanClass)
	if err != nil {
		return nil, opError("classes", err)
	}
	return cs, nil
}

// ClassBySlug returns the class with slug, or ErrNotFound.
func (s *Store) ClassBySlug(ctx context.Context, slug string) (Class, error) {
	return s.classWhere(ctx, "class by slug", `slug = $1`, slug)
}

// ClassByJoinCode returns the class whose join link has code, archived or
// not, or ErrNotFound (no such code: never set, rotated or switched off).
func (s *Store) ClassByJoinCode(ctx context.Context, code string) (Class, error) {
	if code == "" {
		return Class{}, ErrNotFound
	}
	return s.classWhere(ctx, "class by join code", `join_code = $1`, code)
}

func (s *Store) classWhere(ctx context.Context, op, where string, arg any) (Class, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+classColumns+` FROM classes WHERE `+where, arg)
	c, err := pgx.CollectExactlyOneRow(rows, scanClass)
	if errors.Is(err, pgx.ErrNoRows) {
		return Class{}, ErrNotFound
	}
	if err != nil {
		return Class{}, opError(op, err)
	}
	return c, nil
}
