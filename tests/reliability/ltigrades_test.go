package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/internal/student"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// startWorker runs `twelve worker` with quick retries and rescues, and
// returns it once it has started.
func startWorker(t *testing.T, name string, env map[string]string) *proctest.Process {
	t.Helper()
	vars := []string{"PATH=" + os.Getenv("PATH"), "SECRET_KEY=" + secret}
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	cmd := exec.Command(binary, "worker", "-job-timeout=10s", "-rescue-after=10s", "-min-retry=100ms", "-max-retry=2s")
	cmd.Env = vars
	p := proctest.Start(t, name, cmd)
	if ev := p.WaitEvent(20*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "worker started" }); ev == nil {
		t.Fatalf("%s did not start", name)
	}
	return p
}

// lmsCourse is a test LMS serving over HTTP, which knows the tool's keys
// (LTI_PRIVATE_KEY of the processes), and its course as a class.
type lmsCourse struct {
	platform *ltiplatform.Platform
	keyPEM   string
	class    store.Class
	subjects map[int64]string // user id → LTI subject
}

func newLMSCourse(t *testing.T, st *store.Store, students int) *lmsCourse {
	t.Helper()
	key, err := lti.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := lti.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := lti.EncodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// The tool's JWKS, where the platform checks its client assertions.
	tool := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

	ctx := context.Background()
	lms, err := st.AddLTIPlatform(ctx, store.LTIPlatform{
		Issuer: platform.Issuer(), ClientID: platform.ClientID(), Name: "Test LMS",
		AuthURL: platform.AuthURL(), TokenURL: platform.TokenURL(), JWKSURL: platform.JWKSURL(),
		Deployments: []string{platform.DeploymentID()},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &lmsCourse{platform: platform, keyPEM: pem, subjects: map[int64]string{}}
	for i := range students {
		subject := fmt.Sprintf("lms-student-%02d", i)
		res, err := st.RecordLTILaunch(ctx, store.LTILaunch{
			PlatformID: lms.ID, DeploymentID: platform.DeploymentID(),
			Issuer: platform.Issuer(), Subject: subject, Name: "Student " + subject, Email: subject + "@lms.test",
			ContextID: ltiplatform.ContextID, ContextTitle: ltiplatform.ContextTitle, Role: store.RoleStudent,
			LineItemsURL: platform.Issuer() + "/lineitems", AGSScopes: []string{lti.ScopeLineItem, lti.ScopeScore},
		})
		if err != nil {
			t.Fatal(err)
		}
		c.class, c.subjects[res.User.ID] = res.Class, subject
	}
	return c
}

// TestLTIGradesSurviveWorkerKillsAndLMSOutage: LTI students submit quizzes
// steadily through a real `twelve web` while two `twelve worker`s send
// their grades to a test LMS over HTTP; one worker is SIGKILLed and later
// restarted, and the LMS's score endpoint answers 500 for a while. Once
// the load stops and the queue drains, the LMS holds, for every student and
// quiz, the latest class grade (scoreGiven/100) at the latest grade's time.
func TestLTIGradesSurviveWorkerKillsAndLMSOutage(t *testing.T) {
	ctx := context.Background()
	dbURL := storetest.NewURL(t)
	pool, err := store.Open(ctx, dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool)
	lms := newLMSCourse(t, st, 12)
	env := map[string]string{"DATABASE_URL": dbURL, "LTI_PRIVATE_KEY": lms.keyPEM}
	w := startWeb(t, "web", env)
	workerA := startWorker(t, "worker a", env)
	startWorker(t, "worker b", env)

	site, err := student.NewSite(w.base, secret, student.NewClient(16, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var students []student.Student
	for id, subject := range lms.subjects {
		s, err := site.SignIn(id, subject, subject+"@lms.test")
		if err != nil {
			t.Fatal(err)
		}
		students = append(students, s)
	}
	slugs := student.Slugs()[:3]

	// Steady submissions, each answering a random part of its paper
	// right, so that grades go up and down.
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, s := range students {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				a, err := site.Start(ctx, s, slugs[(i+n)%len(slugs)])
				if err != nil {
					t.Errorf("start: %v", err)
					return
				}
				for k := range a.Form {
					if strings.HasPrefix(k, quiz.FieldPrefix) && rng.IntN(3) == 0 {
						delete(a.Form, k)
					}
				}
				if _, err := site.Submit(ctx, "", a); err != nil {
					t.Errorf("submit: %v", err)
					return
				}
				acked.Add(1)
			}
		})
	}
	waitAcked := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for acked.Load() < n && !t.Failed() {
			if time.Now().After(deadline) {
				t.Fatalf("only %d submits acknowledged, waiting for %d", acked.Load(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitAcked(40)
	workerA.Signal(t, syscall.SIGKILL)
	_ = workerA.Wait(t, 10*time.Second)
	t.Logf("worker a killed after %d submits", acked.Load())
	waitAcked(80)
	if err := lms.platform.Misbehave(ltiplatform.ScoreStatus(500, 0)); err != nil {
		t.Fatal(err)
	}
	t.Logf("score endpoint failing from %d submits", acked.Load())
	waitAcked(140)
	startWorker(t, "worker a again", env)
	waitAcked(180)
	lms.platform.Clear()
	t.Logf("score endpoint back at %d submits", acked.Load())
	waitAcked(240)
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d submits acknowledged", acked.Load())

	// The queue drains: every class grade's row says sent at its time.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var behind int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM class_grades g
LEFT JOIN lti_scores s USING (class_id, user_id, quiz)
WHERE g.class_id = $1 AND (s.status IS DISTINCT FROM 'sent' OR s.graded_at <> g.updated_at)`, lms.class.ID).Scan(&behind)
		if err != nil {
			t.Fatal(err)
		}
		if behind == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d grades still not sent after the load", behind)
		}
		time.Sleep(100 * time.Millisecond)
	}
	checkLMSHoldsLatestGrades(t, pool, lms)
}

// checkLMSHoldsLatestGrades compares every class grade with the score the
// LMS recorded for its student and quiz.
func checkLMSHoldsLatestGrades(t *testing.T, pool *pgxpool.Pool, lms *lmsCourse) {
	t.Helper()
	type key struct{ lineItem, user string }
	recorded := map[key]ltiplatform.RecordedScore{}
	for _, s := range lms.platform.Scores() {
		recorded[key{s.LineItem, s.UserID}] = s
	}
	rows, err := pool.Query(context.Background(), `SELECT g.user_id, g.quiz, g.grade, g.updated_at, li.lineitem_url
FROM class_grades g JOIN lti_lineitems li USING (class_id, quiz)
WHERE g.class_id = $1 ORDER BY g.user_id, g.quiz`, lms.class.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	checked := 0
	for rows.Next() {
		var user int64
		var quizSlug, lineItem string
		var grade float64
		var at time.Time
		if err := rows.Scan(&user, &quizSlug, &grade, &at, &lineItem); err != nil {
			t.Fatal(err)
		}
		checked++
		s, ok := recorded[key{lineItem, lms.subjects[user]}]
		switch {
		case !ok:
			t.Errorf("%s %s: the LMS has no score", lms.subjects[user], quizSlug)
		case s.ScoreGiven == nil || math.Abs(*s.ScoreGiven/100-grade) > 1e-9:
			t.Errorf("%s %s: the LMS has %v/100, the class grade is %v", lms.subjects[user], quizSlug, s.ScoreGiven, grade)
		case !s.Timestamp.Equal(at):
			t.Errorf("%s %s: the LMS's score is of %v, the latest grade of %v", lms.subjects[user], quizSlug, s.Timestamp, at)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if checked == 0 || checked != len(recorded) {
		t.Errorf("%d class grades, %d scores at the LMS: want as many, and some", checked, len(recorded))
	}
	t.Logf("%d grades at the LMS match the class grades", checked)
}

// TestWorkerSIGTERMFinishesRunningJob: SIGTERM reaches a worker while it
// waits on a slow LMS: it fetches nothing more, lets the running job
// deliver its grade, leaves the formation and exits 0.
func TestWorkerSIGTERMFinishesRunningJob(t *testing.T) {
	ctx := context.Background()
	dbURL := storetest.NewURL(t)
	pool, err := store.Open(ctx, dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool)
	lms := newLMSCourse(t, st, 1)
	var user int64
	for id := range lms.subjects {
		user = id
	}
	if err := lms.platform.Misbehave(ltiplatform.ScoreDelay(3*time.Second, 1)); err != nil {
		t.Fatal(err)
	}
	a := store.NewAttempt{
		Attempt: store.Attempt{ID: "00000000-0000-4000-8000-000000000001", UserID: user, Quiz: "config", ClassID: lms.class.ID,
			Version: "v1", Seed: 1, StartedAt: time.Now().Add(-time.Minute), Score: 1, MaxScore: 2},
		VersionBody: []byte(`{"slug":"config"}`),
	}
	if _, _, err := st.SaveAttempt(ctx, a, quiz.DefaultSettings()); err != nil {
		t.Fatal(err)
	}
	worker := startWorker(t, "worker", map[string]string{"DATABASE_URL": dbURL, "LTI_PRIVATE_KEY": lms.keyPEM})
	deadline := time.Now().Add(time.Minute)
	for {
		var running int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state = 'running'`).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job never ran")
		}
		time.Sleep(10 * time.Millisecond)
	}
	worker.Signal(t, syscall.SIGTERM)
	if err := worker.Wait(t, 30*time.Second); err != nil {
		t.Fatalf("worker exit after SIGTERM: %v, want 0", err)
	}
	var status string
	var processes int
	if err := pool.QueryRow(ctx, `SELECT status, (SELECT count(*) FROM processes) FROM lti_scores`).Scan(&status, &processes); err != nil {
		t.Fatal(err)
	}
	if status != store.LTIScoreSent {
		t.Errorf("after the graceful stop the grade is %s, want sent by the running job", status)
	}
	if processes != 0 {
		t.Errorf("%d processes left in the formation, want the stopped worker gone", processes)
	}
	if len(lms.platform.Scores()) != 1 {
		t.Errorf("the LMS holds %d scores, want 1", len(lms.platform.Scores()))
	}
}
