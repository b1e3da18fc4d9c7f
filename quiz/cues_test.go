package quiz

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cueBank builds a bank of single questions, each given as its options'
// texts with the right one marked by a leading "*", and multiple questions
// given as "m:" followed by the ids of the right options out of a to d.
func cueBank(t *testing.T, items ...string) *Quiz {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "settings:\n  draw: 1\nquestions:\n")
	for i, it := range items {
		if right, ok := strings.CutPrefix(it, "m:"); ok {
			fmt.Fprintf(&b, "  - id: q%d\n    type: multiple\n    prompt: p\n    options:\n", i)
			for _, id := range []string{"a", "b", "c", "d"} {
				fmt.Fprintf(&b, "      - {id: %s, text: option %s, correct: %v}\n", id, id, strings.Contains(right, id))
			}
			continue
		}
		fmt.Fprintf(&b, "  - id: q%d\n    type: single\n    prompt: p\n    options:\n", i)
		for j, text := range strings.Split(it, "|") {
			text, right := strings.CutPrefix(text, "*")
			fmt.Fprintf(&b, "      - {id: %c, text: %q, correct: %v}\n", 'a'+j, text, right)
		}
	}
	return mustBank(t, b.String())
}

func TestBankCues(t *testing.T) {
	tests := []struct {
		name     string
		items    []string
		want     Cues
		problems []string
	}{
		{
			name:  "keys are the longest, all on a, three right every time",
			items: []string{"*long answer|no|nope", "*longer one|x|y", "*the longest|a|b", "*wide|w|v", "m:abc", "m:abc"},
			want: Cues{Single: 4, LongestKey: 4, Multiple: 2, RightCounts: map[int]int{3: 2}, Keys: 10,
				KeyIDs: map[string]int{"a": 6, "b": 2, "c": 2}},
			problems: []string{
				"the right option is the longest in 4 of 4 single-choice questions (at most 40% allowed)",
				"all 2 multiple-answer questions have exactly 3 right options; vary the number",
				`option id "a" carries 6 of 10 right options (at most 40% allowed)`,
			},
		},
		{
			name:  "balanced",
			items: []string{"*sh|longer one|mid", "long one|*mid|s", "a|bbb|*cc", "four long|*the long|one", "m:a", "m:bcd", "m:ad"},
			want: Cues{Single: 4, LongestKey: 0, ShortestKey: 1, Multiple: 3, RightCounts: map[int]int{1: 1, 2: 1, 3: 1}, Keys: 10,
				KeyIDs: map[string]int{"a": 3, "b": 3, "c": 2, "d": 2}},
		},
		{
			name:  "terse keys are a cue too",
			items: []string{"*no|a longer one|longer", "*x|yy|zz", "aa|*b|cc", "a bit longer|medium|*tiny", "*mid|a|the longest"},
			want: Cues{Single: 5, LongestKey: 0, ShortestKey: 4, RightCounts: map[int]int{}, Keys: 5,
				KeyIDs: map[string]int{"a": 3, "b": 1, "c": 1}},
			problems: []string{
				"the right option is the shortest in 4 of 5 single-choice questions (at most 40% allowed)",
			},
		},
		{
			name:  "ties count as longest and shortest",
			items: []string{"*same|same", "*ab|ab"},
			want:  Cues{Single: 2, LongestKey: 2, ShortestKey: 2, RightCounts: map[int]int{}, Keys: 2, KeyIDs: map[string]int{"a": 2}},
		},
		{
			name:  "small banks are not judged on shares",
			items: []string{"*long answer|no", "*longer|x", "*the longest|a", "m:ab"},
			want: Cues{Single: 3, LongestKey: 3, Multiple: 1, RightCounts: map[int]int{2: 1}, Keys: 5,
				KeyIDs: map[string]int{"a": 4, "b": 1}},
		},
		{
			name:  "all options right counts too",
			items: []string{"m:abcd", "m:abcd"},
			want:  Cues{Multiple: 2, RightCounts: map[int]int{4: 2}, Keys: 8, KeyIDs: map[string]int{"a": 2, "b": 2, "c": 2, "d": 2}},
			problems: []string{
				"all 2 multiple-answer questions have exactly 4 right options; vary the number",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := cueBank(t, tt.items...)
			got := q.BankCues()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("BankCues (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.problems, got.Problems()); diff != "" {
				t.Errorf("Problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCuesString(t *testing.T) {
	c := Cues{Single: 6, LongestKey: 2, ShortestKey: 1, Multiple: 2, RightCounts: map[int]int{1: 1, 3: 1}, Keys: 10,
		KeyIDs: map[string]int{"b": 3, "a": 2, "d": 3, "c": 2}}
	want := "longest key 2/6, shortest key 1/6; right options in multiple [1×1 1×3]; keys by id [a 2, b 3, c 2, d 3]"
	if got := c.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
