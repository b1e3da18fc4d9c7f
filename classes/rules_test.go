package classes

import (
	"errors"
	"testing"
	"time"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

func ptr[T any](v T) *T { return &v }

var (
	t0  = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	due = t0.Add(7 * 24 * time.Hour)
)

func TestResolveLayers(t *testing.T) {
	def := quiz.DefaultSettings()
	def.TimeLimit = 20 * time.Minute
	def.AttemptLimit = 2

	// The quiz's defaults alone.
	r := Resolve(7, def, nil, nil, nil)
	if r.Settings != def || !r.DueAt.IsZero() || r.Extended {
		t.Errorf("no class setting: got %+v", r)
	}

	// The class overrides what it sets, and only that.
	set := &store.QuizSettings{
		DueAt: ptr(due), ClosesAt: ptr(due.Add(48 * time.Hour)),
		AttemptLimit: ptr(3), PassMark: ptr(0.5), Grading: ptr(quiz.Latest),
		Late: quiz.LatePolicy{Mode: quiz.LatePenalty, PerDay: 0.1, Floor: 0.5},
	}
	r = Resolve(7, def, set, nil, nil)
	if r.Settings.AttemptLimit != 3 || r.Settings.PassMark != 0.5 || r.Settings.Grading != quiz.Latest {
		t.Errorf("class setting: got %+v", r.Settings)
	}
	if r.Settings.TimeLimit != 20*time.Minute || r.Settings.Draw != def.Draw {
		t.Errorf("class setting changed what it does not set: %+v", r.Settings)
	}
	if !r.DueAt.Equal(due) || r.Late.Mode != quiz.LatePenalty || r.Extended {
		t.Errorf("class dates: got %+v", r)
	}

	// The student's accommodation: 1.5 × time, one more attempt, own due
	// date past the class's close date (which moves with it).
	own := due.Add(72 * time.Hour)
	whole := &store.Accommodation{TimeFactor: 1.5, ExtraAttempts: 1}
	one := &store.Accommodation{ExtraMinutes: 5, DueAt: ptr(own)}
	r = Resolve(7, def, set, whole, one)
	if r.Settings.TimeLimit != 35*time.Minute {
		t.Errorf("time limit = %v, want 20m × 1.5 + 5m = 35m", r.Settings.TimeLimit)
	}
	if r.Settings.AttemptLimit != 4 {
		t.Errorf("attempt limit = %d, want 3 + 1", r.Settings.AttemptLimit)
	}
	if !r.DueAt.Equal(own) || !r.ClosesAt.Equal(own) || !r.Extended {
		t.Errorf("own due date: got due %v close %v extended %v", r.DueAt, r.ClosesAt, r.Extended)
	}

	// Extra time and attempts change nothing on a quiz without limits.
	r = Resolve(7, quiz.DefaultSettings(), nil, whole, nil)
	if r.Settings.TimeLimit != 0 || r.Settings.AttemptLimit != 0 || r.Extended {
		t.Errorf("accommodation without limits: got %+v", r)
	}
}

func TestTokenCarriesTheRules(t *testing.T) {
	def := quiz.DefaultSettings()
	def.TimeLimit = 30 * time.Minute
	close := t0.Add(20 * time.Minute)
	set := &store.QuizSettings{DueAt: ptr(t0.Add(10 * time.Minute)), ClosesAt: ptr(close), AttemptLimit: ptr(2)}
	r := Resolve(9, def, set, &store.Accommodation{TimeFactor: 1.5}, nil)
	tok := r.Token(quiz.Token{AttemptID: "a", Started: t0, Deadline: t0.Add(30 * time.Minute)})
	if tok.Class != 9 || tok.Limit != 2 || !tok.Due.Equal(t0.Add(10*time.Minute)) || !tok.Close.Equal(close) {
		t.Errorf("token = %+v", tok)
	}
	if !tok.Deadline.Equal(close) {
		t.Errorf("deadline = %v, want the close date %v (45 minutes would run past it)", tok.Deadline, close)
	}
	r = Resolve(9, def, &store.QuizSettings{}, &store.Accommodation{TimeFactor: 1.5}, nil)
	if got := r.Token(quiz.Token{Started: t0}).Deadline; !got.Equal(t0.Add(45 * time.Minute)) {
		t.Errorf("deadline = %v, want 45 minutes after the start", got)
	}
	open := quiz.Token{AttemptID: "a", Started: t0, Deadline: t0.Add(time.Minute)}
	if got := Resolve(0, def, nil, nil, nil).Token(open); got != open {
		t.Errorf("open-course token changed: %+v", got)
	}
}

func TestCanStart(t *testing.T) {
	r := Rules{OpensAt: t0, DueAt: t0.Add(time.Hour), ClosesAt: t0.Add(2 * time.Hour)}
	for _, tc := range []struct {
		at   time.Time
		late quiz.LatePolicy
		want error
	}{
		{t0.Add(-time.Second), quiz.LatePolicy{}, ErrNotOpen},
		{t0, quiz.LatePolicy{}, nil},
		{t0.Add(90 * time.Minute), quiz.LatePolicy{}, nil},
		{t0.Add(90 * time.Minute), quiz.LatePolicy{Mode: quiz.LateRefuse}, ErrClosed},
		{t0.Add(2 * time.Hour), quiz.LatePolicy{}, ErrClosed},
	} {
		r.Late = tc.late
		err := r.CanStart(tc.at)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("CanStart(%v, %q) = %v, want %v", tc.at.Sub(t0), tc.late.Mode, err, tc.want)
		}
	}
}

