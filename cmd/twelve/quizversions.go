package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/twelve-course/twelve/internal/backoff"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

// recordQuizVersions stores the quiz versions this release shows, so that
// an attempt started here can still be graded and reviewed by any later
// release. It retries while the database is unreachable. (Every submit also
// stores its version, so an attempt never depends on this having finished.)
func recordQuizVersions(ctx context.Context, st *store.Store, quizzes map[string]*quiz.Quiz, logger *slog.Logger) {
	var vs []store.QuizVersion
	for slug, q := range quizzes {
		body, err := q.Body()
		if err != nil {
			logger.Error("quiz version not recorded", "quiz", slug, "error", err.Error())
			return
		}
		vs = append(vs, store.QuizVersion{Hash: q.Version, Quiz: slug, Body: body})
	}
	save := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return st.SaveQuizVersions(ctx, vs)
	}
	_, _ = backoff.New(time.Second, time.Minute, nil).Retry(ctx, save, func(attempt int, wait time.Duration, err error) {
		logger.Warn("quiz versions not recorded yet; retrying", "attempt", attempt, "retry_in_ms", wait.Milliseconds(), "error", err.Error())
	})
}
