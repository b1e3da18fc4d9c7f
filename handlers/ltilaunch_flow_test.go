package handlers

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/store"
)

// TestLTIStudentLaunchLandsOnLesson: a student launched from the LMS on a
// lesson link lands on the lesson, signed in (no second sign-in) with the
// LMS's name; the launch made the user, the class of the LMS course and
// the student's membership; the identity cookie is one that works in the
// LMS's frame.
func TestLTIStudentLaunchLandsOnLesson(t *testing.T) {
	s := newLTISite(t, true)
	resp, body := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student", Lesson: "config"})
	wantLanded(t, resp, body, "/lessons/config", "", "Sam Student")

	var role, via, className, subject string
	err := s.app.pool.QueryRow(context.Background(), `
		SELECT m.role, m.via, c.name, u.subject FROM class_members m JOIN classes c ON c.id = m.class_id
		JOIN users u ON u.id = m.user_id`).Scan(&role, &via, &className, &subject)
	if err != nil {
		t.Fatal(err)
	}
	if role != store.RoleStudent || via != "lti" || className != ltiplatform.ContextTitle || subject != "lms-user-sam" {
		t.Errorf("membership = %s via %s in %q of %s; want student via lti in %q of lms-user-sam", role, via, className, subject, ltiplatform.ContextTitle)
	}
	id := s.cookies.last("twelve_id")
	if id == nil {
		t.Fatal("no identity cookie was set")
	}
	if id.SameSite != http.SameSiteNoneMode || !id.Secure || !id.Partitioned || !id.HttpOnly {
		t.Errorf("identity cookie = %s; want SameSite=None; Secure; Partitioned; HttpOnly (loopback is a secure context)", id)
	}
}

// TestLTIInstructorLaunchLandsOnClass: an instructor's launch of a link
// to no lesson lands on the class page of the LMS course.
func TestLTIInstructorLaunchLandsOnClass(t *testing.T) {
	s := newLTISite(t, true)
	resp, body := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "instructor"})
	if !strings.HasPrefix(resp.Request.URL.Path, "/instructor/classes/lti-") {
		t.Fatalf("landed on %s, want the class page /instructor/classes/lti-…", resp.Request.URL)
	}
	wantLanded(t, resp, body, resp.Request.URL.Path, "", "Iris Instructor")
	if !strings.Contains(body, ltiplatform.ContextTitle) {
		t.Errorf("class page does not name the class %q", ltiplatform.ContextTitle)
	}
}

// TestLTIQuizLaunchLandsOnClassQuiz: a student's launch of a quiz link
// lands on the quiz, in the LMS course's class; the TA's launch of the
// same link lands on the class's statistics of that quiz.
func TestLTIQuizLaunchLandsOnClassQuiz(t *testing.T) {
	s := newLTISite(t, true)
	o := ltiplatform.LaunchOptions{User: "student", Lesson: "config", Quiz: true}
	b := s.browser()
	resp, _ := s.submit(stepper(b), s.idTokenForm(b, o, s.lms.Issuer()))
	var slug string
	if err := s.app.pool.QueryRow(context.Background(), `SELECT slug FROM classes`).Scan(&slug); err != nil {
		t.Fatal(err)
	}
	landed := s.get(stepper(b), s.url+resp.Header.Get("Location"))
	landed.Body.Close()
	if got, want := landed.Header.Get("Location"), "/lessons/config/quiz?class="+slug; got != want {
		t.Errorf("landing = %q, want %q", got, want)
	}
	// The quiz starts (the start page moves on to the attempt it made).
	resp, body := s.read(b, s.url+"/lessons/config/quiz?class="+slug)
	wantLanded(t, resp, body, "/lessons/config/quiz", "", "Sam Student")
	if !strings.Contains(body, "<form") {
		t.Errorf("the quiz page has no form:\n%s", body)
	}

	o.User = "ta"
	resp, body = s.launch(s.browser(), o)
	wantLanded(t, resp, body, "/instructor/classes/"+slug+"/quizzes/config", "", "Theo Assistant")
}

// TestLTISecondLaunchReusesUserAndClass: launching again, and launching
// another link of the same course, adds no user and no class.
func TestLTISecondLaunchReusesUserAndClass(t *testing.T) {
	s := newLTISite(t, true)
	b := s.browser()
	s.launch(b, ltiplatform.LaunchOptions{User: "student", Lesson: "config"})
	first := s.rows()
	resp, body := s.launch(b, ltiplatform.LaunchOptions{User: "student", Lesson: "config"})
	wantLanded(t, resp, body, "/lessons/config", "", "Sam Student")
	resp, body = s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student", Lesson: "logs"})
	wantLanded(t, resp, body, "/lessons/logs", "", "Sam Student")
	again := s.rows()
	if again.users != first.users || again.classes != first.classes || again.members != first.members {
		t.Errorf("rows after more launches = %+v, want the users, classes and members of the first %+v", again, first)
	}
	if again.links != first.links+1 {
		t.Errorf("links = %d, want %d (one more link)", again.links, first.links+1)
	}
}

