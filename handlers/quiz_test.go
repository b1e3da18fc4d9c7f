package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

const quizTestKey = "quiz-test-secret-0123456789abcdef-0123"

// quizApp is the real router on a real database, with helpers to act as a
// signed-in student.
type quizApp struct {
	t      testing.TB
	e      *echo.Echo
	store  *store.Store
	cookie *auth.Cookies
	dbURL  string
	logs   *proctest.Output
}

// newQuizApp is the app on dbURL ("" for a fresh database) serving course
// (nil for the embedded one), with env over its settings; wire, if given,
// makes last changes to its dependencies.
func newQuizApp(t testing.TB, dbURL string, course *content.Course, env map[string]string, wire ...func(*Deps)) *quizApp {
	t.Helper()
	vars := map[string]string{"SECRET_KEY": quizTestKey, "INSTRUCTOR_EMAILS": "ines@example.edu"}
	for k, v := range env {
		vars[k] = v
	}
	o := appOptions{dbURL: dbURL, poolSize: 25, course: course, env: vars}
	if len(wire) > 0 {
		o.wire = wire[0]
	}
	a := newTestApp(t, o)
	return &quizApp{t: t, e: a.e, store: a.store, cookie: mustCookies(t, a.cfg.SecretKeys...), dbURL: a.dbURL, logs: a.logs}
}

// student is a signed-in person: a users row and an identity cookie.
type student struct {
	id     int64
	cookie *http.Cookie
}

func (a *quizApp) signIn(subject, email string) student {
	a.t.Helper()
	u, err := a.store.UpsertUser(context.Background(), "https://idp.test", subject, email, subject)
	if err != nil {
		a.t.Fatal(err)
	}
	value, err := a.cookie.EncodeIdentity(auth.Identity{
		UserID: u.ID, Issuer: "https://idp.test", Subject: subject, Name: subject, Email: email,
		EmailVerified: true, SignedInAt: time.Now(), IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour),
	})
	if err != nil {
		a.t.Fatal(err)
	}
	return student{id: u.ID, cookie: &http.Cookie{Name: auth.IdentityCookie, Value: value}}
}

func (a *quizApp) get(s *student, path string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	if s != nil {
		r.AddCookie(s.cookie)
	}
	return serve(a.e, r)
}

// post sends form as s, with header's name, value pairs; without them it
// is a request from no browser (neither Sec-Fetch-Site nor Origin).
func (a *quizApp) post(s *student, path string, form url.Values, header ...string) *httptest.ResponseRecorder {
	return a.postFrom("", s, path, form, header...)
}

