package quiz

import (
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeAnswers: whatever a form holds, decoding never panics, and what
// it accepts only answers questions on the paper and grades within bounds.
func FuzzDecodeAnswers(f *testing.F) {
	q := mustBank(f, sampleBank)
	q.Settings.Draw = len(q.Questions)
	p := q.Paper(3)
	f.Add("a.env=a&a.backing=a&a.backing=b&a.sigkill=30&a.stream=stdout&a.rotate=false")
	f.Add("a.sigkill=1e999&a.env=zz")
	f.Add("a.stream=%ff%fe&a.nope=1")
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		answers, err := DecodeAnswers(p, form)
		var ae AnswerErrors
		if err != nil && !errors.Is(err, ErrForeignField) && !errors.As(err, &ae) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if err != nil {
			return
		}
		for id := range answers {
			if _, ok := p.Find(id); !ok {
				t.Fatalf("accepted an answer to %q, not on the paper", id)
			}
		}
		res := Grade(p, answers)
		if res.Score < 0 || res.Score > res.Max+1e-9 {
			t.Fatalf("score %v outside 0..%v", res.Score, res.Max)
		}
	})
}

// FuzzTokenDecode: no input panics the decoder, and only a token this
// signer made decodes.
func FuzzTokenDecode(f *testing.F) {
	s, _ := NewSigner([][]byte{[]byte("fuzz-secret-0123456789abcdef0123456")})
	q := mustBank(f, sampleBank)
	now := time.Now()
	good, _ := s.Encode(NewToken(q, 9, now))
	f.Add(good)
	f.Add("")
	f.Add("MTcz|eyJ9|AAAA")
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := s.Decode(raw, now)
		if err == nil && raw != good {
			if tok.UserID <= 0 || tok.AttemptID == "" {
				t.Fatalf("accepted an incomplete token %+v", tok)
			}
		}
	})
}

// FuzzParseBank: whatever a question bank file holds, parsing never panics,
// every problem names the file and a line, and an accepted bank draws
// papers whose right answers decode and grade within bounds.
func FuzzParseBank(f *testing.F) {
	f.Add(sampleBank)
	f.Add("questions:\n  - id: a\n    type: truefalse\n    prompt: p\n    answer: true\n")
	f.Add("settings:\n  draw: -1\n  attempt_limit: 99999999999999999999\nquestions: []\n")
	f.Add("questions:\n  - &a {id: x, type: single, prompt: p, options: [*a]}\n")
	f.Add("\x00\xff: [\n")
	f.Add("questions:\n  - id: n\n    type: numeric\n    prompt: p\n    answer: 1e308\n    tolerance: 1e308\n")
	f.Fuzz(func(t *testing.T, src string) {
		q, err := ParseBank("01-codebase.quiz.yaml", "codebase", []byte(src))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "01-codebase.quiz.yaml:") {
				t.Fatalf("problem %q does not name the file", err)
			}
			return
		}
		for seed := range uint64(3) {
			p := q.Paper(seed)
			answers := Answers{}
			for _, it := range p.Items {
				answers[it.Question.ID] = it.Question.RightAnswer()
			}
			got, err := DecodeAnswers(p, answers.Form())
			var ae AnswerErrors
			if err != nil && !errors.As(err, &ae) {
				t.Fatalf("right answers of an accepted bank do not decode: %v", err)
			}
			if err != nil {
				continue
			}
			res := Grade(p, got)
			if res.Score < 0 || res.Score > res.Max+1e-9 || math.IsNaN(res.Score) {
				t.Fatalf("score %v outside 0..%v", res.Score, res.Max)
			}
		}
	})
}
