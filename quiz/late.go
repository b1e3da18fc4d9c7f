package quiz

import (
	"math"
	"time"
)

// LatePolicy is what a class does with a submission after its due date.
// The zero value accepts it, marked late.
type LatePolicy struct {
	// Mode is LateAccept (""), LatePenalty or LateRefuse.
	Mode string `json:"m,omitempty"`
	// PerDay is the fraction taken off per started day late (0..1), and
	// Floor the lowest fraction of its score a late attempt keeps (0..1):
	// both only for LatePenalty.
	PerDay float64 `json:"p,omitempty"`
	Floor  float64 `json:"f,omitempty"`
}

// The late policies.
const (
	LateAccept  = "accept"
	LatePenalty = "penalty"
	LateRefuse  = "refuse"
)

// DaysLate is how many days past due a submission at submitted is: every
// started day counts, so one minute late is one day. Zero when it is not
// late or there is no due date.
func DaysLate(due, submitted time.Time) int {
	if due.IsZero() || !submitted.After(due) {
		return 0
	}
	return int(math.Ceil(submitted.Sub(due).Hours() / 24))
}

// Penalty is the fraction of its grade an attempt submitted at submitted
// loses under p, for an attempt due at due (zero: no due date): the
// per-day fraction times the days late, never leaving less than Floor of
// the score. late says whether it was past due at all.
func (p LatePolicy) Penalty(due, submitted time.Time) (late bool, penalty float64) {
	days := DaysLate(due, submitted)
	if days == 0 {
		return false, 0
	}
	if p.Mode != LatePenalty {
		return true, 0
	}
	keep := math.Max(p.Floor, 1-p.PerDay*float64(days))
	keep = math.Min(1, math.Max(0, keep))
	// Rounded to whole millionths, so 1 - 0.1*3 is 0.3, not 0.30000000000000004.
	return true, math.Round((1-keep)*1e6) / 1e6
}

// Refuses reports whether p refuses a submission at submitted of an
// attempt due at due.
func (p LatePolicy) Refuses(due, submitted time.Time) bool {
	return p.Mode == LateRefuse && DaysLate(due, submitted) > 0
}
