package quiz_test

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/quiz"
)

// handData is five attempts of a quiz that draws two of three questions
// (A, B, C) per paper. Fractions, by position:
//
//	attempt  slot 0   slot 1    T
//	1        A 1      B 1       2
//	2        B 0      A 1       1
//	3        A 0      C 1       1
//	4        C 0      B 0       0
//	5        A 1      C 0.5     1.5
func handData() []quiz.ScoredAttempt {
	it := func(q string, f float64, choices ...string) quiz.ScoredItem {
		return quiz.ScoredItem{Question: q, Fraction: f, Choices: choices}
	}
	return []quiz.ScoredAttempt{
		{it("A", 1, "a"), it("B", 1, "true")},
		{it("B", 0, "false"), it("A", 1, "a")},
		{it("A", 0, "c"), it("C", 1, "a", "b")},
		{it("C", 0), it("B", 0, "false")},
		{it("A", 1, "a"), it("C", 0.5, "a")},
	}
}

// Hand computation (V and C divide by n−1; X = T − x):
//
// Question A is in attempts 1, 2, 3, 5: x = 1, 1, 0, 1; T = 2, 1, 1, 1.5;
// X = 1, 0, 1, 0.5. mean x = 3/4, mean X = 5/8.
//
//	F  = 100·3/4 = 75
//	V(x) = (1/16+1/16+9/16+1/16)/3 = 1/4; SD = 100·√(1/4) = 50
//	V(X) = (9/64+25/64+9/64+1/64)/3 = 11/48
//	C(x,X) = ((1/4)(3/8) + (1/4)(−5/8) + (−3/4)(3/8) + (1/4)(−1/8))/3 = −1/8
//	D  = 100·(−1/8)/√(1/4·11/48) = −100·√(12/11)/2 = −52.2233
//	sorted x = 0,1,1,1; sorted X = 0,½,1,1:
//	Cmax = ((−3/4)(−5/8) + (1/4)(−1/8) + (1/4)(3/8) + (1/4)(3/8))/3 = 5/24
//	DE = 100·(−1/8)/(5/24) = −60
//
// Question B is in attempts 1, 2, 4: x = 1, 0, 0; X = 1, 1, 0.
//
//	F = 100/3; V(x) = 1/3, SD = 57.735; V(X) = 1/3; C = 1/6
//	D = 100·(1/6)/(1/3) = 50; sorted columns pair the same way: Cmax = 1/6, DE = 100
//
// Question C is in attempts 3, 4, 5: x = 1, 0, ½; X = 0, 0, 1.
//
//	F = 50; V(x) = 1/4, SD = 50; C = ((½)(−⅓) + (−½)(−⅓) + 0·(⅔))/2 = 0: D = 0, DE = 0
//
// Test: T = 2, 1, 1, 0, 1.5; n = 5, k = 2 slots; mean 1.1 (55%).
// Deviations 0.9, −0.1, −0.1, −1.1, 0.4:
//
//	m2 = 2.2/5 = 0.44, m3 = −0.54/5 = −0.108, m4 = 2.146/5 = 0.4292
//	k2 = 5·0.44/4 = 0.55; SD = √0.55 = 0.741620 marks = 37.0810%
//	k3 = 25·(−0.108)/(4·3) = −0.225; skewness = −0.225/0.55^1.5 = −0.551618
//	k4 = 25·(6·0.4292 − 3·4·0.44²)/(4·3·2) = 0.2625; kurtosis = 0.2625/0.3025 = 0.867769
//	median of 0, 1, 1, 1.5, 2 = 1 → 50%
//	slot 0: 1, 0, 0, 0, 1 → V = 0.3; slot 1: 1, 1, 1, 0, 0.5 → V = 0.2
//	CIC = 100·(2/1)·(1 − 0.5/0.55) = 18.1818
//	ER = 100·√(1 − 0.181818) = 90.4534; SE = 0.904534·37.0810 = 33.5410%
func TestAnalyzeMatchesHandComputation(t *testing.T) {
	s := quiz.Analyze(handData())
	test := s.Test
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"attempts", float64(test.Attempts), 5},
		{"slots", float64(test.Slots), 2},
		{"mean", test.Mean, 55},
		{"median", test.Median, 50},
		{"sd", test.SD, 50 * math.Sqrt(0.55)},
		{"skewness", test.Skewness, -0.225 / math.Pow(0.55, 1.5)},
		{"kurtosis", test.Kurtosis, 105.0 / 121},
		{"cic", test.CIC, 200.0 / 11},
		{"error ratio", test.ErrorRatio, 100 * math.Sqrt(9.0/11)},
		{"standard error", test.SE, math.Sqrt(9.0/11) * 50 * math.Sqrt(0.55)},
	} {
		t.Run("test "+c.name, func(t *testing.T) { near(t, c.got, c.want) })
	}

	want := map[string][5]float64{ // attempts, F, SD, D, DE
		"A": {4, 75, 50, -50 * math.Sqrt(12.0/11), -60},
		"B": {3, 100.0 / 3, 100 / math.Sqrt(3), 50, 100},
		"C": {3, 50, 50, 0, 0},
	}
	if len(s.Questions) != 3 {
		t.Fatalf("%d questions, want 3", len(s.Questions))
	}
	for _, q := range s.Questions {
		w := want[q.ID]
		t.Run("question "+q.ID, func(t *testing.T) {
			near(t, float64(q.Attempts), w[0])
			near(t, q.Facility, w[1])
			near(t, q.SD, w[2])
			near(t, q.Discrimination, w[3])
			near(t, q.Efficiency, w[4])
		})
	}
	a := s.Questions[0]
	if diff := cmp.Diff(map[string]int{"a": 3, "c": 1}, a.Chosen); diff != "" {
		t.Errorf("options chosen for A (-want +got):\n%s", diff)
	}
	if c := s.Questions[2]; c.NoChoice != 1 || c.Chosen["a"] != 2 || c.Chosen["b"] != 1 {
		t.Errorf("question C: chosen %v, no choice %d; want a:2 b:1 and 1 without a choice", c.Chosen, c.NoChoice)
	}
	// Bands of 50% (k = 2) plus full marks: T = 0 | 1, 1, 1.5 | 2.
	wantBands := []quiz.Band{{From: 0, To: 50, Attempts: 1}, {From: 50, To: 100, Attempts: 3}, {From: 100, To: 100, Attempts: 1}}
	if diff := cmp.Diff(wantBands, test.Bands); diff != "" {
		t.Errorf("bands (-want +got):\n%s", diff)
	}
}

