package lti

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"
)

func TestDeepLinkingResponse(t *testing.T) {
	ks, err := NewKeySet(mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	// The tool's JWKS URL, as a platform would fetch it.
	tool := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ks.JWKS())
	}))
	defer tool.Close()

	p := Platform{Issuer: "https://lms.example", ClientID: "tool-1"}
	settings := DeepLinkingSettings{ReturnURL: "https://lms.example/return", Data: "opaque"}
	items := []ContentItem{{Type: ContentItemLTIResourceLink, Title: "Codebase — quiz", URL: "https://twelve.example/lti/launch",
		Custom:   map[string]string{"lesson": "codebase", "quiz": "true"},
		LineItem: &LineItemSpec{Label: "Codebase quiz", ScoreMaximum: 100, ResourceID: "codebase", Tag: "twelve-quiz"}}}
	now := time.Now()
	raw, err := ks.DeepLinkingResponse(p, "dep-1", settings, items, now)
	if err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(tool.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the tool's JWKS", tok.Headers[0].KeyID)
	}
	var std jwt.Claims
	var lti struct {
		MessageType  string        `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
		Version      string        `json:"https://purl.imsglobal.org/spec/lti/claim/version"`
		DeploymentID string        `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
		Data         string        `json:"https://purl.imsglobal.org/spec/lti-dl/claim/data"`
		Items        []ContentItem `json:"https://purl.imsglobal.org/spec/lti-dl/claim/content_items"`
		Nonce        string        `json:"nonce"`
	}
	if err := tok.Claims(keys[0].Public().Key, &std, &lti); err != nil {
		t.Fatalf("signature does not verify with the JWKS: %v", err)
	}
	if err := std.Validate(jwt.Expected{Issuer: "tool-1", AnyAudience: jwt.Audience{"https://lms.example"}, Time: now}); err != nil {
		t.Errorf("standard claims: %v", err)
	}
	if lti.MessageType != MessageDeepLinkingResponse || lti.Version != "1.3.0" || lti.DeploymentID != "dep-1" ||
		lti.Data != "opaque" || lti.Nonce == "" {
		t.Errorf("LTI claims = %+v", lti)
	}
	if diff := cmp.Diff(items, lti.Items); diff != "" {
		t.Errorf("content items (-want +got):\n%s", diff)
	}
	if got := std.Expiry.Time().Sub(std.IssuedAt.Time()); got != 5*time.Minute {
		t.Errorf("lifetime = %v, want 5m", got)
	}
}
