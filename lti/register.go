package lti

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// OpenIDConfig is the part of a platform's OpenID configuration Dynamic
// Registration uses.
type OpenIDConfig struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	RegistrationEndpoint  string `json:"registration_endpoint"`
	// AuthorizationServer is the aud the token endpoint expects of a
	// client assertion, when the platform names one.
	AuthorizationServer string         `json:"authorization_server"`
	ScopesSupported     []string       `json:"scopes_supported"`
	PlatformConfig      PlatformConfig `json:"https://purl.imsglobal.org/spec/lti-platform-configuration"`
}

// PlatformConfig is the LTI platform configuration claim.
type PlatformConfig struct {
	ProductFamilyCode string                  `json:"product_family_code"`
	Version           string                  `json:"version"`
	Messages          []PlatformMessageConfig `json:"messages_supported"`
}

// PlatformMessageConfig is a message type the platform supports.
type PlatformMessageConfig struct {
	Type       string   `json:"type"`
	Placements []string `json:"placements,omitempty"`
}

// ToolConfig is what Twelve says about itself when registering.
type ToolConfig struct {
	BaseURL     string // Twelve's origin, e.g. https://twelve.example
	Name        string
	Description string
	LogoURL     string
}

// ClaimToolConfiguration and ClaimPlatformConfiguration are Dynamic
// Registration's LTI claims in the client registration and the platform's
// OpenID configuration.
const (
	ClaimToolConfiguration     = "https://purl.imsglobal.org/spec/lti-tool-configuration"
	ClaimPlatformConfiguration = "https://purl.imsglobal.org/spec/lti-platform-configuration"
)

// toolScope is the service scopes Twelve asks for when it registers.
const toolScope = ScopeLineItem + " " + ScopeLineItemRead + " " + ScopeResultRead + " " + ScopeScore + " " + ScopeMemberships