// postFrom is post from the peer address addr (httptest's default when "").
func (a *quizApp) postFrom(addr string, s *student, path string, form url.Values, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	if addr != "" {
		r.RemoteAddr = addr
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	if s != nil {
		r.AddCookie(s.cookie)
	}
	return serve(a.e, r)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// start opens the quiz and returns the attempt form's address and token.
func (a *quizApp) start(s student, slug string) (string, string) {
	a.t.Helper()
	w := a.get(&s, "/lessons/"+slug+"/quiz")
	if w.Code != http.StatusSeeOther {
		a.t.Fatalf("GET quiz = %d, want 303 to the attempt form; body:\n%s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	u, err := url.Parse(loc)
	if err != nil || u.Query().Get("attempt") == "" {
		a.t.Fatalf("Location %q carries no attempt token", loc)
	}
	return loc, u.Query().Get("attempt")
}

// rightAnswers answers every question of the token's paper correctly.
func rightAnswers(t testing.TB, q *quiz.Quiz, token string) url.Values {
	t.Helper()
	s, _ := quiz.NewSigner([][]byte{[]byte(quizTestKey)})
	tok, err := s.Decode(token, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"attempt": {token}}
	for _, it := range q.Paper(tok.Seed).Items {
		for k, v := range (quiz.Answers{it.Question.ID: it.Question.RightAnswer()}).Form() {
			form[k] = v
		}
	}
	return form
}

func (a *quizApp) count(sql string, args ...any) int {
	a.t.Helper()
	var n int
	if err := a.store.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// testIDs returns the data-testid and data-question values in document order.
func questionIDs(t *testing.T, body string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		for _, at := range n.Attr {
			if at.Key == "data-question" {
				ids = append(ids, at.Val)
			}
		}
	}
	return ids
}

func TestStartQuizWritesNothingAndKeepsItsPaper(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ada := a.signIn("ada", "ada@example.edu")
	if w := a.get(nil, "/lessons/config/quiz"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login?next=") {
		t.Errorf("signed out: %d to %q, want a redirect to sign in", w.Code, w.Header().Get("Location"))
	}
	form, _ := a.start(ada, "config")
	first := a.get(&ada, form)
	if first.Code != http.StatusOK {
		t.Fatalf("GET form = %d", first.Code)
	}
	ids := questionIDs(t, first.Body.String())
	if len(ids) != 8 {
		t.Errorf("form shows %d questions, want the default draw of 8", len(ids))
	}
	again := questionIDs(t, a.get(&ada, form).Body.String())
	if strings.Join(ids, ",") != strings.Join(again, ",") {
		t.Errorf("reloading the same attempt changed its questions:\n%v\n%v", ids, again)
	}
	if n := a.count(`SELECT (SELECT count(*) FROM attempts) + (SELECT count(*) FROM responses) + (SELECT count(*) FROM grades)`); n != 0 {
		t.Errorf("starting a quiz wrote %d rows, want none", n)
	}
	if w := a.get(&ada, "/lessons/no-such-lesson/quiz"); w.Code != http.StatusNotFound {
		t.Errorf("unknown quiz = %d, want 404", w.Code)
	}
}

func TestSubmitStoresOneAttemptAndReviews(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	q, _ := courseQuizzes(t)["config"], 0
	ada := a.signIn("ada", "ada@example.edu")
	_, token := a.start(ada, "config")
	answers := rightAnswers(t, q, token)

	const submits = 20
	locations := make(chan string, submits)
	var wg sync.WaitGroup
	for range submits {
		wg.Go(func() {
			// As a browser sends the form from the quiz page.
			w := a.post(&ada, "/lessons/config/quiz", answers, "Sec-Fetch-Site", "same-origin", "Origin", "http://example.com")
			if w.Code != http.StatusSeeOther {
				t.Errorf("submit = %d:\n%s", w.Code, w.Body)
			}
			locations <- w.Header().Get("Location")
		})
	}
	wg.Wait()
	close(locations)
	var loc string
	for l := range locations {
		if loc == "" {
			loc = l
		}
		if l != loc || !strings.HasPrefix(l, "/attempts/") {
			t.Errorf("submission redirected to %q, want the one attempt %q", l, loc)
		}
	}
	if n := a.count(`SELECT count(*) FROM attempts`); n != 1 {
		t.Fatalf("%d attempts after %d submissions of one token, want 1", n, submits)
	}
	if n := a.count(`SELECT count(*) FROM responses`); n != 8 {
		t.Errorf("%d responses, want 8", n)
	}
	if n := a.count(`SELECT count(*) FROM attempts WHERE score = max_score AND max_score = 8`); n != 1 {
		t.Error("all-right answers did not score 8/8")
	}

	review := a.get(&ada, loc)
	if review.Code != http.StatusOK || !strings.Contains(review.Body.String(), `data-testid="attempt-score">8 / 8 (100%)`) {
		t.Errorf("review = %d, lacks the score:\n%s", review.Code, review.Body)
	}
	if !strings.Contains(review.Body.String(), "right answer") {
		t.Error("passing student does not see right answers (default review: after passing)")
	}
	brook := a.signIn("brook", "brook@example.edu")
	if w := a.get(&brook, loc); w.Code != http.StatusForbidden {
		t.Errorf("another student's review = %d, want 403", w.Code)
	}
	ines := a.signIn("ines", "ines@example.edu")
	if w := a.get(&ines, loc); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `data-testid="review-student"`) {
		t.Errorf("instructor review = %d, want 200 naming the student", w.Code)
	}
	home := a.get(&ada, "/").Body.String()
	if !strings.Contains(home, `data-testid="progress"`) || !strings.Contains(home, "Passed") {
		t.Errorf("home page does not show the passed config quiz:\n%s", home)
	}
	if strings.Contains(a.get(nil, "/").Body.String(), `data-testid="progress"`) {
		t.Error("signed-out home page shows progress")
	}
	me := a.get(&ada, "/me")
	if !strings.Contains(me.Body.String(), `data-lesson="config"`) || !strings.Contains(me.Body.String(), `<span data-testid="grade">100%</span>`) {
		t.Errorf("/me lacks the config grade:\n%s", me.Body)
	}
}

func TestSubmitBadInputChangesNothing(t *testing.T) {
	course := embeddedCourse(t)
	quizzes := course.Quizzes()
	limited, timed := quizzes["logs"], quizzes["codebase"]
	limited.Settings.AttemptLimit = 1
	timed.Settings.TimeLimit = time.Minute
	timed.Settings.Grace = 0
	a := newQuizApp(t, "", course, nil)
	ada := a.signIn("ada", "ada@example.edu")
	brook := a.signIn("brook", "brook@example.edu")
	signer, _ := quiz.NewSigner([][]byte{[]byte(quizTestKey)})
	foreign, _ := quiz.NewSigner([][]byte{[]byte("another-site-secret-0123456789abcdef")})

	// An attempt whose paper has a numeric question (config's bank has one).
	var token string
	for range 100 {
		_, token = a.start(ada, "config")
		tok, _ := signer.Decode(token, time.Now())
		if hasType(quizzes["config"].Paper(tok.Seed), quiz.Numeric) {
			break
		}
	}
	good := rightAnswers(t, quizzes["config"], token)
	with := func(changes map[string][]string) url.Values {
		f := cloneValues(good)
		for k, v := range changes {
			if v == nil {
				f.Del(k)
			} else {
				f[k] = v
			}
		}
		return f
	}
	tok, _ := signer.Decode(token, time.Now())
	oldTok := tok
	oldTok.Started = time.Now().Add(-quiz.TokenLifetime - time.Hour)
	expired, _ := signer.Encode(oldTok)
	forged, _ := foreign.Encode(tok)
	paper := quizzes["config"].Paper(tok.Seed)
	var numericID, choiceID string
	for _, it := range paper.Items {
		switch it.Question.Type {
		case quiz.Numeric:
			numericID = it.Question.ID
		case quiz.Single:
			choiceID = it.Question.ID
		}
	}
	var notOnPaper string
	for _, qu := range quizzes["config"].Questions {
		if _, on := paper.Find(qu.ID); !on {
			notOnPaper = qu.ID
		}
	}

	// Use up the limited quiz's one attempt first.
	_, logsToken := a.start(ada, "logs")
	if w := a.post(&ada, "/lessons/logs/quiz", rightAnswers(t, limited, logsToken)); w.Code != http.StatusSeeOther {
		t.Fatalf("first logs attempt = %d", w.Code)
	}
	_, timedToken := a.start(ada, "codebase")
	lateTok, _ := signer.Decode(timedToken, time.Now())
	lateTok.Started = time.Now().Add(-2 * time.Minute)
	lateTok.Deadline = lateTok.Started.Add(time.Minute)
	late, _ := signer.Encode(lateTok)

	tests := []struct {
		name   string
		who    *student
		path   string
		form   url.Values
		status int
		says   string
	}{
		{"forged token", &ada, "/lessons/config/quiz", with(map[string][]string{"attempt": {forged}}), 400, "This quiz form cannot be used"},
		{"altered token", &ada, "/lessons/config/quiz", with(map[string][]string{"attempt": {token[:len(token)-4] + "AAAA"}}), 400, "This quiz form cannot be used"},
		{"garbage token", &ada, "/lessons/config/quiz", with(map[string][]string{"attempt": {"hello"}}), 400, "This quiz form cannot be used"},
		{"no token", &ada, "/lessons/config/quiz", with(map[string][]string{"attempt": nil}), 400, "This quiz form cannot be used"},
		{"expired token", &ada, "/lessons/config/quiz", with(map[string][]string{"attempt": {expired}}), 410, "This attempt has expired"},
		{"token of another quiz", &ada, "/lessons/logs/quiz", good, 400, "This quiz form cannot be used"},
		{"another user's token", &brook, "/lessons/config/quiz", good, 403, "belongs to another account"},
		{"question not in the attempt", &ada, "/lessons/config/quiz", with(map[string][]string{"a." + notOnPaper: {"a"}}), 400, "do not fit this attempt"},
		{"option that does not exist", &ada, "/lessons/config/quiz", with(map[string][]string{"a." + choiceID: {"zz"}}), 400, "do not fit this attempt"},
		{"numeric answer not a number", &ada, "/lessons/config/quiz", with(map[string][]string{"a." + numericID: {"thirty-two"}}), 422, "is not a number"},
		{"oversized body", &ada, "/lessons/config/quiz", with(map[string][]string{"padding": {strings.Repeat("x", maxBodyBytes)}}), 413, "Too much data"},
		{"after the attempt limit", &ada, "/lessons/logs/quiz", func() url.Values {
			// Starting is refused now; a token made before (say by an
			// earlier release) is refused at submit.
			if w := a.get(&ada, "/lessons/logs/quiz"); w.Code != http.StatusConflict {
				t.Errorf("start with no attempt left = %d, want 409", w.Code)
			}
			t2, _ := signer.Encode(quiz.NewToken(limited, ada.id, time.Now()))
			return rightAnswers(t, limited, t2)
		}(), 409, "No attempts left"},
		{"past the time limit", &ada, "/lessons/codebase/quiz", url.Values{"attempt": {late}}, 409, "Time is up"},
	}
	if numericID == "" || choiceID == "" || notOnPaper == "" {
		t.Fatalf("paper lacks a numeric (%q) or single (%q) question, or the bank a spare (%q)", numericID, choiceID, notOnPaper)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := a.count(`SELECT (SELECT count(*) FROM attempts) + (SELECT count(*) FROM responses)`)
			w := a.post(tt.who, tt.path, tt.form)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if !strings.Contains(w.Body.String(), tt.says) {
				t.Errorf("page does not say %q:\n%s", tt.says, w.Body)
			}
			if after := a.count(`SELECT (SELECT count(*) FROM attempts) + (SELECT count(*) FROM responses)`); after != before {
				t.Errorf("rows went from %d to %d", before, after)
			}
		})
	}

	// A form another site makes the browser send, with the student's
	// cookie, is refused before it is read.
	for _, header := range [][]string{
		{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "same-site", "Origin", "http://other.example.com"},
		{"Origin", "https://evil.example"}, // a browser without Sec-Fetch-Site
	} {
		t.Run(fmt.Sprintf("cross-site %v", header), func(t *testing.T) {
			before := a.count(`SELECT (SELECT count(*) FROM attempts) + (SELECT count(*) FROM responses)`)
			w := a.post(&ada, "/lessons/config/quiz", good, header...)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "This form came from another site") {
				t.Errorf("status = %d, want 403 and the cross-site page:\n%s", w.Code, w.Body)
			}
			if after := a.count(`SELECT (SELECT count(*) FROM attempts) + (SELECT count(*) FROM responses)`); after != before {
				t.Errorf("rows went from %d to %d", before, after)
			}
		})
	}
}

