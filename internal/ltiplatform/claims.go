package ltiplatform

// Claim names, message types and scopes, spelled out here rather than
// imported from Twelve's lti package (see the package comment).
const (
	claimMessageType  = "https://purl.imsglobal.org/spec/lti/claim/message_type"
	claimVersion      = "https://purl.imsglobal.org/spec/lti/claim/version"
	claimDeploy       = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
	claimTarget       = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
	claimResourceLink = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
	claimRoles        = "https://purl.imsglobal.org/spec/lti/claim/roles"
	claimContext      = "https://purl.imsglobal.org/spec/lti/claim/context"
	claimCustom       = "https://purl.imsglobal.org/spec/lti/claim/custom"
	claimPresentation = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
	claimPlatform     = "https://purl.imsglobal.org/spec/lti/claim/tool_platform"
	claimAGS          = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
	claimNRPS         = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
	claimDeepLinking  = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
	claimDLItems      = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
	claimDLData       = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
	claimToolConfig   = "https://purl.imsglobal.org/spec/lti-tool-configuration"
	claimPlatformConf = "https://purl.imsglobal.org/spec/lti-platform-configuration"

	messageResourceLink = "LtiResourceLinkRequest"
	messageDeepLinking  = "LtiDeepLinkingRequest"
	messageDLResponse   = "LtiDeepLinkingResponse"

	productFamily = "twelve-test-lms"
)

// The service scopes the platform grants.
const (
	ScopeLineItem     = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
	ScopeLineItemRead = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
	ScopeResultRead   = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
	ScopeScore        = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
	ScopeMemberships  = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
)

func allScopes() []string {
	return []string{ScopeLineItem, ScopeLineItemRead, ScopeResultRead, ScopeScore, ScopeMemberships}
}
