package lti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// registrar is a platform's Dynamic Registration side: its OpenID
// configuration and registration endpoint.
type registrar struct {
	srv    *httptest.Server
	config func(base string) map[string]any // the configuration it publishes

	mu       sync.Mutex
	auth     []string       // Authorization headers seen, per request
	received map[string]any // the registration posted
}

func newRegistrar(t *testing.T) *registrar {
	t.Helper()
	r := &registrar{config: func(base string) map[string]any {
		return map[string]any{
			"issuer":                 base,
			"authorization_endpoint": base + "/auth",
			"token_endpoint":         base + "/token",
			"jwks_uri":               base + "/jwks",
			"registration_endpoint":  base + "/register",
			"scopes_supported":       []string{"openid", ScopeLineItem, ScopeScore},
			ClaimPlatformConfiguration: map[string]any{"product_family_code": "moodle", "version": "4.5",
				"messages_supported": []map[string]any{{"type": MessageResourceLink}, {"type": MessageDeepLinking, "placements": []string{"link_selection"}}}},
		}
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(r.config(r.srv.URL))
	})
	mux.HandleFunc("POST /register", func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		if req.Header.Get("Authorization") != "Bearer reg-token" {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		if req.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "json please", http.StatusUnsupportedMediaType)
			return
		}
		if err := json.NewDecoder(req.Body).Decode(&r.received); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		out := map[string]any{"client_id": "client-77", "client_name": r.received["client_name"],
			ClaimToolConfiguration: map[string]any{"deployment_id": "dep-5", "domain": "twelve.example"}}
		json.NewEncoder(w).Encode(out)
	})
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

func TestRegister(t *testing.T) {
	r := newRegistrar(t)
	s := NewServices(func() *KeySet { return nil }, nil)
	ctx := context.Background()
	cfg, err := s.FetchOpenIDConfig(ctx, r.srv.URL+"/.well-known/openid-configuration", "reg-token")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PlatformConfig.ProductFamilyCode != "moodle" || len(cfg.PlatformConfig.Messages) != 2 {
		t.Errorf("platform configuration = %+v", cfg.PlatformConfig)
	}
	p, err := s.Register(ctx, cfg, "reg-token", ToolConfig{BaseURL: "https://twelve.example/", Name: "Twelve",
		Description: "The Twelve-Factor App, a course", LogoURL: "https://twelve.example/static/logo.svg"})
	if err != nil {
		t.Fatal(err)
	}
	base := r.srv.URL
	want := Platform{Issuer: base, ClientID: "client-77", Name: "moodle", AuthURL: base + "/auth",
		TokenURL: base + "/token", JWKSURL: base + "/jwks", Deployments: []string{"dep-5"}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Register() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Bearer reg-token", "Bearer reg-token"}, r.auth); diff != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", diff)
	}
	wantReg := map[string]any{
		"application_type":           "web",
		"response_types":             []any{"id_token"},
		"grant_types":                []any{"implicit", "client_credentials"},
		"initiate_login_uri":         "https://twelve.example/lti/login",
		"redirect_uris":              []any{"https://twelve.example/lti/launch"},
		"client_name":                "Twelve",
		"jwks_uri":                   "https://twelve.example/lti/jwks",
		"logo_uri":                   "https://twelve.example/static/logo.svg",
		"token_endpoint_auth_method": "private_key_jwt",
		"scope":                      ScopeLineItem + " " + ScopeLineItemRead + " " + ScopeResultRead + " " + ScopeScore + " " + ScopeMemberships,
		ClaimToolConfiguration: map[string]any{
			"domain":          "twelve.example",
			"description":     "The Twelve-Factor App, a course",
			"target_link_uri": "https://twelve.example/lti/launch",
			"claims":          []any{"iss", "sub", "name", "given_name", "family_name", "email"},
			"messages": []any{
				map[string]any{"type": MessageDeepLinking, "target_link_uri": "https://twelve.example/lti/launch",
					"label": "Add Twelve lessons", "placements": []any{"link_selection", "assignment_selection", "editor_button"}},
				map[string]any{"type": MessageResourceLink},
			},
		},
	}
	if diff := cmp.Diff(wantReg, r.received); diff != "" {
		t.Errorf("registration sent (-want +got):\n%s", diff)
	}
}

