package lti

import (
	"context"
	"fmt"
)

// OpenIDConfig is the part of a platform's OpenID configuration Dynamic
// Registration uses.
type OpenIDConfig struct {
	Issuer                string         `json:"issuer"`
	AuthorizationEndpoint string         `json:"authorization_endpoint"`
	TokenEndpoint         string         `json:"token_endpoint"`
	JWKSURI               string         `json:"jwks_uri"`
	RegistrationEndpoint  string         `json:"registration_endpoint"`
	ScopesSupported       []string       `json:"scopes_supported"`
	PlatformConfig        PlatformConfig `json:"https://purl.imsglobal.org/spec/lti-platform-configuration"`
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

// FetchOpenIDConfig reads the platform's OpenID configuration at configURL.
func (s *Services) FetchOpenIDConfig(ctx context.Context, configURL, registrationToken string) (OpenIDConfig, error) {
	return OpenIDConfig{}, fmt.Errorf("lti: TODO")
}

// Register registers Twelve with the platform and returns the Platform.
func (s *Services) Register(ctx context.Context, cfg OpenIDConfig, registrationToken string, t ToolConfig) (Platform, error) {
	return Platform{}, fmt.Errorf("lti: TODO")
}