func hasType(p quiz.Paper, typ quiz.Type) bool {
	for _, it := range p.Items {
		if it.Question.Type == typ {
			return true
		}
	}
	return false
}

func TestSubmitGradesAgainstTheVersionSeen(t *testing.T) {
	dbURL := storetest.NewURL(t)
	c1 := embeddedCourse(t)
	v1 := c1.Quizzes()
	before := newQuizApp(t, dbURL, c1, nil)
	ada := before.signIn("ada", "ada@example.edu")
	_, token := before.start(ada, "config")
	answers := rightAnswers(t, v1["config"], token)

	// A redeploy changes the quiz: every question now has a new prompt.
	c2 := embeddedCourse(t)
	changed, _ := c2.Quiz("config")
	changed.Questions = append([]quiz.Question(nil), changed.Questions...)
	for i := range changed.Questions {
		changed.Questions[i].Prompt += " (revised)"
	}
	if err := changed.Seal(); err != nil {
		t.Fatal(err)
	}
	after := newQuizApp(t, dbURL, c2, nil)
	// The old release stored its versions at start (cmd/twelve does this).
	body, _ := v1["config"].Body()
	if err := before.store.SaveQuizVersions(context.Background(), []store.QuizVersion{{Hash: v1["config"].Version, Quiz: "config", Body: body}}); err != nil {
		t.Fatal(err)
	}
	w := after.post(&ada, "/lessons/config/quiz", answers)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("submit after the content changed = %d:\n%s", w.Code, w.Body)
	}
	var version string
	var score float64
	if err := after.store.Pool().QueryRow(context.Background(), `SELECT version, score FROM attempts`).Scan(&version, &score); err != nil {
		t.Fatal(err)
	}
	if version != v1["config"].Version || score != 8 {
		t.Errorf("stored version %s score %v, want the version seen %s and 8", version, score, v1["config"].Version)
	}
	review := after.get(&ada, w.Header().Get("Location"))
	if strings.Contains(review.Body.String(), "(revised)") {
		t.Error("review shows the new version's text, not what the student saw")
	}
}

