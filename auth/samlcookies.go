package auth

import "time"

// SAML endpoints and cookies. Like the OpenID Connect flow, a SAML sign-in
// in progress lives only in the browser, in short-lived cookies signed and
// encrypted with the SECRET_KEY list, so that any process can finish it.
const (
	// SAMLMetadataPath serves this site's service provider metadata.
	SAMLMetadataPath = "/saml/metadata"
	// SAMLACSPath is the assertion consumer service (HTTP-POST binding).
	SAMLACSPath = "/saml/acs"
	// SAMLSLOPath is the single logout service (HTTP-Redirect and HTTP-POST).
	SAMLSLOPath = "/saml/slo"

	// SAMLFlowCookie carries one SAML sign-in in progress (the AuthnRequest
	// ID, the RelayState sent with it, where to go back to) from /login to
	// the assertion consumer. It is scoped to SAMLACSPath, lasts FlowTTL and
	// is cleared by the first response that reaches the consumer.
	SAMLFlowCookie = "twelve_saml_signin"

	// SAMLSignOutCookie carries the ID of the LogoutRequest sent to the
	// identity provider, scoped to SAMLSLOPath, so that only the answer to
	// it is taken.
	SAMLSignOutCookie = "twelve_saml_signout"

	// SAMLHintCookie carries the NameID and session index a SAML sign-in
	// was made with, which the LogoutRequest must name. It is scoped to
	// HintPath, as the OpenID Connect logout hint is.
	SAMLHintCookie = "twelve_saml_session"
)

// SAMLFlow is one SAML sign-in in progress.
type SAMLFlow struct {
	// RequestID is the AuthnRequest's ID: the response must be InResponseTo it.
	RequestID string `json:"rq"`
	// Relay is the opaque RelayState sent with the request; the identity
	// provider sends it back unchanged.
	Relay   string    `json:"rs"`
	Next    string    `json:"nx"`
	Expires time.Time `json:"exp"`
}

// SAMLSession is what single logout needs to know of a SAML sign-in.
type SAMLSession struct {
	NameID          string    `json:"n"`
	Format          string    `json:"f,omitempty"`
	NameQualifier   string    `json:"nq,omitempty"`
	SPNameQualifier string    `json:"sq,omitempty"`
	SessionIndex    string    `json:"si,omitempty"`
	Expires         time.Time `json:"exp"`
}

// SAMLSignOut is one single logout in progress.
type SAMLSignOut struct {
	RequestID string    `json:"rq"`
	Expires   time.Time `json:"exp"`
}

// EncodeSAMLFlow returns the SAML flow cookie's value.
func (c *Cookies) EncodeSAMLFlow(f SAMLFlow) (string, error) { return encode(c.samlFlow, f) }

// DecodeSAMLFlow returns the sign-in in a SAML flow cookie's value.
func (c *Cookies) DecodeSAMLFlow(value string) (SAMLFlow, error) {
	return decode(c.samlFlow, value, c.now())
}

// EncodeSAMLSession returns the SAML logout hint cookie's value.
func (c *Cookies) EncodeSAMLSession(s SAMLSession) (string, error) {
	return encode(c.samlSession, s)
}

// DecodeSAMLSession returns the SAML sign-in kept for single logout.
func (c *Cookies) DecodeSAMLSession(value string) (SAMLSession, error) {
	return decode(c.samlSession, value, c.now())
}

// EncodeSAMLSignOut returns the SAML sign-out cookie's value.
func (c *Cookies) EncodeSAMLSignOut(s SAMLSignOut) (string, error) {
	return encode(c.samlSignOut, s)
}

// DecodeSAMLSignOut returns the single logout in a SAML sign-out cookie.
func (c *Cookies) DecodeSAMLSignOut(value string) (SAMLSignOut, error) {
	return decode(c.samlSignOut, value, c.now())
}
