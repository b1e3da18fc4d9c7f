package ltiplatform

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLaunchMisbehaviours checks each launch misbehaviour spoils the
// id_token in the documented way, and only the next launch when Times is 1.
func TestLaunchMisbehaviours(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	tests := []struct {
		kind    Kind
		refusal string // what the fake tool's checks say, or "" when they pass
		check   func(c map[string]any) string
	}{
		{ExpiredToken, "expired", func(c map[string]any) string {
			return want(c["exp"].(float64) < float64(time.Now().Unix()), "exp not in the past")
		}},
		{FutureIat, "future", func(c map[string]any) string {
			return want(c["iat"].(float64) > float64(time.Now().Add(5*time.Minute).Unix()), "iat not in the future")
		}},
		{WrongAudience, "aud", func(c map[string]any) string { return want(c["aud"] == "not-"+p.ClientID(), "aud unchanged") }},
		{NoAzpManyAud, "", func(c map[string]any) string {
			aud, _ := c["aud"].([]any)
			_, azp := c["azp"]
			return want(len(aud) == 2 && !azp, "want two audiences and no azp")
		}},
		{BadSignature, "signature", func(map[string]any) string { return "" }},
		{UnknownDeployment, "", func(c map[string]any) string { return want(c[claimDeploy] == "dep-unknown", "deployment unchanged") }},
		{WrongVersion, "", func(c map[string]any) string { return want(c[claimVersion] == "1.1.0", "version unchanged") }},
		{MissingClaim, "", func(c map[string]any) string {
			_, has := c[claimResourceLink]
			return want(!has, "resource_link still there")
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			if err := p.Misbehave(Once(tt.kind)); err != nil {
				t.Fatal(err)
			}
			status, _, body := launch(t, p, LaunchOptions{Lesson: "config"})
			if tt.refusal != "" && (status != http.StatusUnauthorized || !strings.Contains(body, tt.refusal)) {
				t.Errorf("launch: %d %q, want 401 mentioning %q", status, body, tt.refusal)
			}
			if tt.refusal == "" && status != http.StatusOK {
				t.Errorf("launch: %d %q, want the fake tool to accept it", status, body)
			}
			if problem := tt.check(tool.lastClaims(t)); problem != "" {
				t.Error(problem)
			}
			// Once means once.
			if status, _, body := launch(t, p, LaunchOptions{Lesson: "config"}); status != http.StatusOK {
				t.Errorf("next launch: %d %s, want an honest one", status, body)
			}
		})
	}
}

func want(ok bool, problem string) string {
	if ok {
		return ""
	}
	return problem
}

func TestReuseNonceAndReplay(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	if status, _, body := launch(t, p, LaunchOptions{}); status != http.StatusOK {
		t.Fatalf("first launch: %d %s", status, body)
	}
	first := tool.lastClaims(t)["nonce"]
	if err := p.Misbehave(Once(ReuseNonce)); err != nil {
		t.Fatal(err)
	}
	status, _, body := launch(t, p, LaunchOptions{})
	if status != http.StatusUnauthorized || !strings.Contains(body, "nonce") {
		t.Errorf("launch with the previous nonce: %d %q, want refused for its nonce", status, body)
	}
	if got := tool.lastClaims(t)["nonce"]; got != first {
		t.Errorf("nonce = %v, want the previous launch's %v", got, first)
	}
	// Replay posts the same id_token and state twice: the fake tool used
	// the state up the first time.
	status, _, body = launch(t, p, LaunchOptions{Replay: true})
	if status != http.StatusUnauthorized || !strings.Contains(body, "unknown state") {
		t.Errorf("replayed launch: %d %q, want refused", status, body)
	}
	tool.mu.Lock()
	n := len(tool.idTokens)
	same := tool.idTokens[n-1] == tool.idTokens[n-2]
	tool.mu.Unlock()
	if !same {
		t.Error("the replay did not send the same id_token")
	}
}

func TestRotateKeysAndJWKSDown(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	before := jwksKid(t, p)
	if err := p.Misbehave(Misbehaviour{Kind: RotateKeys}); err != nil {
		t.Fatal(err)
	}
	after := jwksKid(t, p)
	if before == after {
		t.Fatalf("kid %s unchanged by RotateKeys", before)
	}
	if status, _, body := launch(t, p, LaunchOptions{}); status != http.StatusOK {
		t.Errorf("launch after rotation: %d %s", status, body)
	}
	post(t, p.Issuer()+"/_control/misbehave", `{"kind":"JWKSDown","times":1}`, http.StatusOK)
	resp, err := http.Get(p.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("JWKS while down: %s, want 503", resp.Status)
	}
	if got := jwksKid(t, p); got != after {
		t.Errorf("JWKS after one failure: kid %s, want %s back", got, after)
	}
}

func jwksKid(t *testing.T, p *Platform) string {
	t.Helper()
	set, err := fetchJWKS(t.Context(), p.JWKSURL())
	if err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks: %v %d keys", err, len(set.Keys))
	}
	return set.Keys[0].KeyID
}

func post(t *testing.T, u, body string, wantStatus int) []byte {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("POST %s %s: %s %s, want %d", u, body, resp.Status, buf.String(), wantStatus)
	}
	return buf.Bytes()
}

func TestControlMisbehaveRefusesNonsense(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	for _, body := range []string{`{"kind":"Sulk"}`, `{"kind":"ScoreStatus","status":418}`, `{"kind":"ScoreDelay","delay":"soon"}`, `not json`} {
		post(t, p.Issuer()+"/_control/misbehave", body, http.StatusBadRequest)
	}
	post(t, p.Issuer()+"/_control/misbehave", `{"kind":"TokenDown"}`, http.StatusOK)
	post(t, p.Issuer()+"/_control/misbehave", `{"kind":"none"}`, http.StatusOK)
	var got []RecordedScore
	resp, err := http.Get(p.Issuer() + "/_control/scores")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || len(got) != 0 {
		t.Errorf("scores of a fresh platform: %v %v, want []", got, err)
	}
}
