package store

import (
	"context"
	"errors"
	"time"

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

// The class functions below are the whole of the classes' SQL. Every one
// that writes sends NOTIFY on ClassChannel in its transaction.
var _ = context.Background
