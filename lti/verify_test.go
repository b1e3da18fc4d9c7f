package lti

import (
	"context"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testNow = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

// launchClaims is a valid resource link launch from p.
func launchClaims(p Platform) map[string]any {
	return map[string]any{
		"iss":                   p.Issuer,
		"aud":                   p.ClientID,
		"sub":                   "user-42",
		"iat":                   testNow.Unix(),
		"exp":                   testNow.Add(5 * time.Minute).Unix(),
		"nonce":                 "nonce-1",
		"name":                  "Sam Student",
		"given_name":            "Sam",
		"family_name":           "Student",
		"email":                 "sam@example.edu",
		ClaimMessageType:        MessageResourceLink,
		ClaimVersion:            "1.3.0",
		ClaimDeploymentID:       "dep-1",
		ClaimTargetLinkURI:      "https://twelve.example/lessons/codebase",
		ClaimResourceLink:       map[string]any{"id": "link-1", "title": "Codebase"},
		ClaimRoles:              []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"},
		ClaimContext:            map[string]any{"id": "ctx-1", "label": "12F", "title": "Twelve Factors", "type": []string{"http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"}},
		ClaimCustom:             map[string]any{"lesson": "codebase", "quiz": "true", "n": 3},
		ClaimLaunchPresentation: map[string]any{"return_url": "https://lms.example/return"},
		ClaimAGS: map[string]any{"scope": []string{ScopeLineItem, ScopeScore},
			"lineitems": p.Issuer + "/lineitems", "lineitem": p.Issuer + "/lineitems/1"},
		ClaimNRPS: map[string]any{"context_memberships_url": p.Issuer + "/memberships", "service_versions": []string{"2.0"}},
	}
}

func newTestVerifier() *Verifier {
	return NewVerifier(nil, func() time.Time { return testNow })
}

func TestVerifyResourceLink(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	l, err := newTestVerifier().Verify(context.Background(), p, tp.signLaunch(launchClaims(p)), "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	want := &Launch{
		Issuer: p.Issuer, Subject: "user-42", ClientID: "tool-1", DeploymentID: "dep-1",
		MessageType: MessageResourceLink, TargetLinkURI: "https://twelve.example/lessons/codebase",
		Nonce: "nonce-1", Name: "Sam Student", GivenName: "Sam", FamilyName: "Student", Email: "sam@example.edu",
		Roles:        []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"},
		Context:      Context{ID: "ctx-1", Label: "12F", Title: "Twelve Factors", Type: []string{"http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"}},
		ResourceLink: ResourceLink{ID: "link-1", Title: "Codebase"},
		Custom:       map[string]string{"lesson": "codebase", "quiz": "true", "n": "3"},
		AGS:          &AGSEndpoint{Scope: []string{ScopeLineItem, ScopeScore}, LineItems: p.Issuer + "/lineitems", LineItem: p.Issuer + "/lineitems/1"},
		NRPS:         &NRPSEndpoint{ContextMembershipsURL: p.Issuer + "/memberships", ServiceVersions: []string{"2.0"}},
		ReturnURL:    "https://lms.example/return",
		Expires:      time.Unix(testNow.Add(5*time.Minute).Unix(), 0),
	}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("launch (-want +got):\n%s", diff)
	}
	if got := l.DisplayName(); got != "Sam Student" {
		t.Errorf("DisplayName() = %q, want Sam Student", got)
	}
}

func TestVerifyDeepLinking(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	c := launchClaims(p)
	c[ClaimMessageType] = MessageDeepLinking
	delete(c, ClaimResourceLink)
	c[ClaimDeepLinking] = map[string]any{
		"deep_link_return_url": p.Issuer + "/deeplink/return", "accept_types": []string{"ltiResourceLink"},
		"accept_presentation_document_targets": []string{"iframe", "window"}, "accept_multiple": true,
		"data": "opaque-data",
	}
	l, err := newTestVerifier().Verify(context.Background(), p, tp.signLaunch(c), "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	want := &DeepLinkingSettings{ReturnURL: p.Issuer + "/deeplink/return", AcceptTypes: []string{"ltiResourceLink"},
		AcceptPresentation: []string{"iframe", "window"}, AcceptMultiple: true, Data: "opaque-data"}
	if diff := cmp.Diff(want, l.DeepLinking); diff != "" {
		t.Errorf("deep linking settings (-want +got):\n%s", diff)
	}
	if !l.DeepLinking.Accepts(ContentItemLTIResourceLink) {
		t.Error("Accepts(ltiResourceLink) = false")
	}
}