func TestRegisterRefused(t *testing.T) {
	r := newRegistrar(t)
	s := NewServices(func() *KeySet { return nil }, nil)
	ctx := context.Background()
	cfg, err := s.FetchOpenIDConfig(ctx, r.srv.URL+"/.well-known/openid-configuration", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Register(ctx, cfg, "wrong-token", ToolConfig{BaseURL: "https://twelve.example"})
	var se *ServiceError
	if err == nil || !strings.Contains(err.Error(), "401") || !errors.As(err, &se) || se.Retry {
		t.Errorf("Register() with a wrong token: error = %v, want a permanent 401", err)
	}
	if _, err := s.Register(ctx, cfg, "reg-token", ToolConfig{BaseURL: "http://twelve.example"}); err == nil {
		t.Error("Register() with an http tool URL on a public host: no error")
	}
}

func TestFetchOpenIDConfigRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(base string, c map[string]any)
		want   string
	}{
		{name: "issuer elsewhere", change: func(_ string, c map[string]any) { c["issuer"] = "https://lms.example" }, want: "does not begin with the issuer"},
		{name: "issuer a longer host", change: func(base string, c map[string]any) { c["issuer"] = base + "0" }, want: "does not begin with the issuer"},
		{name: "issuer under another path", change: func(base string, c map[string]any) { c["issuer"] = base + "/tenant" }, want: "does not begin with the issuer"},
		{name: "http token endpoint", change: func(_ string, c map[string]any) { c["token_endpoint"] = "http://lms.example/token" }, want: "token_endpoint"},
		{name: "http jwks", change: func(_ string, c map[string]any) { c["jwks_uri"] = "http://lms.example/jwks" }, want: "jwks_uri"},
		{name: "no registration endpoint", change: func(_ string, c map[string]any) { delete(c, "registration_endpoint") }, want: "registration_endpoint is missing"},
		{name: "no auth endpoint", change: func(_ string, c map[string]any) { c["authorization_endpoint"] = "" }, want: "authorization_endpoint is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRegistrar(t)
			orig := r.config
			r.config = func(base string) map[string]any {
				c := orig(base)
				tt.change(base, c)
				return c
			}
			s := NewServices(func() *KeySet { return nil }, nil)
			_, err := s.FetchOpenIDConfig(context.Background(), r.srv.URL+"/.well-known/openid-configuration", "t")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("FetchOpenIDConfig() error = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestFetchOpenIDConfigURL(t *testing.T) {
	s := NewServices(func() *KeySet { return nil }, nil)
	for _, u := range []string{"http://lms.example/.well-known/openid-configuration", "file:///etc/passwd", "not a url"} {
		if _, err := s.FetchOpenIDConfig(context.Background(), u, ""); err == nil {
			t.Errorf("FetchOpenIDConfig(%q): no error", u)
		}
	}
	// Something listening, answering no JSON.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>") }))
	defer srv.Close()
	if _, err := s.FetchOpenIDConfig(context.Background(), srv.URL, ""); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("FetchOpenIDConfig(HTML page) error = %v", err)
	}
}

func TestHasURLPrefix(t *testing.T) {
	tests := []struct {
		u, prefix string
		want      bool
	}{
		{"https://lms.example/.well-known/openid-configuration", "https://lms.example", true},
		{"https://lms.example/.well-known/openid-configuration", "https://lms.example/", true},
		{"https://lms.example/t1/.well-known/x", "https://lms.example/t1", true},
		{"https://lms.example.evil/.well-known/x", "https://lms.example", false},
		{"https://lms.example/t10/x", "https://lms.example/t1", false},
		{"https://lms.example", "https://lms.example", true},
	}
	for _, tt := range tests {
		if got := hasURLPrefix(tt.u, tt.prefix); got != tt.want {
			t.Errorf("hasURLPrefix(%q, %q) = %v, want %v", tt.u, tt.prefix, got, tt.want)
		}
	}
}
