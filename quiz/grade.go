package quiz

import (
	"math"
	"slices"
)

// ItemResult is the grade of one question of an attempt.
type ItemResult struct {
	QuestionID string
	Answer     Answer
	Score      float64
	Max        float64
}

// Result is the grade of a whole attempt.
type Result struct {
	Items []ItemResult // in paper order
	Score float64
	Max   float64
}

// Fraction is the score as a fraction of the maximum, 0..1.
func (r Result) Fraction() float64 {
	if r.Max <= 0 {
		return 0
	}
	return r.Score / r.Max
}

// Grade marks every question of the paper against answers.
func Grade(p Paper, answers Answers) Result {
	res := Result{Items: make([]ItemResult, len(p.Items))}
	for i, it := range p.Items {
		qu := it.Question
		a := answers[qu.ID]
		score := qu.Points * credit(qu, a)
		res.Items[i] = ItemResult{QuestionID: qu.ID, Answer: a, Score: score, Max: qu.Points}
		res.Score += score
		res.Max += qu.Points
	}
	return res
}

// credit is the fraction of a question's points an answer earns.
func credit(qu *Question, a Answer) float64 {
	switch qu.Type {
	case Single:
		if len(a.Choices) == 1 {
			if o, ok := qu.Option(a.Choices[0]); ok && o.Correct {
				return 1
			}
		}
	case Multiple:
		return multipleCredit(qu, a.Choices)
	case TrueFalse:
		if a.Truth != nil && *a.Truth == qu.Truth {
			return 1
		}
	case Numeric:
		// A little slack for binary floating point: 0.1+0.2 is within 0 of 0.3.
		if a.Number != nil && math.Abs(*a.Number-qu.Number) <= qu.Tolerance+1e-9*math.Max(1, math.Abs(qu.Number)) {
			return 1
		}
	case Text:
		if qu.AcceptsText(a.Raw) {
			return 1
		}
	}
	return 0
}

// multipleCredit: partial scoring gives each right option chosen 1/right
// and takes 1/wrong for each wrong option chosen, floor 0, so choosing
// everything earns nothing; all-or-nothing wants exactly the right set.
func multipleCredit(qu *Question, chosen []string) float64 {
	var right, wrong, rightChosen, wrongChosen int
	for _, o := range qu.Options {
		picked := slices.Contains(chosen, o.ID)
		if o.Correct {
			right++
			if picked {
				rightChosen++
			}
		} else {
			wrong++
			if picked {
				wrongChosen++
			}
		}
	}
	if qu.Scoring == AllOrNothing {
		if rightChosen == right && wrongChosen == 0 {
			return 1
		}
		return 0
	}
	c := float64(rightChosen) / float64(right)
	if wrong > 0 {
		c -= float64(wrongChosen) / float64(wrong)
	}
	return max(0, c)
}

// RightAnswer describes the right answer of a question for review.
func (qu *Question) RightAnswer() Answer {
	switch qu.Type {
	case Single, Multiple:
		var a Answer
		for _, o := range qu.Options {
			if o.Correct {
				a.Choices = append(a.Choices, o.ID)
			}
		}
		return a
	case TrueFalse:
		t := qu.Truth
		return Answer{Truth: &t}
	case Numeric:
		n := qu.Number
		return Answer{Number: &n}
	case Text:
		return Answer{Raw: qu.Accept[0]}
	}
	return Answer{}
}