// TestLTILaunchDefectsChangeNothing: every defect of the LMS's id_token,
// and launches from what Twelve does not know, are answered with a 4xx
// page saying what was wrong, and write no user, class or membership.
func TestLTILaunchDefectsChangeNothing(t *testing.T) {
	s := newLTISite(t, true)
	// A good launch first: the LMS's keys are cached (as in production),
	// and ReuseNonce has a nonce to reuse.
	s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student", Lesson: "config"})
	tests := []struct {
		name   string
		spoil  ltiplatform.Misbehaviour
		user   string
		status int
		says   string
	}{
		{"expired", ltiplatform.Once(ltiplatform.ExpiredToken), "student2", 401, "it has expired"},
		{"issued in the future", ltiplatform.Once(ltiplatform.FutureIat), "student2", 401, "issued in the future"},
		{"wrong audience", ltiplatform.Once(ltiplatform.WrongAudience), "student2", 401, "meant for another tool"},
		{"several audiences, no azp", ltiplatform.Once(ltiplatform.NoAzpManyAud), "student2", 401, "no authorized party"},
		{"bad signature", ltiplatform.Once(ltiplatform.BadSignature), "student2", 401, "signature does not match"},
		{"reused nonce", ltiplatform.Once(ltiplatform.ReuseNonce), "student2", 401, "nonce does not match"},
		{"unknown deployment", ltiplatform.Once(ltiplatform.UnknownDeployment), "student2", 401, "deployment is not registered"},
		{"wrong version", ltiplatform.Once(ltiplatform.WrongVersion), "student2", 401, "LTI version"},
		{"no resource link", ltiplatform.Once(ltiplatform.MissingClaim), "student2", 401, "no resource link id"},
		{"no sub", ltiplatform.Misbehaviour{Kind: ltiplatform.MissingClaim, Claim: "sub", Times: 1}, "student2", 401, "no user (sub)"},
		{"no roles", ltiplatform.Misbehaviour{Kind: ltiplatform.MissingClaim, Claim: "https://purl.imsglobal.org/spec/lti/claim/roles", Times: 1}, "student2", 401, "no roles claim"},
		{"no deployment id", ltiplatform.Misbehaviour{Kind: ltiplatform.MissingClaim, Claim: "https://purl.imsglobal.org/spec/lti/claim/deployment_id", Times: 1}, "student2", 401, "no deployment id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.rows()
			if err := s.lms.Misbehave(tt.spoil); err != nil {
				t.Fatal(err)
			}
			resp, body := s.launch(s.browser(), ltiplatform.LaunchOptions{User: tt.user, Lesson: "config"})
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d:\n%s", resp.StatusCode, tt.status, body)
			}
			msg := page(t, body).all("error-message")
			if len(msg) != 1 || !strings.Contains(nodeText(msg[0]), tt.says) {
				t.Errorf("page does not say %q:\n%s", tt.says, body)
			}
			if after := s.rows(); after != before {
				t.Errorf("rows = %+v after the refusal, want %+v", after, before)
			}
		})
	}
}

// TestLTIKeyRotation: after the LMS rotates its signing key, a launch
// signed with the new key (whose kid Twelve has not seen) is accepted:
// Twelve fetches the LMS's keys again.
func TestLTIKeyRotation(t *testing.T) {
	s := newLTISite(t, true)
	s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student", Lesson: "config"})
	if err := s.lms.Misbehave(ltiplatform.Misbehaviour{Kind: ltiplatform.RotateKeys}); err != nil {
		t.Fatal(err)
	}
	resp, body := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student2", Lesson: "config"})
	wantLanded(t, resp, body, "/lessons/config", "", "Ria Learner")
}

// TestLTIJWKSDown: when the LMS's keys cannot be fetched, the launch is a
// 502 page naming the LMS, and nothing is written.
func TestLTIJWKSDown(t *testing.T) {
	s := newLTISite(t, true)
	if err := s.lms.Misbehave(ltiplatform.Misbehaviour{Kind: ltiplatform.JWKSDown}); err != nil {
		t.Fatal(err)
	}
	before := s.rows()
	resp, body := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student", Lesson: "config"})
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status = %d, want 502:\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, "Test LMS") {
		t.Errorf("502 page does not name the LMS:\n%s", body)
	}
	if after := s.rows(); after != before {
		t.Errorf("rows = %+v, want %+v", after, before)
	}
}

