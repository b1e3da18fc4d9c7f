// Package lti speaks LTI 1.3 as a tool: the OIDC third-party login, the
// id_token checks of a launch, the tool's signing keys, deep linking
// responses, the Assignment and Grade Services and the Names and Role
// Provisioning Service (client credentials), and Dynamic Registration. It
// knows nothing of Twelve's database or web framework: callers hand it the
// Platform rows and an *http.Client with timeouts.
package lti

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Claim names, message types and service scopes of LTI 1.3, Deep Linking 2.0,
// AGS 2.0 and NRPS 2.0.
const (
	ClaimMessageType           = "https://purl.imsglobal.org/spec/lti/claim/message_type"
	ClaimVersion               = "https://purl.imsglobal.org/spec/lti/claim/version"
	ClaimDeploymentID          = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
	ClaimTargetLinkURI         = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
	ClaimResourceLink          = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
	ClaimRoles                 = "https://purl.imsglobal.org/spec/lti/claim/roles"
	ClaimContext               = "https://purl.imsglobal.org/spec/lti/claim/context"
	ClaimCustom                = "https://purl.imsglobal.org/spec/lti/claim/custom"
	ClaimLaunchPresentation    = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
	ClaimAGS                   = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
	ClaimNRPS                  = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
	ClaimDeepLinking           = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
	ClaimDLContentItems        = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
	ClaimDLData                = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
	MessageResourceLink        = "LtiResourceLinkRequest"
	MessageDeepLinking         = "LtiDeepLinkingRequest"
	MessageDeepLinkingResponse = "LtiDeepLinkingResponse"
	ScopeLineItem              = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
	ScopeLineItemRead          = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
	ScopeResultRead            = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
	ScopeScore                 = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
	ScopeMemberships           = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
)

// Version is the only LTI version a launch may carry.
const Version = "1.3.0"

// Platform is one LMS registration: the issuer and the client id it gave
// Twelve, its endpoints, and the deployments launches may come from.
type Platform struct {
	ID          int64
	Issuer      string
	ClientID    string
	Name        string
	AuthURL     string // OIDC authorization endpoint
	TokenURL    string // OAuth2 token endpoint (client credentials)
	JWKSURL     string
	Deployments []string
	// TokenAudience is the aud of the client assertion sent to TokenURL
	// when the platform names one of its own (Brightspace's "OAuth2
	// Audience", the authorization_server of a dynamic registration);
	// "" means TokenURL.
	TokenAudience string
	// LearnsDeployments is set for a platform whose dynamic registration
	// named no deployment (as LMSs that make deployments later do): every
	// deployment id its signed launches carry is accepted, and the caller
	// records it.
	LearnsDeployments bool
}

// tokenAudience is the aud the platform's token endpoint expects.
func (p Platform) tokenAudience() string {
	if p.TokenAudience != "" {
		return p.TokenAudience
	}
	return p.TokenURL
}

// HasDeployment reports whether id is one of the platform's deployments,
// or any non-empty id for a platform that learns its deployments.
func (p Platform) HasDeployment(id string) bool {
	if p.LearnsDeployments {
		return id != ""
	}
	for _, d := range p.Deployments {
		if d == id {
			return true
		}
	}
	return false
}

// CheckURL accepts an absolute https URL, or an http URL whose host is a
// loopback address or "localhost" (a platform on the developer's machine).
// Its errors never quote the URL's query or credentials.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("lti: not a URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return errors.New("lti: URL has no host")
	}
	if u.User != nil {
		return errors.New("lti: URL carries credentials")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("lti: %s must use https", u.Host)
	default:
		return errors.New("lti: URL must use https")
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
