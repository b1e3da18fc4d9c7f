package quiz

import (
	"cmp"
	"math"
	"slices"
)

// Item statistics follow the classical test theory set of Moodle's quiz
// statistics report. For one question, over the n attempts whose paper had
// it: x is its score as a fraction of its points, T the attempt's total (the
// sum of the fractions of all its questions) and X = T − x the rest of the
// test; V is the sample variance (n−1) and C the sample covariance.
//
//	facility                 F  = 100·mean(x)
//	standard deviation       SD = 100·√V(x)
//	discrimination index     D  = 100·C(x, X) / √(V(x)·V(X))
//	discriminative efficiency DE = 100·C(x, X) / Cmax(x, X)
//
// where Cmax is the covariance of x and X each sorted in the same order:
// the largest covariance two columns with those values can have.
//
// Papers draw their questions at random, like Moodle's random-question
// slots, so per-question figures cover the attempts that had the question,
// while the coefficient of internal consistency is computed over the k
// positions (slots) of the paper, as Moodle does for random slots:
//
//	CIC = 100·(k/(k−1))·(1 − Σ V(slot score) / V(T))
//	ER  = 100·√(1 − CIC/100)      error ratio
//	SE  = ER/100 · SD(T)           standard error
//
// Mean, median, SD and SE of the test are given as percentages of the
// maximum, k. Skewness and kurtosis are Moodle's, from the unbiased
// cumulants of T with m_r = Σ(T − mean)^r / n:
//
//	k2 = n·m2/(n−1)
//	k3 = n²·m3/((n−1)(n−2))
//	k4 = n²·((n+1)·m4 − 3(n−1)·m2²)/((n−1)(n−2)(n−3))
//	skewness = k3 / k2^(3/2)    kurtosis = k4 / k2²  (0 for a normal curve)
//
// A figure that is undefined (too few attempts, no variance) is NaN.

// ScoredItem is one position of a graded paper, as statistics see it.
type ScoredItem struct {
	Question string  // question id
	Fraction float64 // score over the question's points, 0..1
	// Choices are the options chosen ("true" or "false" for true/false
	// questions); empty when unanswered or not a choice question.
	Choices []string
}

// ScoredAttempt is one graded attempt: its items in paper order.
type ScoredAttempt []ScoredItem

// QuestionStats are one question's figures, in percent; NaN when undefined.
type QuestionStats struct {
	ID             string
	Attempts       int // attempts whose paper had the question
	Facility       float64
	SD             float64
	Discrimination float64
	Efficiency     float64
	// Chosen counts how often each option (or "true"/"false") was chosen.
	Chosen map[string]int
	// NoChoice counts attempts that chose no option: unanswered choice
	// questions (for other types of question it is every attempt).
	NoChoice int
}

// The thresholds at which the statistics page flags a question for an
// instructor to look at, on Moodle's scale of percentages. Below
// FlagMinAttempts attempts the figures are too noisy to flag anything.
const (
	FlagMinAttempts       = 10
	FlagLowDiscrimination = 20 // discrimination index below this is low
	FlagVeryEasyFacility  = 95 // facility above this is very easy
	FlagVeryHardFacility  = 10 // facility below this is very hard
)

// Flag names what stands out in the question's figures, most telling
// first: "negative discrimination", "low discrimination", "very easy" or
// "very hard"; "" when nothing does or too few attempts had the question.
func (q QuestionStats) Flag() string {
	if q.Attempts < FlagMinAttempts {
		return ""
	}
	switch {
	case q.Discrimination < 0:
		return "negative discrimination"
	case q.Discrimination < FlagLowDiscrimination:
		return "low discrimination"
	case q.Facility > FlagVeryEasyFacility:
		return "very easy"
	case q.Facility < FlagVeryHardFacility:
		return "very hard"
	}
	return ""
}

// Band is one bar of the score distribution: attempts whose score is at
// least From and below To percent (the last band is exactly 100%).
type Band struct {
	From, To float64
	Attempts int
}

