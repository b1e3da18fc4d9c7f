// Package student simulates students of a running Twelve site over real
// HTTP, for the load generator (internal/cmd/loadgen) and the reliability
// tests (tests/reliability). Each student has its own identity cookie, minted
// with the site's SECRET_KEY the way a sign-in would; each attempt carries
// the signed token the site handed out. Like any client that is not a
// browser it sends neither Sec-Fetch-Site nor Origin, which the site's
// cross-origin check lets through.
package student

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
)

// Issuer is the identity provider simulated students come from.
const Issuer = "https://students.bench.test"

// Student is one signed-in student.
type Student struct {
	ID     int64
	Email  string
	cookie string // identity cookie value
}

// Attempt is a started quiz: the token the site handed out and a filled-in
// form to submit.
type Attempt struct {
	Student Student
	Slug    string
	ID      string // the attempt id inside the token
	Token   string
	Form    url.Values
}

// Site is a running Twelve site and the secret it signs with.
type Site struct {
	Base    string // e.g. http://127.0.0.1:8080
	Client  *http.Client
	cookies *auth.Cookies
	signer  *quiz.Signer
	quizzes map[string]*quiz.Quiz
}

// NewSite prepares students for the site at base, which runs with secret
// as its SECRET_KEY. client must not follow redirects; nil makes one.
func NewSite(base, secret string, client *http.Client) (*Site, error) {
	signer, err := quiz.NewSigner([][]byte{[]byte(secret)})
	if err != nil {
		return nil, err
	}
	cookies, err := auth.NewCookies([][]byte{[]byte(secret)})
	if err != nil {
		return nil, err
	}
	course, err := content.Load(content.Embedded())
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = NewClient(64, 10*time.Second)
	}
	return &Site{Base: strings.TrimSuffix(base, "/"), Client: client, cookies: cookies,
		signer: signer, quizzes: course.Quizzes()}, nil
}

// NewClient is an HTTP client that keeps up to conns connections to a site
// open, never follows redirects and gives up on a request after timeout.
func NewClient(conns int, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute},
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Slugs are the quizzes students can take, in course order.
func Slugs() []string { return content.Slugs() }

// Create records n students (users rows, as their first sign-in would)
// whose subjects start with prefix, and signs each in.
func (s *Site) Create(ctx context.Context, st *store.Store, prefix string, n int) ([]Student, error) {
	out := make([]Student, 0, n)
	for i := range n {
		subject := fmt.Sprintf("%s-%d", prefix, i)
		email := subject + "@students.bench.test"
		u, err := st.UpsertUser(ctx, Issuer, subject, email, "Student "+subject)
		if err != nil {
			return nil, err
		}
		stu, err := s.SignIn(u.ID, subject, email)
		if err != nil {
			return nil, err
		}
		out = append(out, stu)
	}
	return out, nil
}

// SignIn mints the identity cookie of user id, as the site's sign-in does.
func (s *Site) SignIn(id int64, subject, email string) (Student, error) {
	v, err := s.cookies.EncodeIdentity(auth.Identity{
		UserID: id, Issuer: Issuer, Subject: subject, Name: "Student " + subject, Email: email,
		EmailVerified: true, SignedInAt: time.Now(), IssuedAt: time.Now(), Expires: time.Now().Add(24 * time.Hour),
	})
	if err != nil {
		return Student{}, err
	}
	return Student{ID: id, Email: email, cookie: v}, nil
}

// WithIdentity is the student signed in with the identity cookie value
// the site set (after a real sign-in through its identity provider).
func (s *Site) WithIdentity(cookie string) (Student, error) {
	id, err := s.cookies.DecodeIdentity(cookie)
	if err != nil {
		return Student{}, err
	}
	return Student{ID: id.UserID, Email: id.Email, cookie: cookie}, nil
}

// Quiz is the current version of the quiz slug, as this binary holds it.
func (s *Site) Quiz(slug string) *quiz.Quiz { return s.quizzes[slug] }