func TestSignedOutSubmitIsKeptThroughSignIn(t *testing.T) {
	a := newQuizApp(t, "", nil, nil)
	ada := a.signIn("ada", "ada@example.edu")
	_, token := a.start(ada, "config")
	answers := rightAnswers(t, courseQuizzes(t)["config"], token)

	// The identity cookie is gone (expired, or signed out in another tab).
	w := a.post(nil, "/lessons/config/quiz", answers)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next="+url.QueryEscape("/lessons/config/quiz/resume") {
		t.Fatalf("signed-out submit = %d to %q, want a redirect to sign in and resume", w.Code, w.Header().Get("Location"))
	}
	var pending *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == pendingCookie {
			pending = c
		}
	}
	if pending == nil || !pending.HttpOnly || pending.Path != "/lessons/config/quiz" || len(pending.Value) > pendingMaxBytes {
		t.Fatalf("pending cookie = %+v", pending)
	}
	if n := a.count(`SELECT count(*) FROM attempts`); n != 0 {
		t.Fatalf("%d attempts stored while signed out", n)
	}

	// Signed in again, the student sees their answers, then submits.
	r := httptest.NewRequest("GET", "/lessons/config/quiz/resume", nil)
	r.AddCookie(ada.cookie)
	r.AddCookie(pending)
	resumed := serve(a.e, r)
	if resumed.Code != http.StatusOK || !strings.Contains(resumed.Body.String(), `data-testid="quiz-notice"`) {
		t.Fatalf("resume = %d:\n%s", resumed.Code, resumed.Body)
	}
	if got := strings.Count(resumed.Body.String(), " checked"); got < 5 {
		t.Errorf("resumed form has %d checked inputs; the answers were not kept", got)
	}
	for range 2 {
		if w := a.post(&ada, "/lessons/config/quiz", answers); w.Code != http.StatusSeeOther {
			t.Fatalf("submit after signing in = %d", w.Code)
		}
	}
	if n := a.count(`SELECT count(*) FROM attempts`); n != 1 {
		t.Errorf("%d attempts, want exactly 1", n)
	}

	// Someone else signing in cannot take the held submission.
	brook := a.signIn("brook", "brook@example.edu")
	r = httptest.NewRequest("GET", "/lessons/config/quiz/resume", nil)
	r.AddCookie(brook.cookie)
	r.AddCookie(pending)
	if w := serve(a.e, r); w.Code != http.StatusForbidden {
		t.Errorf("resume as another user = %d, want 403", w.Code)
	}
}

func TestGradingMethodOnMe(t *testing.T) {
	course := embeddedCourse(t)
	latest, _ := course.Quiz("logs")
	latest.Settings.Grading = quiz.Latest
	a := newQuizApp(t, "", course, nil)
	ada := a.signIn("ada", "ada@example.edu")
	_, t1 := a.start(ada, "logs")
	a.post(&ada, "/lessons/logs/quiz", rightAnswers(t, latest, t1))
	_, t2 := a.start(ada, "logs")
	a.post(&ada, "/lessons/logs/quiz", url.Values{"attempt": {t2}}) // blank: 0%
	me := a.get(&ada, "/me").Body.String()
	if !strings.Contains(me, `<span data-testid="grade">0%</span> <span class="muted">(latest)</span>`) {
		t.Errorf("/me does not grade logs by its latest attempt:\n%s", me)
	}
	if n := a.count(`SELECT attempts FROM grades WHERE quiz = 'logs' AND user_id = $1`, ada.id); n != 2 {
		t.Errorf("grade row counts %d attempts", n)
	}
}
