package handlers

import (
	"context"
	"sync"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

// quizBook holds this release's quizzes and every older version an attempt
// has needed, loaded from the database once and kept: versions never change.
type quizBook struct {
	current map[string]*quiz.Quiz
	store   *store.Store

	mu       sync.RWMutex
	versions map[string]*quiz.Quiz
}

func newQuizBook(current map[string]*quiz.Quiz, st *store.Store) *quizBook {
	b := &quizBook{current: current, store: st, versions: map[string]*quiz.Quiz{}}
	for _, q := range current {
		b.versions[q.Version] = q
	}
	return b
}

// Current returns the quiz of a lesson as this release has it.
func (b *quizBook) Current(slug string) (*quiz.Quiz, bool) {
	q, ok := b.current[slug]
	return q, ok
}

// Version returns the quiz version an attempt was made on: this release's,
// or an older one stored by the release that showed it.
func (b *quizBook) Version(ctx context.Context, hash string) (*quiz.Quiz, error) {
	b.mu.RLock()
	q, ok := b.versions[hash]
	b.mu.RUnlock()
	if ok {
		return q, nil
	}
	body, err := b.store.QuizVersionBody(ctx, hash)
	if err != nil {
		return nil, err
	}
	if q, err = quiz.FromBody(hash, body); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.versions[hash] = q
	b.mu.Unlock()
	return q, nil
}
