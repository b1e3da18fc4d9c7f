package ltiplatform

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTokenEndpoint(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	stranger := newFakeTool(t) // same shape, another key
	good := func() url.Values {
		return url.Values{
			"grant_type": {"client_credentials"}, "client_assertion_type": {assertionType},
			"client_assertion": {tool.assertion(t, p, p.ClientID())}, "scope": {ScopeScore + " " + ScopeLineItem},
		}
	}
	reused := good()
	tests := []struct {
		name   string
		edit   func(v url.Values)
		status int
		error  string
	}{
		{"honest", func(url.Values) {}, http.StatusOK, ""},
		{"wrong grant", func(v url.Values) { v.Set("grant_type", "password") }, http.StatusBadRequest, "unsupported_grant_type"},
		{"no assertion", func(v url.Values) { v.Del("client_assertion") }, http.StatusUnauthorized, "invalid_client"},
		{"signed by another key", func(v url.Values) { v.Set("client_assertion", stranger.assertion(t, p, p.ClientID())) }, http.StatusUnauthorized, "invalid_client"},
		{"unknown client", func(v url.Values) { v.Set("client_assertion", tool.assertion(t, p, "someone")) }, http.StatusUnauthorized, "invalid_client"},
		{"expired assertion", func(v url.Values) {
			v.Set("client_assertion", tool.sign(t, map[string]any{"iss": p.ClientID(), "sub": p.ClientID(), "aud": p.TokenURL(),
				"jti": "x", "iat": time.Now().Add(-time.Hour).Unix(), "exp": time.Now().Add(-50 * time.Minute).Unix()}))
		}, http.StatusUnauthorized, "invalid_client"},
		{"wrong audience", func(v url.Values) {
			v.Set("client_assertion", tool.sign(t, map[string]any{"iss": p.ClientID(), "sub": p.ClientID(), "aud": "https://elsewhere.example/token",
				"jti": "y", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix()}))
		}, http.StatusUnauthorized, "invalid_client"},
		{"unknown scope", func(v url.Values) { v.Set("scope", "https://example.com/everything") }, http.StatusBadRequest, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := good()
			tt.edit(v)
			resp, body := postForm(t, p.TokenURL(), v)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.error) {
				t.Fatalf("token: %s %s, want %d %s", resp.Status, body, tt.status, tt.error)
			}
			if tt.status != http.StatusOK {
				return
			}
			var tok struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
				ExpiresIn   int    `json:"expires_in"`
				Scope       string `json:"scope"`
			}
			if err := json.Unmarshal(body, &tok); err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 || !strings.Contains(tok.Scope, ScopeScore) {
				t.Errorf("token = %+v", tok)
			}
		})
	}
	t.Run("jti reused", func(t *testing.T) {
		if resp, body := postForm(t, p.TokenURL(), reused); resp.StatusCode != http.StatusOK {
			t.Fatalf("first use: %s %s", resp.Status, body)
		}
		if resp, body := postForm(t, p.TokenURL(), reused); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "jti") {
			t.Errorf("second use: %s %s, want 401 for the jti", resp.Status, body)
		}
	})
	t.Run("token down", func(t *testing.T) {
		if err := p.Misbehave(Once(TokenDown)); err != nil {
			t.Fatal(err)
		}
		if resp, _ := postForm(t, p.TokenURL(), good()); resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("token while down: %s, want 503", resp.Status)
		}
		if resp, _ := postForm(t, p.TokenURL(), good()); resp.StatusCode != http.StatusOK {
			t.Errorf("token after: %s, want 200", resp.Status)
		}
	})
	if got := p.TokenRequests(); got != 3 {
		t.Errorf("TokenRequests = %d, want 3", got)
	}
}

// score is a valid Score body.
func score(user string, given float64, ts time.Time) map[string]any {
	return map[string]any{
		"userId": user, "scoreGiven": given, "scoreMaximum": 100, "comment": "1 attempt",
		"activityProgress": "Completed", "gradingProgress": "FullyGraded",
		"timestamp": ts.UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
	}
}

func TestScoresKeepTheLatestTimestamp(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	li := makeLineItem(t, p, tool, "config")
	tok := tool.token(t, p, ScopeScore)
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 123456000, time.UTC)
	for _, s := range []struct {
		given float64
		at    time.Time
	}{{50, t0}, {90, t0.Add(2 * time.Second)}, {70, t0.Add(time.Second)}} {
		if resp, body := do(t, http.MethodPost, li.ID+"/scores", tok, mediaScore, score("lms-user-sam", s.given, s.at)); resp.StatusCode/100 != 2 {
			t.Fatalf("post %v: %s %s", s.given, resp.Status, body)
		}
	}
	got := p.Scores()
	if len(got) != 1 {
		t.Fatalf("scores = %+v, want one", got)
	}
	if s := got[0]; *s.ScoreGiven != 90 || s.Posts != 3 || s.Ignored != 1 || !s.Timestamp.Equal(t0.Add(2*time.Second)) || s.LineItem != li.ID {
		t.Errorf("score = %+v (given %v), want 90 at t0+2s after 3 posts, 1 ignored", s, *s.ScoreGiven)
	}
}

