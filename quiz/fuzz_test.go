package quiz

import (
	"errors"
	"net/url"
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