func TestAnalyzeUndefinedFigures(t *testing.T) {
	tests := []struct {
		name     string
		attempts []quiz.ScoredAttempt
		check    func(t *testing.T, s quiz.Stats)
	}{
		{
			name: "no attempts",
			check: func(t *testing.T, s quiz.Stats) {
				if s.Test.Attempts != 0 || !math.IsNaN(s.Test.Mean) || len(s.Questions) != 0 {
					t.Errorf("got %+v, want nothing defined", s)
				}
			},
		},
		{
			name:     "one attempt: a mean but no spread",
			attempts: []quiz.ScoredAttempt{{{Question: "A", Fraction: 1}, {Question: "B", Fraction: 0}}},
			check: func(t *testing.T, s quiz.Stats) {
				near(t, s.Test.Mean, 50)
				near(t, s.Test.Median, 50)
				for name, v := range map[string]float64{"sd": s.Test.SD, "cic": s.Test.CIC, "skewness": s.Test.Skewness, "D": s.Questions[0].Discrimination} {
					if !math.IsNaN(v) {
						t.Errorf("%s = %v, want NaN", name, v)
					}
				}
			},
		},
		{
			name: "everyone right: facility 100, no discrimination",
			attempts: []quiz.ScoredAttempt{
				{{Question: "A", Fraction: 1}, {Question: "B", Fraction: 1}},
				{{Question: "A", Fraction: 1}, {Question: "B", Fraction: 0}},
				{{Question: "A", Fraction: 1}, {Question: "B", Fraction: 1}},
			},
			check: func(t *testing.T, s quiz.Stats) {
				a := s.Questions[0]
				near(t, a.Facility, 100)
				near(t, a.SD, 0)
				if !math.IsNaN(a.Discrimination) || !math.IsNaN(a.Efficiency) {
					t.Errorf("D = %v, DE = %v; want NaN for a question without variance", a.Discrimination, a.Efficiency)
				}
			},
		},
		{
			name: "even count: median between the middle two",
			attempts: []quiz.ScoredAttempt{
				{{Question: "A", Fraction: 0}, {Question: "B", Fraction: 0}},
				{{Question: "A", Fraction: 1}, {Question: "B", Fraction: 0}},
				{{Question: "A", Fraction: 1}, {Question: "B", Fraction: 1}},
				{{Question: "A", Fraction: 1}, {Question: "B", Fraction: 1}},
			},
			check: func(t *testing.T, s quiz.Stats) { near(t, s.Test.Median, 75) }, // (1 + 2)/2 of 2
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, quiz.Analyze(tt.attempts)) })
	}
}