// TestLTIUnregistered: a login from an issuer, or a client id, Twelve does
// not know is a 400 saying so, and so is one naming a deployment Twelve
// was not told of (an id_token from one: TestLTILaunchDefectsChangeNothing).
func TestLTIUnregistered(t *testing.T) {
	t.Run("issuer", func(t *testing.T) {
		s := newLTISite(t, false)
		resp, body := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student"})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "This LMS is not registered with Twelve") {
			t.Errorf("status = %d, want 400 saying the LMS is not registered:\n%s", resp.StatusCode, body)
		}
		if r := s.rows(); r.users != 0 || r.classes != 0 {
			t.Errorf("rows = %+v, want none", r)
		}
	})
	t.Run("client", func(t *testing.T) {
		s := newLTISite(t, false)
		s.register("another-client", s.lms.DeploymentID())
		resp, body := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student"})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "This LMS is not registered with Twelve") {
			t.Errorf("status = %d, want 400 saying the LMS is not registered:\n%s", resp.StatusCode, body)
		}
	})
	t.Run("deployment", func(t *testing.T) {
		s := newLTISite(t, false)
		s.register(s.lms.ClientID(), "another-deployment")
		resp, body := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student"})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "deployment of Twelve in your LMS is not registered") {
			t.Errorf("status = %d, want 400 saying the deployment is unknown:\n%s", resp.StatusCode, body)
		}
		if r := s.rows(); r.users != 0 || r.classes != 0 {
			t.Errorf("rows = %+v, want none", r)
		}
	})
	t.Run("login without iss", func(t *testing.T) {
		s := newLTISite(t, true)
		resp := s.get(s.browser(), s.url+"/lti/login?login_hint=x&target_link_uri=y")
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
	})
}

// TestLTIReplayRefused: the same id_token posted again is refused, both
// when the browser's flow is gone (the first launch used it) and when the
// flow cookie is put back: then the nonce, used once across every
// process, refuses it.
func TestLTIReplayRefused(t *testing.T) {
	s := newLTISite(t, true)
	t.Run("flow used", func(t *testing.T) {
		resp, body := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student", Lesson: "config", Replay: true})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no launch in progress") {
			t.Errorf("replay = %d, want 400 (no launch in progress):\n%s", resp.StatusCode, body)
		}
	})
	t.Run("flow cookie put back", func(t *testing.T) {
		b := s.browser()
		form := s.idTokenForm(b, ltiplatform.LaunchOptions{User: "student", Lesson: "config"}, s.lms.Issuer())
		launchURL, _ := url.Parse(s.url + "/lti/launch")
		saved := b.Jar.Cookies(launchURL)
		resp, _ := s.submit(stepper(b), form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("first post = %d, want 303", resp.StatusCode)
		}
		before := s.rows()
		b.Jar.SetCookies(launchURL, saved)
		resp, body := s.submit(stepper(b), form)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "used already") {
			t.Errorf("replay = %d, want 401 (used already):\n%s", resp.StatusCode, body)
		}
		if after := s.rows(); after != before {
			t.Errorf("rows = %+v, want %+v", after, before)
		}
	})
}

// TestLTIStateChecked: an id_token posted with another launch's state, or
// in a browser without the flow cookie, is a 400 and changes nothing.
func TestLTIStateChecked(t *testing.T) {
	s := newLTISite(t, true)
	tests := []struct {
		name   string
		change func(b *http.Client, f *ltiplatform.Form)
		says   string
	}{
		{"state of another launch", func(_ *http.Client, f *ltiplatform.Form) {
			st := f.Values.Get("state")
			f.Values.Set("state", st[:8]+strings.Repeat("A", len(st)-8))
		}, "belongs to another launch"},
		{"unknown state", func(_ *http.Client, f *ltiplatform.Form) { f.Values.Set("state", "ZZZZZZZZZZZZ") }, "no launch in progress"},
		{"no flow cookie", func(b *http.Client, _ *ltiplatform.Form) {
			jar, _ := cookiejar.New(nil)
			b.Jar = jar
		}, "no launch in progress"},
		{"no state", func(_ *http.Client, f *ltiplatform.Form) { f.Values.Del("state") }, "lacks its id_token or state"},
		{"no id_token", func(_ *http.Client, f *ltiplatform.Form) { f.Values.Del("id_token") }, "lacks its id_token or state"},
		{"the LMS's error", func(_ *http.Client, f *ltiplatform.Form) {
			f.Values = url.Values{"error": {"login_required"}, "error_description": {"<b>sign in</b>"}, "state": f.Values["state"]}
		}, "login_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.rows()
			b := s.browser()
			form := s.idTokenForm(b, ltiplatform.LaunchOptions{User: "student2", Lesson: "config"}, s.lms.Issuer())
			tt.change(b, &form)
			resp, body := s.submit(stepper(b), form)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.says) {
				t.Errorf("status = %d, want 400 saying %q:\n%s", resp.StatusCode, tt.says, body)
			}
			if strings.Contains(body, "<b>sign in</b>") {
				t.Error("the LMS's text was not escaped")
			}
			if after := s.rows(); after != before {
				t.Errorf("rows = %+v, want %+v", after, before)
			}
		})
	}
}