// FetchOpenIDConfig reads the platform's OpenID configuration at configURL
// (sending the registration token, when there is one, as a bearer token).
// The configuration URL must begin with the issuer it names, and every URL
// must be https (or http on a loopback host).
func (s *Services) FetchOpenIDConfig(ctx context.Context, configURL, registrationToken string) (OpenIDConfig, error) {
	if err := CheckURL(configURL); err != nil {
		return OpenIDConfig{}, fmt.Errorf("lti: openid configuration URL: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, configURL, nil)
	if err != nil {
		return OpenIDConfig{}, errors.New("lti: openid configuration URL is unusable")
	}
	req.Header.Set("Accept", "application/json")
	if registrationToken != "" {
		req.Header.Set("Authorization", "Bearer "+registrationToken)
	}
	a, err := s.roundTrip(req)
	if err != nil {
		return OpenIDConfig{}, fmt.Errorf("lti: openid configuration: %w", err)
	}
	var cfg OpenIDConfig
	if err := json.Unmarshal(a.body, &cfg); err != nil {
		return OpenIDConfig{}, errors.New("lti: openid configuration: the answer is not JSON")
	}
	if err := cfg.check(configURL); err != nil {
		return OpenIDConfig{}, fmt.Errorf("lti: openid configuration: %w", err)
	}
	return cfg, nil
}

func (cfg OpenIDConfig) check(configURL string) error {
	for _, f := range []struct{ name, url string }{
		{"issuer", cfg.Issuer},
		{"authorization_endpoint", cfg.AuthorizationEndpoint},
		{"token_endpoint", cfg.TokenEndpoint},
		{"jwks_uri", cfg.JWKSURI},
		{"registration_endpoint", cfg.RegistrationEndpoint},
	} {
		if f.url == "" {
			return fmt.Errorf("%s is missing", f.name)
		}
		if err := CheckURL(f.url); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if !hasURLPrefix(configURL, cfg.Issuer) {
		return errors.New("the configuration URL does not begin with the issuer it names")
	}
	return nil
}

// hasURLPrefix reports whether u begins with prefix at a path boundary, so
// https://lms.example does not prefix https://lms.example.evil/.
func hasURLPrefix(u, prefix string) bool {
	if !strings.HasPrefix(u, prefix) {
		return false
	}
	if strings.HasSuffix(prefix, "/") || len(u) == len(prefix) {
		return true
	}
	switch u[len(prefix)] {
	case '/', '?', '#':
		return true
	}
	return false
}

// toolConfiguration is the LTI tool configuration claim of a registration.
type toolConfiguration struct {
	Domain        string          `json:"domain"`
	Description   string          `json:"description,omitempty"`
	TargetLinkURI string          `json:"target_link_uri"`
	Claims        []string        `json:"claims"`
	Messages      []messageConfig `json:"messages"`
}

type messageConfig struct {
	Type          string   `json:"type"`
	TargetLinkURI string   `json:"target_link_uri,omitempty"`
	Label         string   `json:"label,omitempty"`
	Placements    []string `json:"placements,omitempty"`
}

// registration is the OpenID client registration request.
type registration struct {
	ApplicationType         string            `json:"application_type"`
	ResponseTypes           []string          `json:"response_types"`
	GrantTypes              []string          `json:"grant_types"`
	InitiateLoginURI        string            `json:"initiate_login_uri"`
	RedirectURIs            []string          `json:"redirect_uris"`
	ClientName              string            `json:"client_name"`
	JWKSURI                 string            `json:"jwks_uri"`
	LogoURI                 string            `json:"logo_uri,omitempty"`
	TokenEndpointAuthMethod string            `json:"token_endpoint_auth_method"`
	Scope                   string            `json:"scope"`
	ToolConfiguration       toolConfiguration `json:"https://purl.imsglobal.org/spec/lti-tool-configuration"`
}

// registrationRequest is what Twelve sends to register with t's URLs.
func registrationRequest(t ToolConfig) (registration, error) {
	base := strings.TrimSuffix(t.BaseURL, "/")
	if err := CheckURL(base); err != nil {
		return registration{}, fmt.Errorf("tool base URL: %w", err)
	}
	u, _ := url.Parse(base)
	launch := base + "/lti/launch"
	name := t.Name
	if name == "" {
		name = "Twelve"
	}
	return registration{
		ApplicationType:         "web",
		ResponseTypes:           []string{"id_token"},
		GrantTypes:              []string{"implicit", "client_credentials"},
		InitiateLoginURI:        base + "/lti/login",
		RedirectURIs:            []string{launch},
		ClientName:              name,
		JWKSURI:                 base + "/lti/jwks",
		LogoURI:                 t.LogoURL,
		TokenEndpointAuthMethod: "private_key_jwt",
		Scope:                   toolScope,
		ToolConfiguration: toolConfiguration{
			Domain:        u.Host,
			Description:   t.Description,
			TargetLinkURI: launch,
			Claims:        []string{"iss", "sub", "name", "given_name", "family_name", "email"},
			Messages: []messageConfig{
				{Type: MessageDeepLinking, TargetLinkURI: launch, Label: "Add Twelve lessons",
					Placements: []string{"link_selection", "assignment_selection", "editor_button"}},
				{Type: MessageResourceLink},
			},
		},
	}, nil
}

// Register posts Twelve's client registration to the platform's
// registration endpoint (with the registration token as a bearer token)
// and returns the Platform it makes: the issuer and endpoints of cfg, the
// client id the platform assigned, and its deployment id when it gave one.
func (s *Services) Register(ctx context.Context, cfg OpenIDConfig, registrationToken string, t ToolConfig) (Platform, error) {
	if err := CheckURL(cfg.RegistrationEndpoint); err != nil {
		return Platform{}, fmt.Errorf("lti: register: registration_endpoint: %w", err)
	}
	reg, err := registrationRequest(t)
	if err != nil {
		return Platform{}, fmt.Errorf("lti: register: %w", err)
	}
	body, err := json.Marshal(reg)
	if err != nil {
		return Platform{}, fmt.Errorf("lti: register: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.RegistrationEndpoint, bytes.NewReader(body))
	if err != nil {
		return Platform{}, errors.New("lti: register: registration_endpoint is unusable")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if registrationToken != "" {
		req.Header.Set("Authorization", "Bearer "+registrationToken)
	}
	a, err := s.roundTrip(req)
	if err != nil {
		return Platform{}, fmt.Errorf("lti: register: %w", err)
	}
	var out struct {
		ClientID string `json:"client_id"`
		Tool     struct {
			DeploymentID string `json:"deployment_id"`
		} `json:"https://purl.imsglobal.org/spec/lti-tool-configuration"`
	}
	if err := json.Unmarshal(a.body, &out); err != nil || out.ClientID == "" {
		return Platform{}, errors.New("lti: register: the platform answered no client_id")
	}
	p := Platform{
		Issuer:   cfg.Issuer,
		ClientID: out.ClientID,
		Name:     cfg.PlatformConfig.ProductFamilyCode,
		AuthURL:  cfg.AuthorizationEndpoint,
		TokenURL: cfg.TokenEndpoint,
		JWKSURL:  cfg.JWKSURI,
		// Kept only when it differs: "" means the token URL.
		TokenAudience: cfg.AuthorizationServer,
	}
	if p.TokenAudience == p.TokenURL {
		p.TokenAudience = ""
	}
	if out.Tool.DeploymentID != "" {
		p.Deployments = []string{out.Tool.DeploymentID}
	}
	return p, nil
}
