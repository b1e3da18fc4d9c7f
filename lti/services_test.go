package lti

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTestServices makes Services with a fresh tool key published to tp.
func newTestServices(t *testing.T, tp *testPlatform) (*Services, *clock) {
	t.Helper()
	ks, err := NewKeySet(mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	tp.mu.Lock()
	tp.toolJWKS = ks.JWKS()
	tp.mu.Unlock()
	s := NewServices(func() *KeySet { return ks }, nil)
	c := &clock{t: time.Now()}
	s.now = c.now
	return s, c
}

func (p *testPlatform) counts() (tokenCalls, serviceHits int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenCalls, p.serviceHits
}

func TestServicesTokenCached(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	s, _ := newTestServices(t, tp)
	ctx := context.Background()
	for i := range 3 {
		if _, err := s.LineItems(ctx, p, tp.srv.URL+"/lineitems", ""); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, err := s.CreateLineItem(ctx, p, tp.srv.URL+"/lineitems", LineItem{Label: "Quiz", ScoreMaximum: 100}); err != nil {
		t.Fatal(err)
	}
	if calls, _ := tp.counts(); calls != 1 {
		t.Errorf("%d token requests for four line item calls, want 1", calls)
	}
	if err := s.PostScore(ctx, p, tp.srv.URL+"/lineitems/1", Score{UserID: "u1", ScoreGiven: 1, ScoreMaximum: 1,
		Timestamp: time.Now(), ActivityProgress: "Completed", GradingProgress: "FullyGraded"}); err != nil {
		t.Fatal(err)
	}
	if calls, _ := tp.counts(); calls != 2 {
		t.Errorf("%d token requests, want 2 (a score needs its own scope)", calls)
	}
	want := []string{ScopeLineItem, ScopeScore}
	if diff := cmp.Diff(want, tp.tokenScopes); diff != "" {
		t.Errorf("token scopes (-want +got):\n%s", diff)
	}
}

// TestServicesTokenAudience: a platform that names its own audience for
// client assertions (Brightspace) gets that one, not its token URL.
func TestServicesTokenAudience(t *testing.T) {
	tp := newTestPlatform(t)
	tp.audience = "https://api.lms.example/auth/token"
	p := tp.platform()
	s, _ := newTestServices(t, tp)
	ctx := context.Background()
	if _, err := s.LineItems(ctx, p, tp.srv.URL+"/lineitems", ""); err == nil {
		t.Fatal("the token URL as the audience was accepted by a platform that names another")
	}
	p.TokenAudience = tp.audience
	s, _ = newTestServices(t, tp)
	if _, err := s.LineItems(ctx, p, tp.srv.URL+"/lineitems", ""); err != nil {
		t.Fatalf("with TokenAudience: %v", err)
	}
}

func TestServicesTokenExpiry(t *testing.T) {
	tp := newTestPlatform(t)
	tp.tokenLife = 60
	p := tp.platform()
	s, c := newTestServices(t, tp)
	ctx := context.Background()
	call := func() {
		t.Helper()
		if _, err := s.Members(ctx, p, tp.srv.URL+"/memberships"); err != nil {
			t.Fatal(err)
		}
	}
	call()
	c.advance(29 * time.Second)
	call()
	if calls, _ := tp.counts(); calls != 1 {
		t.Errorf("%d token requests 29 s into a 60 s token, want 1", calls)
	}
	c.advance(2 * time.Second) // 31 s: within 30 s of expiry
	call()
	if calls, _ := tp.counts(); calls != 2 {
		t.Errorf("%d token requests 31 s into a 60 s token, want 2", calls)
	}
}

func TestServices401Retry(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	s, _ := newTestServices(t, tp)
	ctx := context.Background()
	if _, err := s.Members(ctx, p, tp.srv.URL+"/memberships"); err != nil {
		t.Fatal(err)
	}
	tp.mu.Lock()
	tp.revokeAll = true
	tp.mu.Unlock()
	if _, err := s.Members(ctx, p, tp.srv.URL+"/memberships"); err != nil {
		t.Fatalf("after the platform dropped the token: %v", err)
	}
	if calls, _ := tp.counts(); calls != 2 {
		t.Errorf("%d token requests, want 2 (a new token after the 401)", calls)
	}

	// A platform that refuses every token: one retry, then a permanent error.
	tp.mu.Lock()
	tp.rejectAll = true
	tp.mu.Unlock()
	_, err := s.Members(ctx, p, tp.srv.URL+"/memberships")
	var se *ServiceError
	if !errors.As(err, &se) || se.Status != 401 || se.Retry {
		t.Fatalf("Members() error = %v, want a permanent 401 ServiceError", err)
	}
	if calls, _ := tp.counts(); calls != 3 {
		t.Errorf("%d token requests, want 3 (one retry only)", calls)
	}
}

func TestLineItemsPaging(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	s, _ := newTestServices(t, tp)
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		rid := "other"
		if i%2 == 1 {
			rid = "codebase"
		}
		if _, err := s.CreateLineItem(ctx, p, tp.srv.URL+"/lineitems", LineItem{Label: fmt.Sprintf("Item %d", i),
			ScoreMaximum: 100, ResourceID: rid, Tag: "twelve-quiz"}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.LineItems(ctx, p, tp.srv.URL+"/lineitems", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Fatalf("LineItems() = %d items over 3 pages, want 5: %+v", len(all), all)
	}
	for i, li := range all {
		if li.Label != fmt.Sprintf("Item %d", i+1) || li.ID == "" || li.ScoreMaximum != 100 {
			t.Errorf("item %d = %+v", i, li)
		}
	}
	tp.mu.Lock()
	tp.pageSize = 1
	tp.mu.Unlock()
	filtered, err := s.LineItems(ctx, p, tp.srv.URL+"/lineitems", "codebase")
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, li := range filtered {
		labels = append(labels, li.Label)
	}
	if diff := cmp.Diff([]string{"Item 1", "Item 3", "Item 5"}, labels); diff != "" {
		t.Errorf("LineItems(resource_id=codebase) (-want +got):\n%s", diff)
	}
}

func TestCreateLineItemRefusesEmpty(t *testing.T) {
	tp := newTestPlatform(t)
	s, _ := newTestServices(t, tp)
	if _, err := s.CreateLineItem(context.Background(), tp.platform(), tp.srv.URL+"/lineitems", LineItem{Label: "x"}); err == nil {
		t.Error("CreateLineItem without scoreMaximum: no error")
	}
	if calls, hits := tp.counts(); calls+hits != 0 {
		t.Errorf("the platform was called (%d token, %d service)", calls, hits)
	}
}

func TestPostScore(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	s, _ := newTestServices(t, tp)
	at := time.Date(2026, 12, 5, 10, 30, 0, 123456789, time.FixedZone("CET", 3600))
	err := s.PostScore(context.Background(), p, tp.srv.URL+"/lineitems/3?type_id=7", Score{UserID: "u1", ScoreGiven: 80,
		ScoreMaximum: 100, Comment: "2 attempts", Timestamp: at, ActivityProgress: "Completed", GradingProgress: "FullyGraded"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tp.scores) != 1 {
		t.Fatalf("%d scores posted, want 1", len(tp.scores))
	}
	got := tp.scores[0]
	if got.ContentType != "application/vnd.ims.lis.v1.score+json" {
		t.Errorf("Content-Type = %q", got.ContentType)
	}
	if got.Path != "/lineitems/3/scores" || got.Query != "type_id=7" {
		t.Errorf("posted to %s?%s, want /lineitems/3/scores?type_id=7", got.Path, got.Query)
	}
	want := map[string]any{"userId": "u1", "scoreGiven": 80.0, "scoreMaximum": 100.0, "comment": "2 attempts",
		"timestamp": "2026-12-05T09:30:00.123456Z", "activityProgress": "Completed", "gradingProgress": "FullyGraded"}
	if diff := cmp.Diff(want, got.Body); diff != "" {
		t.Errorf("score (-want +got):\n%s", diff)
	}
}

// TestPostScoreWholeSecond: a timestamp on a whole second still carries
// its fraction, which platforms check for.
func TestPostScoreWholeSecond(t *testing.T) {
	tp := newTestPlatform(t)
	s, _ := newTestServices(t, tp)
	at := time.Date(2026, 12, 5, 10, 30, 0, 0, time.UTC)
	if err := s.PostScore(context.Background(), tp.platform(), tp.srv.URL+"/lineitems/3", Score{UserID: "u1", ScoreGiven: 1,
		ScoreMaximum: 1, Timestamp: at, ActivityProgress: "Completed", GradingProgress: "FullyGraded"}); err != nil {
		t.Fatal(err)
	}
	if got := tp.scores[0].Body["timestamp"]; got != "2026-12-05T10:30:00.000000Z" {
		t.Errorf("timestamp = %v, want 2026-12-05T10:30:00.000000Z", got)
	}
}

func TestMembersPaging(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	for i := 1; i <= 5; i++ {
		tp.members = append(tp.members, Member{UserID: fmt.Sprintf("u%d", i), Name: fmt.Sprintf("User %d", i),
			Status: "Active", Roles: []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"}})
	}
	s, _ := newTestServices(t, tp)
	got, err := s.Members(context.Background(), p, tp.srv.URL+"/memberships")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tp.members, got); diff != "" {
		t.Errorf("Members() (-want +got):\n%s", diff)
	}
	if _, hits := tp.counts(); hits != 3 {
		t.Errorf("%d pages fetched, want 3", hits)
	}
}

func TestServiceErrors(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		retry      bool
		wantAfter  time.Duration
	}{
		{status: 400},
		{status: 403},
		{status: 404},
		{status: 422},
		{status: 429, retryAfter: "7", retry: true, wantAfter: 7 * time.Second},
		{status: 500, retry: true},
		{status: 503, retryAfter: "120", retry: true, wantAfter: 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			tp := newTestPlatform(t)
			tp.status, tp.retryAfter = tt.status, tt.retryAfter
			s, _ := newTestServices(t, tp)
			err := s.PostScore(context.Background(), tp.platform(), tp.srv.URL+"/lineitems/1",
				Score{UserID: "u1", Timestamp: time.Now(), ActivityProgress: "Completed", GradingProgress: "FullyGraded"})
			var se *ServiceError
			if !errors.As(err, &se) {
				t.Fatalf("PostScore() error = %v, want a ServiceError", err)
			}
			if se.Status != tt.status || se.Retry != tt.retry || se.RetryAfter != tt.wantAfter {
				t.Errorf("ServiceError = %+v, want status %d retry %v after %v", se, tt.status, tt.retry, tt.wantAfter)
			}
			if !strings.Contains(se.Message, fmt.Sprint("platform says ", tt.status)) {
				t.Errorf("Message = %q, want the platform's text", se.Message)
			}
		})
	}
}

func TestServiceErrorNetwork(t *testing.T) {
	tp := newTestPlatform(t)
	s, _ := newTestServices(t, tp)
	p := tp.platform()
	err := s.PostScore(context.Background(), p, "http://127.0.0.1:1/lineitems/1?secret=x",
		Score{UserID: "u1", Timestamp: time.Now()})
	var se *ServiceError
	if !errors.As(err, &se) || se.Status != 0 || !se.Retry {
		t.Fatalf("PostScore() error = %v, want a retryable network ServiceError", err)
	}
	if strings.Contains(se.Message, "secret") {
		t.Errorf("Message %q quotes the URL's query", se.Message)
	}

	p.TokenURL = "http://127.0.0.1:1/token"
	_, err = s.Members(context.Background(), p, tp.srv.URL+"/memberships")
	if !errors.As(err, &se) || se.Status != 0 || !se.Retry {
		t.Fatalf("Members() with the token endpoint down: error = %v, want a retryable ServiceError", err)
	}

	_, err = s.Members(context.Background(), tp.platform(), "http://lms.example/memberships")
	if !errors.As(err, &se) || se.Retry {
		t.Fatalf("Members() on plain http: error = %v, want a permanent ServiceError", err)
	}
}

func TestServiceErrorMessageCut(t *testing.T) {
	long := strings.Repeat("é", 400) // 800 bytes
	if got := cut(long, 500); len(got) != 500 || got != strings.Repeat("é", 250) {
		t.Errorf("cut() = %d bytes", len(got))
	}
	if got := cut("a"+long, 500); len(got) != 499 {
		t.Errorf("cut() split a rune: %d bytes", len(got))
	}
}

func TestNextLink(t *testing.T) {
	tests := []struct{ header, want string }{
		{`<https://lms.example/m?p=2>; rel="next"`, "https://lms.example/m?p=2"},
		{`<https://lms.example/m?p=1>; rel="first", <https://lms.example/m?a=1,2&p=3>; rel="next"`, "https://lms.example/m?a=1,2&p=3"},
		{`</m?p=4>; rel=next`, "https://lms.example/m?p=4"},
		{`<https://lms.example/m?p=9>; rel="prev last"`, ""},
		{``, ""},
	}
	for _, tt := range tests {
		h := map[string][]string{"Link": {tt.header}}
		if got := nextLink(h, "https://lms.example/m"); got != tt.want {
			t.Errorf("nextLink(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestServicesTokenSharedByConcurrentCalls(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	s, _ := newTestServices(t, tp)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			_, err := s.Members(context.Background(), p, tp.srv.URL+"/memberships")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if calls, _ := tp.counts(); calls != 1 {
		t.Errorf("%d token requests for ten concurrent calls, want 1", calls)
	}
}