func TestVerifyRefusals(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	otherKey := mustKey(t)
	tests := []struct {
		name   string
		change func(c map[string]any)
		token  func(c map[string]any) string // nil: signed by the platform
		nonce  string
		reason string
	}{
		{name: "expired", change: func(c map[string]any) { c["exp"] = testNow.Add(-time.Second).Unix() }, reason: "expired"},
		{name: "iat in the future", change: func(c map[string]any) { c["iat"] = testNow.Add(2 * time.Minute).Unix() }, reason: "future"},
		{name: "no iat", change: func(c map[string]any) { delete(c, "iat") }, reason: "issue time"},
		{name: "issued long ago", change: func(c map[string]any) {
			c["iat"] = testNow.Add(-2 * time.Hour).Unix()
		}, reason: "too long ago"},
		{name: "wrong audience", change: func(c map[string]any) { c["aud"] = "someone-else" }, reason: "another tool (aud)"},
		{name: "several audiences, no azp", change: func(c map[string]any) { c["aud"] = []string{"tool-1", "other"} }, reason: "no authorized party"},
		{name: "wrong azp", change: func(c map[string]any) { c["azp"] = "other" }, reason: "another tool (azp)"},
		{name: "wrong issuer", change: func(c map[string]any) { c["iss"] = "https://evil.example" }, reason: "another platform"},
		{name: "bad signature", token: func(c map[string]any) string {
			return sign(t, otherKey, kidOf(t, tp.keys[0]), c)
		}, reason: "signature"},
		{name: "unknown kid", token: func(c map[string]any) string {
			return sign(t, otherKey, kidOf(t, otherKey), c)
		}, reason: "signature"},
		{name: "not a JWT", token: func(map[string]any) string { return "not.a.jwt" }, reason: "not an RS256-signed JWT"},
		{name: "wrong nonce", nonce: "nonce-2", reason: "nonce"},
		{name: "empty expected nonce", nonce: "-", reason: "nonce"},
		{name: "wrong version", change: func(c map[string]any) { c[ClaimVersion] = "1.1" }, reason: "version"},
		{name: "unknown message type", change: func(c map[string]any) { c[ClaimMessageType] = "LtiSubmissionReviewRequest" }, reason: "message type"},
		{name: "no message type", change: func(c map[string]any) { delete(c, ClaimMessageType) }, reason: "no LTI message type"},
		{name: "unregistered deployment", change: func(c map[string]any) { c[ClaimDeploymentID] = "dep-9" }, reason: "deployment is not registered"},
		{name: "no deployment", change: func(c map[string]any) { delete(c, ClaimDeploymentID) }, reason: "no deployment id"},
		{name: "no sub", change: func(c map[string]any) { delete(c, "sub") }, reason: "no user"},
		{name: "no resource link", change: func(c map[string]any) { delete(c, ClaimResourceLink) }, reason: "resource link"},
		{name: "resource link without id", change: func(c map[string]any) { c[ClaimResourceLink] = map[string]any{"title": "x"} }, reason: "resource link"},
		{name: "no roles", change: func(c map[string]any) { delete(c, ClaimRoles) }, reason: "roles"},
		{name: "roles not a list", change: func(c map[string]any) { c[ClaimRoles] = "Learner" }, reason: "malformed"},
		{name: "context without id", change: func(c map[string]any) { c[ClaimContext] = map[string]any{"title": "x"} }, reason: "context"},
		{name: "deep linking without return URL", change: func(c map[string]any) {
			c[ClaimMessageType] = MessageDeepLinking
			c[ClaimDeepLinking] = map[string]any{"accept_types": []string{"ltiResourceLink"}}
		}, reason: "return URL"},
	}
	v := newTestVerifier()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := launchClaims(p)
			if tt.change != nil {
				tt.change(c)
			}
			raw := tp.signLaunch(c)
			if tt.token != nil {
				raw = tt.token(c)
			}
			nonce := "nonce-1"
			switch tt.nonce {
			case "":
			case "-":
				nonce = ""
			default:
				nonce = tt.nonce
			}
			l, err := v.Verify(context.Background(), p, raw, nonce)
			if err == nil {
				t.Fatalf("Verify() = %+v, want a refusal", l)
			}
			var te *TokenError
			if !errors.Is(err, ErrToken) || !errors.As(err, &te) {
				t.Fatalf("Verify() error = %v, want a TokenError", err)
			}
			if !strings.Contains(te.Reason, tt.reason) {
				t.Errorf("reason = %q, want it to mention %q", te.Reason, tt.reason)
			}
			if errors.Is(err, ErrJWKS) {
				t.Errorf("Verify() error = %v, is ErrJWKS", err)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	tests := []struct {
		name   string
		change func(c map[string]any)
	}{
		{name: "iat in the future within the skew", change: func(c map[string]any) { c["iat"] = testNow.Add(30 * time.Second).Unix() }},
		{name: "several audiences with azp", change: func(c map[string]any) {
			c["aud"] = []string{"other", "tool-1"}
			c["azp"] = "tool-1"
		}},
		{name: "aud as a one-element list", change: func(c map[string]any) { c["aud"] = []string{"tool-1"} }},
		{name: "no context", change: func(c map[string]any) { delete(c, ClaimContext) }},
	}
	v := newTestVerifier()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := launchClaims(p)
			tt.change(c)
			if _, err := v.Verify(context.Background(), p, tp.signLaunch(c), "nonce-1"); err != nil {
				t.Fatalf("Verify() error = %v", err)
			}
		})
	}
}