// TestStats are the figures of the test as a whole.
type TestStats struct {
	Attempts   int
	Slots      int     // k, positions on the paper
	Mean       float64 // percent of the maximum
	Median     float64 // percent of the maximum
	SD         float64 // percent of the maximum
	Skewness   float64
	Kurtosis   float64
	CIC        float64 // percent
	ErrorRatio float64 // percent
	SE         float64 // percent of the maximum
	Bands      []Band
}

// Stats are a quiz's item statistics.
type Stats struct {
	Test      TestStats
	Questions []QuestionStats // by question id
}

// Tally accumulates attempts for statistics in memory that does not grow
// with the number of attempts: sums and histograms of the (few) distinct
// score values, which is all the formulas above need, Cmax included.
type Tally struct {
	n         int
	totals    map[float64]int // T → attempts
	slots     []moments
	questions map[string]*questionTally
}

type moments struct{ n, sum, sumSq float64 }

func (m *moments) add(x float64) { m.n++; m.sum += x; m.sumSq += x * x }

// variance is the sample variance, NaN below two values.
func (m moments) variance() float64 {
	if m.n < 2 {
		return math.NaN()
	}
	return max(0, (m.sumSq-m.sum*m.sum/m.n)/(m.n-1))
}

type questionTally struct {
	x, rest    moments
	sumProduct float64         // Σ x·X
	xs, rests  map[float64]int // histograms of x and of X
	chosen     map[string]int
	noChoice   int
}

// NewTally returns an empty tally.
func NewTally() *Tally {
	return &Tally{totals: map[float64]int{}, questions: map[string]*questionTally{}}
}

// Add counts one attempt.
func (t *Tally) Add(a ScoredAttempt) {
	var total float64
	for _, it := range a {
		total += it.Fraction
	}
	t.n++
	t.totals[total]++
	for len(t.slots) < len(a) {
		t.slots = append(t.slots, moments{})
	}
	for i, it := range a {
		t.slots[i].add(it.Fraction)
		q := t.questions[it.Question]
		if q == nil {
			q = &questionTally{xs: map[float64]int{}, rests: map[float64]int{}, chosen: map[string]int{}}
			t.questions[it.Question] = q
		}
		rest := total - it.Fraction
		q.x.add(it.Fraction)
		q.rest.add(rest)
		q.sumProduct += it.Fraction * rest
		q.xs[it.Fraction]++
		q.rests[rest]++
		if len(it.Choices) == 0 {
			q.noChoice++
		}
		for _, c := range it.Choices {
			q.chosen[c]++
		}
	}
}

// Analyze computes the statistics of attempts.
func Analyze(attempts []ScoredAttempt) Stats {
	t := NewTally()
	for _, a := range attempts {
		t.Add(a)
	}
	return t.Stats()
}

// Stats computes the statistics of the attempts added so far.
func (t *Tally) Stats() Stats {
	s := Stats{Test: t.testStats()}
	ids := make([]string, 0, len(t.questions))
	for id := range t.questions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.Questions = append(s.Questions, t.questions[id].stats(id))
	}
	return s
}

func (q *questionTally) stats(id string) QuestionStats {
	n := q.x.n
	qs := QuestionStats{
		ID: id, Attempts: int(n), Chosen: q.chosen, NoChoice: q.noChoice,
		Facility: math.NaN(), SD: math.NaN(), Discrimination: math.NaN(), Efficiency: math.NaN(),
	}
	if n == 0 {
		return qs
	}
	qs.Facility = 100 * q.x.sum / n
	if n < 2 {
		return qs
	}
	vx, vRest := q.x.variance(), q.rest.variance()
	qs.SD = 100 * math.Sqrt(vx)
	cov := (q.sumProduct - q.x.sum*q.rest.sum/n) / (n - 1)
	if vx*vRest > 0 {
		qs.Discrimination = 100 * cov / math.Sqrt(vx*vRest)
	}
	if cmax := (sortedProduct(q.xs, q.rests) - q.x.sum*q.rest.sum/n) / (n - 1); cmax > 1e-12 {
		qs.Efficiency = 100 * cov / cmax
	}
	return qs
}