// IdentityCookie is the value of the student's identity cookie.
func (st Student) IdentityCookie() string { return st.cookie }

// Header makes r the student's: its identity cookie and its own address.
func (st Student) Header(r *http.Request) {
	r.AddCookie(&http.Cookie{Name: auth.IdentityCookie, Value: st.cookie})
	r.Header.Set("X-Forwarded-For", st.Addr())
}

// Addr is the student's own client address, as a router would report it
// in X-Forwarded-For (the site believes it from a loopback peer): one
// address per student in 198.18.0.0/15, the range set aside for
// benchmarks, so that simulated students are not all one client to the
// site's rate limits.
func (st Student) Addr() string {
	id := uint32(st.ID)
	return fmt.Sprintf("198.%d.%d.%d", 18+byte(id>>16)&1, byte(id>>8), byte(id))
}

// StatusError is an unexpected answer from the site.
type StatusError struct {
	Op     string
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: status %d: %.200s", e.Op, e.Status, e.Body)
}

// Start opens the quiz slug as st, as a browser does: the site redirects
// to the form's address carrying a fresh signed attempt token. The form is
// filled in with every right answer (right, so grading does its full work).
func (s *Site) Start(ctx context.Context, st Student, slug string) (Attempt, error) {
	return s.StartAt(ctx, s.Base, st, slug)
}

// StartAt is Start through another process of the same site (base).
func (s *Site) StartAt(ctx context.Context, base string, st Student, slug string) (Attempt, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/lessons/"+slug+"/quiz", nil)
	if err != nil {
		return Attempt{}, err
	}
	st.Header(req)
	resp, err := s.Client.Do(req)
	if err != nil {
		return Attempt{}, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return Attempt{}, &StatusError{Op: "start " + slug, Status: resp.StatusCode, Body: string(body)}
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return Attempt{}, err
	}
	return s.Fill(st, slug, loc.Query().Get("attempt"))
}

// Fill makes the attempt of a token the site handed out, answered rightly.
func (s *Site) Fill(st Student, slug, token string) (Attempt, error) {
	tok, err := s.signer.Decode(token, time.Now())
	if err != nil {
		return Attempt{}, fmt.Errorf("start %s: the site's token: %w", slug, err)
	}
	q, ok := s.quizzes[slug]
	if !ok || q.Version != tok.Version {
		return Attempt{}, fmt.Errorf("start %s: the site serves another version of the quiz than this binary holds", slug)
	}
	form := url.Values{"attempt": {token}}
	for _, it := range q.Paper(tok.Seed).Items {
		for k, v := range (quiz.Answers{it.Question.ID: it.Question.RightAnswer()}).Form() {
			form[k] = v
		}
	}
	return Attempt{Student: st, Slug: slug, ID: tok.AttemptID, Token: token, Form: form}, nil
}

// ErrNotStored is a submit the site did not acknowledge as stored.
var ErrNotStored = errors.New("student: submit not acknowledged")

// Submit posts the attempt's form to the site at base (Site.Base when "").
// A nil error means the site acknowledged it: 303 to /attempts/<id>.
func (s *Site) Submit(ctx context.Context, base string, a Attempt) (int, error) {
	if base == "" {
		base = s.Base
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/lessons/"+a.Slug+"/quiz", strings.NewReader(a.Form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// Submitting is idempotent on the attempt id, so say so: Go's client
	// then resends a submit that met a connection the server had just
	// closed as idle, as it does for a GET.
	req.Header.Set("Idempotency-Key", a.ID)
	a.Student.Header(req)
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/attempts/"+a.ID {
		return resp.StatusCode, fmt.Errorf("%w: %w", ErrNotStored,
			&StatusError{Op: "submit " + a.Slug, Status: resp.StatusCode, Body: resp.Header.Get("Location") + " " + string(body)})
	}
	return resp.StatusCode, nil
}