func TestVerifyKeyRotation(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	v := newTestVerifier()
	for i := range 2 {
		if _, err := v.Verify(context.Background(), p, tp.signLaunch(launchClaims(p)), "nonce-1"); err != nil {
			t.Fatalf("launch %d: %v", i, err)
		}
	}
	if got := tp.fetches(); got != 1 {
		t.Errorf("JWKS fetched %d times for two launches, want 1 (cached)", got)
	}
	// The platform rotates: a new key signs, the old one is gone.
	tp.mu.Lock()
	tp.keys = []*rsa.PrivateKey{mustKey(t)}
	tp.mu.Unlock()
	if _, err := v.Verify(context.Background(), p, tp.signLaunch(launchClaims(p)), "nonce-1"); err != nil {
		t.Fatalf("launch after rotation: %v", err)
	}
	if got := tp.fetches(); got != 2 {
		t.Errorf("JWKS fetched %d times, want 2 (refetched for the new kid)", got)
	}
}

func TestVerifyJWKSUnreachable(t *testing.T) {
	tp := newTestPlatform(t)
	p := tp.platform()
	raw := tp.signLaunch(launchClaims(p))
	tests := []struct {
		name  string
		setup func(p *Platform)
	}{
		{name: "JWKS answers 503", setup: func(*Platform) {
			tp.mu.Lock()
			tp.jwksDown = true
			tp.mu.Unlock()
		}},
		{name: "JWKS not a key set", setup: func(p *Platform) { p.JWKSURL = tp.srv.URL + "/token" }},
		{name: "nothing listening", setup: func(p *Platform) { p.JWKSURL = "http://127.0.0.1:1/jwks" }},
		{name: "http on another host", setup: func(p *Platform) { p.JWKSURL = "http://lms.example/jwks" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := p
			tt.setup(&p)
			_, err := newTestVerifier().Verify(context.Background(), p, raw, "nonce-1")
			if !errors.Is(err, ErrJWKS) {
				t.Fatalf("Verify() error = %v, want ErrJWKS", err)
			}
			if errors.Is(err, ErrToken) {
				t.Errorf("Verify() error = %v, also ErrToken", err)
			}
		})
	}
}

// TestLearnsDeployments: a platform that learns its deployments accepts
// any non-empty deployment id; one that does not, only its own.
func TestLearnsDeployments(t *testing.T) {
	fixed := Platform{Deployments: []string{"d1"}}
	learns := Platform{LearnsDeployments: true}
	for _, c := range []struct {
		p    Platform
		id   string
		want bool
	}{
		{fixed, "d1", true}, {fixed, "d2", false}, {fixed, "", false},
		{learns, "d2", true}, {learns, "", false},
	} {
		if got := c.p.HasDeployment(c.id); got != c.want {
			t.Errorf("%+v.HasDeployment(%q) = %v, want %v", c.p, c.id, got, c.want)
		}
	}
}