func TestCanSubmitByTheToken(t *testing.T) {
	grace := 2 * time.Minute
	tok := quiz.Token{Due: t0, Close: t0.Add(time.Hour)}
	for _, tc := range []struct {
		at   time.Duration
		mode string
		want error
	}{
		{-time.Minute, "", nil},
		{30 * time.Minute, quiz.LateAccept, nil},
		{61 * time.Minute, quiz.LateAccept, nil}, // within grace of the close
		{63 * time.Minute, quiz.LateAccept, ErrClosed},
		{time.Minute, quiz.LateRefuse, nil}, // within grace of the due date
		{3 * time.Minute, quiz.LateRefuse, ErrClosed},
	} {
		tok.Late.Mode = tc.mode
		err := CanSubmit(tok, grace, t0.Add(tc.at))
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("CanSubmit(+%v, %q) = %v, want %v", tc.at, tc.mode, err, tc.want)
		}
	}
}

func TestLateness(t *testing.T) {
	p := quiz.LatePolicy{Mode: quiz.LatePenalty, PerDay: 0.1, Floor: 0.5}
	for _, tc := range []struct {
		after   time.Duration
		late    bool
		penalty float64
	}{
		{-time.Hour, false, 0},
		{0, false, 0},
		{time.Minute, true, 0.1},
		{24 * time.Hour, true, 0.1},
		{24*time.Hour + time.Second, true, 0.2},
		{3 * 24 * time.Hour, true, 0.3},
		{30 * 24 * time.Hour, true, 0.5}, // the floor
	} {
		late, penalty := Lateness(quiz.Token{Due: t0, Late: p}, t0.Add(tc.after))
		if late != tc.late || penalty != tc.penalty {
			t.Errorf("+%v: late %v penalty %v, want %v %v", tc.after, late, penalty, tc.late, tc.penalty)
		}
	}
	if late, penalty := Lateness(quiz.Token{Due: t0}, t0.Add(time.Hour)); !late || penalty != 0 {
		t.Errorf("accept policy: late %v penalty %v, want late without penalty", late, penalty)
	}
	if late, _ := Lateness(quiz.Token{}, t0); late {
		t.Error("no due date: late")
	}
}