// sortedProduct is Σ a_(j)·b_(j) with both columns sorted ascending, each
// given as a histogram of value → count with the same total count.
func sortedProduct(a, b map[float64]int) float64 {
	as, bs := histogram(a), histogram(b)
	var sum float64
	i, j := 0, 0
	for i < len(as) && j < len(bs) {
		n := min(as[i].count, bs[j].count)
		sum += float64(n) * as[i].value * bs[j].value
		as[i].count -= n
		bs[j].count -= n
		if as[i].count == 0 {
			i++
		}
		if bs[j].count == 0 {
			j++
		}
	}
	return sum
}

type bin struct {
	value float64
	count int
}

func histogram(m map[float64]int) []bin {
	out := make([]bin, 0, len(m))
	for v, c := range m {
		out = append(out, bin{v, c})
	}
	slices.SortFunc(out, func(a, b bin) int { return cmp.Compare(a.value, b.value) })
	return out
}

func (t *Tally) testStats() TestStats {
	k := len(t.slots)
	ts := TestStats{
		Attempts: t.n, Slots: k,
		Mean: math.NaN(), Median: math.NaN(), SD: math.NaN(), Skewness: math.NaN(), Kurtosis: math.NaN(),
		CIC: math.NaN(), ErrorRatio: math.NaN(), SE: math.NaN(),
	}
	if t.n == 0 || k == 0 {
		return ts
	}
	pct := 100 / float64(k)
	totals := histogram(t.totals)
	n := float64(t.n)
	var sum float64
	for _, b := range totals {
		sum += float64(b.count) * b.value
	}
	mean := sum / n
	ts.Mean = pct * mean
	ts.Median = pct * median(totals, t.n)
	ts.Bands = bands(totals, k)
	if t.n < 2 {
		return ts
	}
	var m2, m3, m4 float64
	for _, b := range totals {
		d := b.value - mean
		c := float64(b.count)
		m2 += c * d * d
		m3 += c * d * d * d
		m4 += c * d * d * d * d
	}
	m2, m3, m4 = m2/n, m3/n, m4/n
	k2 := n * m2 / (n - 1)
	sd := math.Sqrt(k2)
	ts.SD = pct * sd
	if k2 <= 0 {
		return ts
	}
	if t.n > 2 {
		k3 := n * n * m3 / ((n - 1) * (n - 2))
		ts.Skewness = k3 / math.Pow(k2, 1.5)
	}
	if t.n > 3 {
		k4 := n * n * ((n+1)*m4 - 3*(n-1)*m2*m2) / ((n - 1) * (n - 2) * (n - 3))
		ts.Kurtosis = k4 / (k2 * k2)
	}
	if k > 1 {
		var slotVariance float64
		for _, s := range t.slots {
			if v := s.variance(); !math.IsNaN(v) {
				slotVariance += v
			}
		}
		ts.CIC = 100 * float64(k) / float64(k-1) * (1 - slotVariance/k2)
		if ts.CIC <= 100 {
			ts.ErrorRatio = 100 * math.Sqrt(1-ts.CIC/100)
			ts.SE = ts.ErrorRatio / 100 * ts.SD
		}
	}
	return ts
}

// median of n values given as a sorted histogram: the middle value, or the
// mean of the two middle values when n is even.
func median(h []bin, n int) float64 {
	at := func(i int) float64 { // the i-th value (0-based) in sorted order
		for _, b := range h {
			if i < b.count {
				return b.value
			}
			i -= b.count
		}
		return math.NaN()
	}
	if n%2 == 1 {
		return at(n / 2)
	}
	return (at(n/2-1) + at(n/2)) / 2
}

// bands splits the scores into k bands of 100/k percent each, plus one for
// full marks, so that with one-point questions each band is one mark.
func bands(totals []bin, k int) []Band {
	out := make([]Band, k+1)
	for i := range k {
		out[i] = Band{From: 100 * float64(i) / float64(k), To: 100 * float64(i+1) / float64(k)}
	}
	out[k] = Band{From: 100, To: 100}
	for _, b := range totals {
		i := int(math.Floor(b.value + 1e-9))
		i = max(0, min(i, k))
		out[i].Attempts += b.count
	}
	return out
}
