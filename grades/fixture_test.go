package grades_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/twelve-course/twelve/grades"
	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// fixture is a database with an LTI class of a test platform served over
// HTTP, and the tool's keys published where the platform fetches them.
type fixture struct {
	st       *store.Store
	platform *ltiplatform.Platform
	lms      store.LTIPlatform
	keys     *lti.KeySet
	class    store.Class
	// timeout is the services' HTTP client timeout.
	timeout time.Duration
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key, err := lti.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := lti.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	tool := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/lti/jwks" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(keys.JWKS())
	}))
	t.Cleanup(tool.Close)
	platform, ln, err := ltiplatform.Listen("127.0.0.1:0", ltiplatform.Options{ToolURL: tool.URL})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: platform.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Close() })

	f := &fixture{st: store.New(storetest.NewPool(t)), platform: platform, keys: keys, timeout: 5 * time.Second}
	f.lms, err = f.st.AddLTIPlatform(context.Background(), store.LTIPlatform{
		Issuer: platform.Issuer(), ClientID: platform.ClientID(), Name: "Test LMS",
		AuthURL: platform.AuthURL(), TokenURL: platform.TokenURL(), JWKSURL: platform.JWKSURL(),
		Deployments: []string{platform.DeploymentID()},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// student launches subject into the course as a student, making the
// class on the first launch, and returns their user id.
func (f *fixture) student(t *testing.T, subject string) int64 {
	t.Helper()
	res, err := f.st.RecordLTILaunch(context.Background(), store.LTILaunch{
		PlatformID: f.lms.ID, DeploymentID: f.platform.DeploymentID(),
		Issuer: f.platform.Issuer(), Subject: subject, Name: "Student " + subject, Email: subject + "@lms.test",
		ContextID: ltiplatform.ContextID, ContextTitle: ltiplatform.ContextTitle, Role: store.RoleStudent,
		LineItemsURL: f.platform.Issuer() + "/lineitems",
		AGSScopes:    []string{lti.ScopeLineItem, lti.ScopeResultRead, lti.ScopeScore},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.class = res.Class
	return res.User.ID
}

var attemptSeq atomic.Int64

// submit saves an attempt of the quiz "config" scoring score of 2 in the
// class, graded by the latest attempt.
func (f *fixture) submit(t testing.TB, user int64, score float64) {
	t.Helper()
	if err := f.trySubmit(user, score); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) trySubmit(user int64, score float64) error {
	n := attemptSeq.Add(1)
	a := store.NewAttempt{
		Attempt: store.Attempt{
			ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n), UserID: user, Quiz: "config", ClassID: f.class.ID,
			Version: "v1", Seed: 7, StartedAt: time.Now().Add(-time.Minute), Score: score, MaxScore: 2,
		},
		Responses:   []store.Response{{Position: 0, Question: "q1", Answer: []byte(`{"choices":["a"]}`), Score: score, MaxScore: 2}},
		VersionBody: []byte(`{"slug":"config"}`),
	}
	settings := quiz.DefaultSettings()
	settings.Grading = quiz.Latest
	_, _, err := f.st.SaveAttempt(context.Background(), a, settings)
	return err
}

// classGrade is a student's class grade of "config" and its time.
func (f *fixture) classGrade(t *testing.T, user int64) (grade float64, attempts int, at time.Time) {
	t.Helper()
	err := f.st.Pool().QueryRow(context.Background(), `SELECT grade, attempts, updated_at FROM class_grades
WHERE class_id = $1 AND user_id = $2 AND quiz = 'config'`, f.class.ID, user).Scan(&grade, &attempts, &at)
	if err != nil {
		t.Fatal(err)
	}
	return grade, attempts, at
}

// worker starts a worker process's River client, stopped at the end.
func (f *fixture) worker(t *testing.T, id string) *river.Client[pgx.Tx] {
	t.Helper()
	services := lti.NewServices(func() *lti.KeySet { return f.keys }, &http.Client{Timeout: f.timeout})
	w := grades.NewWorker(f.st, services, grades.Options{
		Titles:   func(slug string) string { return map[string]string{"config": "Config"}[slug] },
		MinRetry: 10 * time.Millisecond, MaxRetry: 200 * time.Millisecond,
	})
	client, err := grades.NewClient(f.st.Pool(), w, grades.ClientOptions{ID: id, FetchPoll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(ctx)
	})
	return client
}

// row is the student's lti_scores row of "config".
func (f *fixture) row(t *testing.T, user int64) store.LTIScore {
	t.Helper()
	rows, err := f.st.LTIScores(context.Background(), f.class.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.UserID == user && r.Quiz == "config" {
			return r
		}
	}
	return store.LTIScore{}
}

// waitFor polls cond until it holds, failing the test after a minute (a
// bound on a hang, not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStatus waits for the student's row to reach status at the class
// grade's current time.
func (f *fixture) waitStatus(t *testing.T, user int64, status string) store.LTIScore {
	t.Helper()
	_, _, at := f.classGrade(t, user)
	var r store.LTIScore
	waitFor(t, "lti_scores "+status, func() bool {
		r = f.row(t, user)
		return r.Status == status && r.GradedAt.Equal(at)
	})
	return r
}

// recorded is what the platform holds for subject.
func (f *fixture) recorded(t *testing.T, subject string) (ltiplatform.RecordedScore, bool) {
	t.Helper()
	for _, s := range f.platform.Scores() {
		if s.UserID == subject {
			return s, true
		}
	}
	return ltiplatform.RecordedScore{}, false
}

// checkRecorded checks the platform holds the student's current class
// grade, at its time, out of 100.
func (f *fixture) checkRecorded(t *testing.T, subject string, user int64) ltiplatform.RecordedScore {
	t.Helper()
	grade, attempts, at := f.classGrade(t, user)
	s, ok := f.recorded(t, subject)
	if !ok {
		t.Fatalf("the platform has no score for %s", subject)
	}
	if s.ScoreGiven == nil || s.ScoreMaximum == nil || math.Abs(*s.ScoreGiven-grade*100) > 1e-9 || *s.ScoreMaximum != 100 {
		t.Errorf("%s's score = %v/%v, want %v/100", subject, deref(s.ScoreGiven), deref(s.ScoreMaximum), grade*100)
	}
	if !s.Timestamp.Equal(at) {
		t.Errorf("%s's score timestamp = %v, want the class grade's %v", subject, s.Timestamp, at)
	}
	wantComment := fmt.Sprintf("%d attempts", attempts)
	if attempts == 1 {
		wantComment = "1 attempt"
	}
	if s.Comment != wantComment || s.ActivityProgress != "Completed" || s.GradingProgress != "FullyGraded" {
		t.Errorf("%s's score = %q %s %s, want %q Completed FullyGraded", subject, s.Comment, s.ActivityProgress, s.GradingProgress, wantComment)
	}
	return s
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
