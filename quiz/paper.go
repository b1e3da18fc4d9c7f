package quiz

import (
	"math/rand/v2"
	"slices"
)

// Item is one question as it appears on a paper: which question, and the
// order its options are shown in.
type Item struct {
	Question *Question
	Options  []*Option // in display order; nil for non-choice questions
}

// Paper is the questions one attempt shows, in order. The same quiz version
// and seed always give the same paper, so re-rendering a token, reviewing an
// attempt and grading it all see what the student saw.
type Paper struct {
	Quiz  *Quiz
	Items []Item
}

// Paper draws the attempt's questions from the bank with seed.
func (q *Quiz) Paper(seed uint64) Paper {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	idx := make([]int, len(q.Questions))
	for i := range idx {
		idx[i] = i
	}
	n := min(q.Settings.Draw, len(idx))
	if n <= 0 {
		n = len(idx)
	}
	if n < len(idx) || q.Settings.ShuffleQuestions {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	}
	idx = idx[:n]
	if !q.Settings.ShuffleQuestions {
		slices.Sort(idx)
	}
	p := Paper{Quiz: q, Items: make([]Item, n)}
	for i, qi := range idx {
		qu := &q.Questions[qi]
		item := Item{Question: qu}
		if len(qu.Options) > 0 {
			item.Options = make([]*Option, len(qu.Options))
			for j := range qu.Options {
				item.Options[j] = &qu.Options[j]
			}
			if q.Settings.ShuffleOptions {
				rng.Shuffle(len(item.Options), func(a, b int) { item.Options[a], item.Options[b] = item.Options[b], item.Options[a] })
			}
		}
		p.Items[i] = item
	}
	return p
}

// Max is the most points the paper can give.
func (p Paper) Max() float64 {
	var total float64
	for _, it := range p.Items {
		total += it.Question.Points
	}
	return total
}

// Find returns the position of the question id on the paper.
func (p Paper) Find(id string) (int, bool) {
	for i, it := range p.Items {
		if it.Question.ID == id {
			return i, true
		}
	}
	return 0, false
}