func TestScoreRefusals(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	li := makeLineItem(t, p, tool, "config")
	scoreTok := tool.token(t, p, ScopeScore)
	readTok := tool.token(t, p, ScopeLineItemRead)
	now := time.Now()
	edited := func(k string, v any) map[string]any { s := score("u1", 10, now); s[k] = v; return s }
	tests := []struct {
		name      string
		url, tok  string
		mediaType string
		body      any
		status    int
	}{
		{"no token", li.ID + "/scores", "", mediaScore, score("u1", 10, now), http.StatusUnauthorized},
		{"unknown token", li.ID + "/scores", "nope", mediaScore, score("u1", 10, now), http.StatusUnauthorized},
		{"wrong scope", li.ID + "/scores", readTok, mediaScore, score("u1", 10, now), http.StatusForbidden},
		{"wrong media type", li.ID + "/scores", scoreTok, "application/json", score("u1", 10, now), http.StatusUnsupportedMediaType},
		{"unknown line item", p.Issuer() + "/lineitems/99/scores", scoreTok, mediaScore, score("u1", 10, now), http.StatusNotFound},
		{"no user", li.ID + "/scores", scoreTok, mediaScore, edited("userId", ""), http.StatusBadRequest},
		{"above maximum", li.ID + "/scores", scoreTok, mediaScore, edited("scoreGiven", 101), http.StatusBadRequest},
		{"no maximum", li.ID + "/scores", scoreTok, mediaScore, edited("scoreMaximum", nil), http.StatusBadRequest},
		{"bad progress", li.ID + "/scores", scoreTok, mediaScore, edited("activityProgress", "Done"), http.StatusBadRequest},
		{"bad grading", li.ID + "/scores", scoreTok, mediaScore, edited("gradingProgress", "Graded"), http.StatusBadRequest},
		{"whole seconds", li.ID + "/scores", scoreTok, mediaScore, edited("timestamp", "2026-12-05T09:00:00Z"), http.StatusBadRequest},
		{"not a time", li.ID + "/scores", scoreTok, mediaScore, edited("timestamp", "yesterday"), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, http.MethodPost, tt.url, tt.tok, tt.mediaType, tt.body)
			if resp.StatusCode != tt.status {
				t.Errorf("post: %s %s, want %d", resp.Status, body, tt.status)
			}
		})
	}
	if got := p.Scores(); len(got) != 0 {
		t.Errorf("scores after refusals = %+v, want none", got)
	}
	// An offset timestamp with a fraction is fine.
	if resp, body := do(t, http.MethodPost, li.ID+"/scores", scoreTok, mediaScore, edited("timestamp", "2026-12-05T10:00:00.5+01:00")); resp.StatusCode != http.StatusNoContent {
		t.Errorf("offset timestamp: %s %s", resp.Status, body)
	}
}

func TestScoreMisbehaviours(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	li := makeLineItem(t, p, tool, "config")
	tok := tool.token(t, p, ScopeScore)
	if err := p.Misbehave(ScoreStatus(429, 2)); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		resp, _ := do(t, http.MethodPost, li.ID+"/scores", tok, mediaScore, score("u1", 10, time.Now()))
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("post %d: %s Retry-After %q, want 429 with Retry-After 1", i, resp.Status, resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := do(t, http.MethodPost, li.ID+"/scores", tok, mediaScore, score("u1", 10, time.Now())); resp.StatusCode != http.StatusNoContent {
		t.Errorf("post after two 429s: %s, want 204", resp.Status)
	}
	for _, status := range []int{400, 401, 403, 404, 500} {
		_ = p.Misbehave(ScoreStatus(status, 0))
		if resp, _ := do(t, http.MethodPost, li.ID+"/scores", tok, mediaScore, score("u1", 20, time.Now())); resp.StatusCode != status {
			t.Errorf("ScoreStatus(%d): got %s", status, resp.Status)
		}
	}
	p.Clear(KindScoreStatus)
	if got := p.Scores(); len(got) != 1 || got[0].Posts != 1 {
		t.Errorf("scores = %+v, want the one accepted post", got)
	}

	// A hanging score endpoint holds the request until the client gives up.
	_ = p.Misbehave(ScoreDelay(time.Hour, 1))
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	body, _ := json.Marshal(score("u1", 30, time.Now()))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, li.ID+"/scores", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", mediaScore)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("hanging score endpoint answered %s", resp.Status)
	}
	if got := p.Scores(); *got[0].ScoreGiven != 10 {
		t.Errorf("score after the hang = %v, want 10 still", *got[0].ScoreGiven)
	}
}

