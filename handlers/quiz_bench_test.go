package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/twelve-course/twelve/quiz"
)

// BenchmarkStartQuiz measures starting an attempt: the redirect that mints
// the signed token, then rendering the form from it. Neither touches the
// database.
func BenchmarkStartQuiz(b *testing.B) {
	a := newQuizApp(b, "", nil, nil)
	ada := a.signIn("ada", "ada@example.edu")
	b.Run("mint token", func(b *testing.B) {
		for b.Loop() {
			if w := a.get(&ada, "/lessons/config/quiz"); w.Code != http.StatusSeeOther {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
	form, _ := a.start(ada, "config")
	b.Run("render form", func(b *testing.B) {
		for b.Loop() {
			if w := a.get(&ada, form); w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// BenchmarkSubmitAttempt measures a whole submit: token check, decoding,
// grading and the one transaction that stores the attempt, its responses and
// the refreshed grade.
func BenchmarkSubmitAttempt(b *testing.B) {
	a := newQuizApp(b, "", nil, nil)
	q := courseQuizzes(b)["config"]
	ada := a.signIn("ada", "ada@example.edu")
	signer, _ := quiz.NewSigner([][]byte{[]byte(quizTestKey)})
	forms := make([]url.Values, 0, 1024)
	next := func() url.Values {
		if len(forms) == 0 {
			for range cap(forms) {
				raw, _ := signer.Encode(quiz.NewToken(q, ada.id, time.Now()))
				forms = append(forms, rightAnswers(b, q, raw))
			}
		}
		f := forms[len(forms)-1]
		forms = forms[:len(forms)-1]
		return f
	}
	var n uint32
	for b.Loop() {
		b.StopTimer()
		form := next()
		b.StartTimer()
		// Each submit from its own address: a benchmark, not a flood from one.
		if w := a.postFrom(benchAddr(&n), &ada, "/lessons/config/quiz", form); w.Code != http.StatusSeeOther {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// benchAddr is the next peer address of a benchmark's requests, in
// 198.18.0.0/15, so that they do not spend one client's rate limit.
func benchAddr(n *uint32) string {
	*n++
	return fmt.Sprintf("198.%d.%d.%d:40000", 18+byte(*n>>16)&1, byte(*n>>8), byte(*n))
}
