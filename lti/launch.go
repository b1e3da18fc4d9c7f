package lti

import (
	"strings"
	"time"
)

// Launch is what a verified id_token says: who launched, from where, into
// which context and link, and which services the tool may call.
type Launch struct {
	Issuer        string
	Subject       string // sub: the user's id at the platform (empty for anonymous deep linking)
	ClientID      string // the audience Twelve was registered as
	DeploymentID  string
	MessageType   string // MessageResourceLink or MessageDeepLinking
	TargetLinkURI string
	Nonce         string
	Name          string
	GivenName     string
	FamilyName    string
	Email         string
	Roles         []string
	Context       Context
	ResourceLink  ResourceLink
	Custom        map[string]string
	AGS           *AGSEndpoint         // nil when the platform offers no grade service
	NRPS          *NRPSEndpoint        // nil when the platform offers no roster service
	DeepLinking   *DeepLinkingSettings // set for MessageDeepLinking only
	ReturnURL     string               // launch_presentation.return_url
	Expires       time.Time
}

// Context is the LMS course (or group) a launch comes from.
type Context struct {
	ID    string   `json:"id"`
	Label string   `json:"label,omitempty"`
	Title string   `json:"title,omitempty"`
	Type  []string `json:"type,omitempty"`
}

// ResourceLink is the placement in the LMS the user clicked.
type ResourceLink struct {
	ID          string `json:"id"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}

// AGSEndpoint is the Assignment and Grade Services claim.
type AGSEndpoint struct {
	Scope     []string `json:"scope"`
	LineItems string   `json:"lineitems,omitempty"` // the context's line items container URL
	LineItem  string   `json:"lineitem,omitempty"`  // the link's own line item, when it has one
}

// Allows reports whether the platform granted scope.
func (a *AGSEndpoint) Allows(scope string) bool {
	if a == nil {
		return false
	}
	for _, s := range a.Scope {
		if s == scope {
			return true
		}
	}
	return false
}

// NRPSEndpoint is the Names and Role Provisioning Service claim.
type NRPSEndpoint struct {
	ContextMembershipsURL string   `json:"context_memberships_url"`
	ServiceVersions       []string `json:"service_versions,omitempty"`
}

// DeepLinkingSettings is the deep_linking_settings claim of a deep linking
// request; the response goes to ReturnURL and echoes Data.
type DeepLinkingSettings struct {
	ReturnURL          string   `json:"deep_link_return_url"`
	AcceptTypes        []string `json:"accept_types"`
	AcceptPresentation []string `json:"accept_presentation_document_targets"`
	AcceptMediaTypes   string   `json:"accept_media_types,omitempty"`
	AcceptMultiple     bool     `json:"accept_multiple,omitempty"`
	AutoCreate         bool     `json:"auto_create,omitempty"`
	Title              string   `json:"title,omitempty"`
	Text               string   `json:"text,omitempty"`
	Data               string   `json:"data,omitempty"`
}

// Accepts reports whether the platform takes content items of type t.
func (s DeepLinkingSettings) Accepts(t string) bool {
	for _, a := range s.AcceptTypes {
		if a == t {
			return true
		}
	}
	return false
}

// DisplayName is the user's name as the platform gave it: name, else given
// and family names, else the email address, else "".
func (l *Launch) DisplayName() string {
	if n := strings.TrimSpace(l.Name); n != "" {
		return n
	}
	if n := strings.TrimSpace(strings.TrimSpace(l.GivenName) + " " + strings.TrimSpace(l.FamilyName)); n != "" {
		return n
	}
	return strings.TrimSpace(l.Email)
}

// Class roles ClassRole answers.
const (
	RoleInstructor = "instructor"
	RoleTA         = "ta"
	RoleStudent    = "student"
)

const (
	membershipRoles = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
	membershipSub   = "http://purl.imsglobal.org/vocab/lis/v2/membership/"
)

// ClassRole maps a launch's roles to Twelve's class roles: "instructor",
// "ta", "student", or "" when none applies. Only context (membership) roles
// count, as full URIs (…/membership#Instructor), sub-roles
// (…/membership/Instructor#TeachingAssistant) or the short forms the core
// specification still allows ("Instructor"); institution and system roles
// say nothing about this course. Instructor, Administrator and
// ContentDeveloper give instructor; the TeachingAssistant sub-role (which
// platforms send alongside its principal role, Instructor) gives ta;
// Learner and Member give student. Mentor and Manager give nothing.
func ClassRole(roles []string) string {
	var instructor, plainInstructor, ta, student bool
	for _, r := range roles {
		switch principal, sub := contextRole(r); {
		case sub == "TeachingAssistant", sub == "Grader" && principal == "Instructor",
			principal == "TeachingAssistant":
			ta = true
		case principal == "Instructor" && sub == "":
			// Platforms send the principal role alongside every sub-role,
			// so a TA carries it too: it only counts without one.
			plainInstructor = true
		case principal == "Instructor", principal == "Administrator", principal == "ContentDeveloper":
			instructor = true
		case principal == "Learner", principal == "Member":
			student = true
		}
	}
	switch {
	case instructor:
		return RoleInstructor
	case ta:
		return RoleTA
	case plainInstructor:
		return RoleInstructor
	case student:
		return RoleStudent
	}
	return ""
}

// contextRole splits a context role into its principal role and sub-role
// ("" when none); ("", "") when r is not a context role.
func contextRole(r string) (principal, sub string) {
	r = strings.TrimSpace(r)
	switch {
	case strings.HasPrefix(r, membershipRoles):
		return r[len(membershipRoles):], ""
	case strings.HasPrefix(r, membershipSub):
		rest := r[len(membershipSub):]
		p, s, ok := strings.Cut(rest, "#")
		if !ok {
			return "", ""
		}
		return p, s
	case strings.Contains(r, "/") || strings.Contains(r, ":") || strings.Contains(r, "#"):
		return "", ""
	default:
		return r, "" // short form
	}
}