// makeLineItem creates a line item through the service.
func makeLineItem(t *testing.T, p *Platform, tool *fakeTool, resourceID string) LineItem {
	t.Helper()
	tok := tool.token(t, p, ScopeLineItem)
	resp, body := do(t, http.MethodPost, p.Issuer()+"/lineitems", tok, mediaLineItem, LineItem{
		Label: resourceID + " quiz", ScoreMaximum: 100, ResourceID: resourceID, Tag: "twelve-quiz",
	})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create line item: %s %s", resp.Status, body)
	}
	var li LineItem
	if err := json.Unmarshal(body, &li); err != nil {
		t.Fatal(err)
	}
	return li
}

func TestLineItemsPagingAndFilters(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, func(o *Options) { o.PageSize = 2; o.LineItemQuery = true })
	for _, slug := range []string{"codebase", "config", "config", "logs", "processes"} {
		makeLineItem(t, p, tool, slug)
	}
	tok := tool.token(t, p, ScopeLineItemRead)
	var all []LineItem
	pages := 0
	for next := p.Issuer() + "/lineitems"; next != ""; pages++ {
		resp, body := do(t, http.MethodGet, next, tok, "", nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != mediaLineItems {
			t.Fatalf("GET %s: %s %s", next, resp.Status, resp.Header.Get("Content-Type"))
		}
		var page []LineItem
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		next = nextLink(resp.Header.Get("Link"))
	}
	if len(all) != 5 || pages != 3 {
		t.Errorf("got %d line items in %d pages, want 5 in 3", len(all), pages)
	}
	if !strings.Contains(all[0].ID, "?type_id=1") {
		t.Errorf("line item URL %s, want a Moodle-style query", all[0].ID)
	}
	resp, body := do(t, http.MethodGet, p.Issuer()+"/lineitems?resource_id=config&limit=10", tok, "", nil)
	var config []LineItem
	_ = json.Unmarshal(body, &config)
	if resp.StatusCode != http.StatusOK || len(config) != 2 || resp.Header.Get("Link") != "" {
		t.Errorf("resource_id=config: %s %d items, Link %q; want 2 and no next", resp.Status, len(config), resp.Header.Get("Link"))
	}
	// Scores go to the line item URL with /scores before its query.
	stok := tool.token(t, p, ScopeScore)
	u := strings.Replace(config[0].ID, "?", "/scores?", 1)
	if resp, body := do(t, http.MethodPost, u, stok, mediaScore, score("u", 1, time.Now())); resp.StatusCode != http.StatusNoContent {
		t.Errorf("score to %s: %s %s", u, resp.Status, body)
	}
	// A line item without label or maximum is refused.
	wtok := tool.token(t, p, ScopeLineItem)
	if resp, _ := do(t, http.MethodPost, p.Issuer()+"/lineitems", wtok, mediaLineItem, map[string]any{"label": "x"}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("line item without scoreMaximum: %s, want 400", resp.Status)
	}
	if resp, _ := do(t, http.MethodPost, p.Issuer()+"/lineitems", tok, mediaLineItem, LineItem{Label: "x", ScoreMaximum: 1}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("create with a read-only token: %s, want 403", resp.Status)
	}
}

func TestMembershipsPaging(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, func(o *Options) { o.PageSize = 3 })
	post(t, p.Issuer()+"/_control/members", `{"n": 6}`, http.StatusOK)
	tok := tool.token(t, p, ScopeMemberships)
	var ids []string
	pages := 0
	for next := p.Issuer() + "/memberships"; next != ""; pages++ {
		resp, body := do(t, http.MethodGet, next, tok, "", nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != mediaMemberships {
			t.Fatalf("GET %s: %s %s", next, resp.Status, resp.Header.Get("Content-Type"))
		}
		var c struct {
			Context struct{ Title string }
			Members []member
		}
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatal(err)
		}
		if c.Context.Title != ContextTitle {
			t.Errorf("context title %q", c.Context.Title)
		}
		for _, m := range c.Members {
			ids = append(ids, m.UserID)
		}
		next = nextLink(resp.Header.Get("Link"))
	}
	if len(ids) != 10 || pages != 4 || ids[0] != "lms-user-sam" || ids[9] != "lms-member-10" {
		t.Errorf("members %v in %d pages, want 10 in 4", ids, pages)
	}
	if resp, _ := do(t, http.MethodGet, p.Issuer()+"/memberships", tool.token(t, p, ScopeScore), "", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("memberships with a score token: %s, want 403", resp.Status)
	}
	if resp, _ := do(t, http.MethodGet, p.Issuer()+"/memberships?limit=0", tok, "", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("limit=0: %s, want 400", resp.Status)
	}
}

// nextLink finds the rel="next" URL of a Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		target, params, ok := strings.Cut(part, ";")
		if ok && strings.Contains(params, `rel="next"`) {
			return strings.Trim(strings.TrimSpace(target), "<>")
		}
	}
	return ""
}