// TestTallyOrderDoesNotMatter checks the histogram-based Cmax and median
// against the same attempts added in reverse.
func TestTallyOrderDoesNotMatter(t *testing.T) {
	data := handData()
	forward := quiz.Analyze(data)
	var reversed []quiz.ScoredAttempt
	for i := len(data) - 1; i >= 0; i-- {
		reversed = append(reversed, data[i])
	}
	backward := quiz.Analyze(reversed)
	opt := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 || (math.IsNaN(a) && math.IsNaN(b)) })
	if diff := cmp.Diff(forward, backward, opt); diff != "" {
		t.Errorf("statistics depend on attempt order (-forward +reversed):\n%s", diff)
	}
}

func near(t *testing.T, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("got %.10g, want %.10g", got, want)
	}
}

func TestQuestionStatsFlag(t *testing.T) {
	tests := []struct {
		name string
		qs   quiz.QuestionStats
		want string
	}{
		{"too few attempts to tell", quiz.QuestionStats{Attempts: 9, Discrimination: -50, Facility: 50}, ""},
		{"nothing stands out", quiz.QuestionStats{Attempts: 10, Discrimination: 20, Facility: 50}, ""},
		{"negative discrimination", quiz.QuestionStats{Attempts: 10, Discrimination: -0.1, Facility: 50}, "negative discrimination"},
		{"low discrimination", quiz.QuestionStats{Attempts: 10, Discrimination: 19.9, Facility: 50}, "low discrimination"},
		{"discrimination outranks facility", quiz.QuestionStats{Attempts: 10, Discrimination: 5, Facility: 99}, "low discrimination"},
		{"very easy", quiz.QuestionStats{Attempts: 10, Discrimination: 30, Facility: 95.1}, "very easy"},
		{"easy but not very", quiz.QuestionStats{Attempts: 10, Discrimination: 30, Facility: 95}, ""},
		{"very hard", quiz.QuestionStats{Attempts: 10, Discrimination: 30, Facility: 9.9}, "very hard"},
		{"hard but not very", quiz.QuestionStats{Attempts: 10, Discrimination: 30, Facility: 10}, ""},
		{"undefined figures flag nothing", quiz.QuestionStats{Attempts: 10, Discrimination: math.NaN(), Facility: math.NaN()}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.qs.Flag(); got != tt.want {
				t.Errorf("Flag() = %q, want %q", got, tt.want)
			}
		})
	}
}
