package quiz

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Cues are the surface features of a bank that can give its keys away to a
// student who knows nothing of the subject: right options that are the
// longest, multiple-answer questions that always have the same number of
// right options, and right options that carry the same id.
type Cues struct {
	Single      int // single-choice questions
	LongestKey  int // ... whose right option is the longest (ties count)
	ShortestKey int // ... whose right option is the shortest (ties count)
	Multiple    int // multiple-answer questions
	// RightCounts counts multiple-answer questions by their number of
	// right options.
	RightCounts map[int]int
	Keys        int            // right options of single and multiple questions
	KeyIDs      map[string]int // right options by option id
}

// Thresholds above which a bank's cues fail content-check. docs/quizzes.md
// explains the choice.
const (
	// MaxLongestKeyShare: at most this share of single-choice keys may be
	// the longest option (a blind "pick the longest" would score no better
	// than about two in five).
	MaxLongestKeyShare = 0.4
	// MaxShortestKeyShare: the same for the shortest option, so that the
	// cure (terse keys among wordy distractors) is not a cue of its own.
	MaxShortestKeyShare = 0.4
	// MaxKeyIDShare: no option id may carry more than this share of the
	// right options.
	MaxKeyIDShare = 0.4
	// minSingleForShares and minKeysForShares: below these counts shares
	// say nothing and are not checked.
	minSingleForShares = 4
	minKeysForShares   = 6
)

// BankCues measures the cues of a quiz's bank.
func (q *Quiz) BankCues() Cues {
	c := Cues{RightCounts: map[int]int{}, KeyIDs: map[string]int{}}
	for _, qu := range q.Questions {
		right := 0
		for _, o := range qu.Options {
			if o.Correct {
				right++
				c.KeyIDs[o.ID]++
			}
		}
		c.Keys += right
		switch qu.Type {
		case Single:
			c.Single++
			longest, shortest := true, true
			key := optionLen(qu.Options, true)
			for _, o := range qu.Options {
				if o.Correct {
					continue
				}
				n := utf8.RuneCountInString(o.Text)
				longest = longest && key >= n
				shortest = shortest && key <= n
			}
			if longest {
				c.LongestKey++
			}
			if shortest {
				c.ShortestKey++
			}
		case Multiple:
			c.Multiple++
			c.RightCounts[right]++
		}
	}
	return c
}

func optionLen(opts []Option, correct bool) int {
	for _, o := range opts {
		if o.Correct == correct {
			return utf8.RuneCountInString(o.Text)
		}
	}
	return 0
}

// LongestKeyShare is the share of single-choice keys that are the longest
// option, 0 when there are none.
func (c Cues) LongestKeyShare() float64 { return share(c.LongestKey, c.Single) }

// ShortestKeyShare is the share of single-choice keys that are the shortest
// option, 0 when there are none.
func (c Cues) ShortestKeyShare() float64 { return share(c.ShortestKey, c.Single) }

// TopKeyID is the option id carrying the most right options, and its share.
func (c Cues) TopKeyID() (string, float64) {
	top, n := "", 0
	for _, id := range slices.Sorted(maps.Keys(c.KeyIDs)) {
		if c.KeyIDs[id] > n {
			top, n = id, c.KeyIDs[id]
		}
	}
	return top, share(n, c.Keys)
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// Problems lists the cues above the thresholds, as sentences.
func (c Cues) Problems() []string {
	var out []string
	if c.Single >= minSingleForShares && c.LongestKeyShare() > MaxLongestKeyShare+1e-9 {
		out = append(out, fmt.Sprintf("the right option is the longest in %d of %d single-choice questions (at most %.0f%% allowed)", c.LongestKey, c.Single, 100*MaxLongestKeyShare))
	}
	if c.Single >= minSingleForShares && c.ShortestKeyShare() > MaxShortestKeyShare+1e-9 {
		out = append(out, fmt.Sprintf("the right option is the shortest in %d of %d single-choice questions (at most %.0f%% allowed)", c.ShortestKey, c.Single, 100*MaxShortestKeyShare))
	}
	if c.Multiple >= 2 && len(c.RightCounts) == 1 {
		for n := range c.RightCounts {
			out = append(out, fmt.Sprintf("all %d multiple-answer questions have exactly %d right options; vary the number", c.Multiple, n))
		}
	}
	if id, s := c.TopKeyID(); c.Keys >= minKeysForShares && s > MaxKeyIDShare+1e-9 {
		out = append(out, fmt.Sprintf("option id %q carries %d of %d right options (at most %.0f%% allowed)", id, c.KeyIDs[id], c.Keys, 100*MaxKeyIDShare))
	}
	return out
}

// String is the cues on one line: longest-key share, shortest-key share,
// right-option counts and key ids.
func (c Cues) String() string {
	var counts []string
	for _, n := range slices.Sorted(maps.Keys(c.RightCounts)) {
		counts = append(counts, fmt.Sprintf("%d×%d", c.RightCounts[n], n))
	}
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(c.KeyIDs)) {
		ids = append(ids, fmt.Sprintf("%s %d", id, c.KeyIDs[id]))
	}
	return fmt.Sprintf("longest key %d/%d, shortest key %d/%d; right options in multiple [%s]; keys by id [%s]",
		c.LongestKey, c.Single, c.ShortestKey, c.Single, strings.Join(counts, " "), strings.Join(ids, ", "))
}
