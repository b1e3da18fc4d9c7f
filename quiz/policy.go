package quiz

import "time"

// GradeAcross combines the fractions (0..1) of a student's attempts, in the
// order they were made, by the quiz's grading method.
func (s Settings) GradeAcross(fractions []float64) float64 {
	if len(fractions) == 0 {
		return 0
	}
	switch s.Grading {
	case Latest:
		return fractions[len(fractions)-1]
	case First:
		return fractions[0]
	case Average:
		var sum float64
		for _, f := range fractions {
			sum += f
		}
		return sum / float64(len(fractions))
	default: // Highest
		best := fractions[0]
		for _, f := range fractions[1:] {
			best = max(best, f)
		}
		return best
	}
}

// Passed reports whether a fraction reaches the pass mark.
func (s Settings) Passed(fraction float64) bool { return fraction >= s.PassMark-1e-9 }

// AttemptsLeft is how many more attempts a student with used attempts may
// make, or -1 when unlimited.
func (s Settings) AttemptsLeft(used int) int {
	if s.AttemptLimit <= 0 {
		return -1
	}
	return max(0, s.AttemptLimit-used)
}

// StartCounts reports whether starting an attempt counts: a quiz with an
// attempt limit or a time limit records each start, once, and starting it
// again gives the same attempt back (same paper, same deadline) until that
// attempt is submitted or expires, so a restart can neither preview the
// bank nor reset the clock. An attempt that expires unsubmitted has used
// its number: it counts against the attempt limit, but it has no grade.
// Starting a quiz with neither limit writes nothing.
func (s Settings) StartCounts() bool { return s.AttemptLimit > 0 || s.TimeLimit > 0 }

// Open reports whether the attempt t, if not submitted yet, can still be
// submitted at now: not past its deadline plus grace, and its token not
// past TokenLifetime.
func (s Settings) Open(t Token, now time.Time) bool {
	return !s.Late(t.Deadline, now) && now.Sub(t.Started) <= TokenLifetime
}

// Late reports whether a submission at now is past the deadline plus grace.
func (s Settings) Late(deadline, now time.Time) bool {
	return !deadline.IsZero() && now.After(deadline.Add(s.Grace))
}

// Visibility is what a review page shows.
type Visibility struct {
	Score        bool
	Correctness  bool
	Feedback     bool
	Explanations bool
	RightAnswers bool
	// ChosenFeedback shows the feedback of the options the student chose,
	// even while Feedback (every option's) waits with the right answers.
	ChosenFeedback bool
}

// Visibility decides what the owner of an attempt sees in review, given
// whether they have passed the quiz (by its grading method) and how many
// attempts they have made. Instructors see everything.
func (s Settings) Visibility(passed bool, used int, instructor bool) Visibility {
	if instructor {
		return Visibility{true, true, true, true, true, true}
	}
	r := s.Review
	v := Visibility{Score: r.Score, Correctness: r.Correctness, Feedback: r.Feedback, Explanations: r.Explanations}
	limitUsed := s.AttemptLimit > 0 && used >= s.AttemptLimit
	switch r.RightAnswers {
	case ShowAlways:
		v.RightAnswers = true
	case ShowAfterPassOrEnd:
		v.RightAnswers = passed || limitUsed
	case ShowAfterEnd:
		v.RightAnswers = limitUsed
	}
	// Feedback on each option and explanations reveal the right answers, so
	// they wait with them.
	if !v.RightAnswers {
		v.Feedback, v.Explanations = false, false
	}
	// The feedback of an option the student chose explains their own
	// mistake without naming the right answer, so by default it shows after
	// every attempt. It says whether the choice was right, so it needs
	// correctness to be shown too.
	v.ChosenFeedback = v.Feedback || (r.Feedback && r.Correctness && r.ChosenFeedback != ChosenWithRightAnswers)
	return v
}
