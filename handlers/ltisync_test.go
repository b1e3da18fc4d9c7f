package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/live"
	"github.com/twelve-course/twelve/store"
)

// makeLMSCourse makes class an LMS course of a platform.
func makeLMSCourse(t *testing.T, st *store.Store, class int64) {
	t.Helper()
	_, err := st.Pool().Exec(context.Background(), `
WITH p AS (
  INSERT INTO lti_platforms (issuer, client_id, auth_url, token_url, jwks_url, via)
  VALUES ('https://lms.example.test', 'tool-' || $1::bigint::text, 'https://lms.example.test/auth', 'https://lms.example.test/token', 'https://lms.example.test/jwks', 'admin')
  RETURNING id)
INSERT INTO lti_contexts (platform_id, deployment_id, context_id, class_id, lineitems_url)
SELECT id, 'd1', 'course-' || $1::bigint::text, $1, 'https://lms.example.test/lineitems' FROM p`, class)
	if err != nil {
		t.Fatal(err)
	}
}

// setScore writes a sync status row for user's quiz in class.
func setScore(t *testing.T, st *store.Store, class, user int64, quiz, status, errText string, grade *float64) {
	t.Helper()
	_, err := st.Pool().Exec(context.Background(), `
INSERT INTO lti_scores (class_id, user_id, quiz, status, graded_at, grade, sent_at, error, tries)
VALUES ($1, $2, $3, $4, now(), $5, CASE WHEN $4 = 'sent' THEN now() END, $6, 2)`, class, user, quiz, status, grade, errText)
	if err != nil {
		t.Fatal(err)
	}
}

func parsePage(t *testing.T, w interface{ Result() *http.Response }) testDoc {
	t.Helper()
	root, err := html.Parse(w.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return testDoc{root}
}

func TestLMSSyncPage(t *testing.T) {
	a := newClassPagesApp(t)
	ctx := context.Background()
	base := "/instructor/classes/cs101"

	// A class that is no LMS course has no such page, nor a link to it.
	if w := a.get(&a.ivy, base+"/lms"); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "not an LMS course") {
		t.Errorf("GET /lms of a plain class = %d, want 404 saying it is not an LMS course", w.Code)
	}
	if doc := parsePage(t, a.get(&a.ivy, base)); len(doc.all("class-lms-link")) != 0 {
		t.Error("a plain class's page links to an LMS page")
	}

	makeLMSCourse(t, a.store, a.cs101.ID)
	if doc := parsePage(t, a.get(&a.ivy, base)); nodeAttr(doc.one(t, "class-lms-link"), "href") != base+"/lms" {
		t.Error("an LMS course's class page does not link to its LMS page")
	}
	half := 0.5
	setScore(t, a.store, a.cs101.ID, a.sam.id, "config", store.LTIScoreSent, "", &half)
	setScore(t, a.store, a.cs101.ID, a.sam.id, "logs", store.LTIScoreFailed, "the LMS answered 403: <b>no</b> scores", nil)
	setScore(t, a.store, a.cs101.ID, a.tom.id, "config", store.LTIScorePending, "the LMS answered 503: busy", nil)

	w := a.get(&a.tom, base+"/lms") // a TA reads it
	if w.Code != http.StatusOK {
		t.Fatalf("GET /lms = %d", w.Code)
	}
	body := w.Body.String()
	if strings.Contains(body, "<b>no</b>") {
		t.Error("the platform's message was not escaped")
	}
	doc := parsePage(t, w)
	if got := nodeText(doc.one(t, "no-worker")); got != live.NoWorkerWarning {
		t.Errorf("warning = %q, want %q", got, live.NoWorkerWarning)
	}
	if got := nodeText(doc.one(t, "lms-counts")); !strings.HasPrefix(got, "1 grade sent, 1 grade waiting, 1 grade refused") {
		t.Errorf("counts = %q", got)
	}
	if len(doc.all("lms-retry")) != 0 {
		t.Error("a TA sees the retry button, which only instructors may use")
	}
	rows := doc.all("lms-grade-row")
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	details := map[string]string{}
	for _, r := range rows {
		details[nodeAttr(r, "data-status")] = nodeText(byTestID(r, "lms-detail")[0])
		if nodeAttr(r, "data-status") == store.LTIScoreSent && !strings.Contains(nodeText(r), "50%") {
			t.Errorf("sent row %q does not show the grade sent", nodeText(r))
		}
	}
	if details[store.LTIScoreFailed] != "the LMS answered 403: <b>no</b> scores" {
		t.Errorf("failed row's detail = %q, want the platform's message", details[store.LTIScoreFailed])
	}
	if !strings.Contains(details[store.LTIScorePending], "503: busy") {
		t.Errorf("pending row's detail = %q, want the last error", details[store.LTIScorePending])
	}

	// With a worker beating, no warning; the instructor retries.
	err := a.store.Beat(ctx, store.Process{ID: "worker.1.aa", Kind: "worker", Host: "worker.1", PID: 7, StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	doc = parsePage(t, a.get(&a.ivy, base+"/lms"))
	if len(doc.all("no-worker")) != 0 {
		t.Error("the no-worker warning shows while a worker beats")
	}
	if nodeAttr(doc.one(t, "lms-retry"), "action") != base+"/lms/retry" {
		t.Error("the instructor has no retry button")
	}
	w = a.post(&a.ivy, base+"/lms/retry", nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != base+"/lms?done=retried&n=1" {
		t.Fatalf("POST retry = %d → %q", w.Code, w.Header().Get("Location"))
	}
	var jobs int
	if err := a.store.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'lti_score' AND args->>'quiz' = 'logs'`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != 1 {
		t.Errorf("%d jobs queued by the retry, want 1", jobs)
	}
	doc = parsePage(t, a.get(&a.ivy, base+"/lms?done=retried&n=1"))
	if got := nodeText(doc.one(t, "class-notice")); !strings.HasPrefix(got, "1 refused grade is waiting") {
		t.Errorf("notice = %q", got)
	}
	if len(doc.all("lms-retry")) != 0 {
		t.Error("the retry button shows with nothing refused")
	}
}
