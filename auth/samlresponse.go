package auth

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"
)

const (
	samlProtocolNS = "urn:oasis:names:tc:SAML:2.0:protocol"
	samlAssertNS   = "urn:oasis:names:tc:SAML:2.0:assertion"
	xmldsigNS      = "http://www.w3.org/2000/09/xmldsig#"

	// maxSubjectBytes bounds the user id taken from an assertion: a
	// persistent NameID has at most 256 characters (saml-core §8.3.7).
	maxSubjectBytes = 256
)

// Finish verifies the SAML response posted to the assertion consumer for
// the sign-in f (nil when this browser has none in progress) and returns
// who signed in. form is the posted form (SAMLResponse, RelayState).
//
// crewjam/saml checks the signature (Response or Assertion, against the
// certificates in the IdP's metadata, reading only what the signature
// covers), the issuer, the Destination and Recipient, the audience, the
// validity window, the bearer confirmation and InResponseTo. Before that,
// Finish refuses what it can tell without the library: XML comments (which
// a signature does not cover, CVE-2018-7340), a response with no signature
// at all, an unsolicited response when IdP-initiated sign-in is off, and
// an InResponseTo or RelayState that is not this browser's. Errors wrap
// ErrState, ErrUnsolicited, ErrProviderRefused, ErrSAMLSignature,
// ErrSAMLAudience, ErrSAMLExpired, ErrSAMLResponse, ErrNoStableID or
// ErrUnavailable.
func (sp *ServiceProvider) Finish(origin string, f *SAMLFlow, form url.Values) (SAMLResult, error) {
	d := sp.idp.Load()
	if d == nil {
		sp.Nudge()
		return SAMLResult{}, ErrUnavailable
	}
	encoded := form.Get("SAMLResponse")
	if encoded == "" {
		return SAMLResult{}, fmt.Errorf("%w: no SAMLResponse in the form", ErrSAMLResponse)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return SAMLResult{}, fmt.Errorf("%w: SAMLResponse is not base64", ErrSAMLResponse)
	}
	shape, err := scanResponse(raw)
	if err != nil {
		return SAMLResult{}, err
	}

	relay := form.Get("RelayState")
	var requestIDs []string
	next := "/"
	switch {
	case shape.inResponseTo == "" && !sp.cfg.AllowIDPInitiated:
		return SAMLResult{}, fmt.Errorf("%w: the response answers no request", ErrUnsolicited)
	case shape.inResponseTo == "":
		// IdP-initiated: Shibboleth passes its "target" as the RelayState.
		next = SafeNext(relay)
	case f == nil:
		return SAMLResult{}, fmt.Errorf("%w: the response answers a request, but this browser has no sign-in in progress", ErrState)
	case subtle.ConstantTimeCompare([]byte(shape.inResponseTo), []byte(f.RequestID)) != 1:
		return SAMLResult{}, fmt.Errorf("%w: the response answers another request than this browser's", ErrState)
	case subtle.ConstantTimeCompare([]byte(relay), []byte(f.Relay)) != 1:
		return SAMLResult{}, fmt.Errorf("%w: the RelayState is not this browser's", ErrState)
	default:
		requestIDs = []string{f.RequestID}
		next = f.Next
	}

	p := sp.provider(origin, d)
	assertion, err := parseXMLResponse(p, raw, requestIDs)
	if err != nil {
		return SAMLResult{}, classifySAML(err)
	}
	res, err := sp.readAssertion(assertion, d.EntityID)
	if err != nil {
		return SAMLResult{}, err
	}
	res.Next = next
	return res, nil
}

// parseXMLResponse verifies a response with crewjam/saml. A panic in the
// library (GO-2026-6909 is one, for an encrypted assertion scanResponse
// cannot see into) becomes a refusal, not a 500.
func parseXMLResponse(p *saml.ServiceProvider, raw []byte, requestIDs []string) (a *saml.Assertion, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, err = nil, fmt.Errorf("%w: the response could not be verified (%v)", ErrSAMLResponse, r)
		}
	}()
	return p.ParseXMLResponse(raw, requestIDs, p.AcsURL)
}

// responseShape is what scanResponse learns before any verification.
type responseShape struct {
	inResponseTo string
	// status is the top-level StatusCode, unverified.
	status string
}

// scanResponse reads a response's XML once, unverified, to refuse what
// must never reach the verifier and to learn the InResponseTo that decides
// how it is checked. It refuses comments and DTDs anywhere, a root that is
// not a samlp:Response, and a response without any signature (an
// encrypted assertion may hide one, so the library decides those). A
// response whose status is not Success is refused as the IdP's refusal:
// it would be refused anyway, and the unverified status only picks the
// message (IdPs often leave error responses unsigned).
func scanResponse(raw []byte) (responseShape, error) {
	var shape responseShape
	dec := xml.NewDecoder(bytes.NewReader(raw))
	depth, signed, sawRoot := 0, false, false
	var path [3]string // local names of the open elements, to depth 3
	// Open saml:Assertion elements: the depth each opened at and whether it
	// has its own saml:Issuer yet. crewjam/saml v0.6.3 panics on a signed
	// assertion without one (GO-2026-6909), so such a response is refused
	// here, before the library sees it.
	type openAssertion struct {
		depth  int
		issuer bool
	}
	var assertions []openAssertion
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return shape, fmt.Errorf("%w: unreadable XML: %w", ErrSAMLResponse, err)
		}
		switch t := tok.(type) {
		case xml.Comment:
			return shape, fmt.Errorf("%w: the response contains an XML comment", ErrSAMLResponse)
		case xml.Directive:
			return shape, fmt.Errorf("%w: the response contains a DTD or directive", ErrSAMLResponse)
		case xml.StartElement:
			if depth == 0 {
				if sawRoot || t.Name.Space != samlProtocolNS || t.Name.Local != "Response" {
					return shape, fmt.Errorf("%w: the root element is not a samlp:Response", ErrSAMLResponse)
				}
				sawRoot = true
				for _, a := range t.Attr {
					if a.Name.Space == "" && a.Name.Local == "InResponseTo" {
						shape.inResponseTo = a.Value
					}
				}
			}
			if (t.Name.Space == xmldsigNS && t.Name.Local == "Signature") || (t.Name.Space == samlAssertNS && t.Name.Local == "EncryptedAssertion") {
				signed = true
			}
			if depth == 2 && t.Name.Space == samlProtocolNS && t.Name.Local == "StatusCode" && path[1] == "Status" {
				for _, a := range t.Attr {
					if a.Name.Space == "" && a.Name.Local == "Value" {
						shape.status = a.Value
					}
				}
			}
			// A NameID outside the SAML assertion namespace would be read by
			// crewjam/saml as the subject's (GO-2026-6909): refuse it.
			if t.Name.Local == "NameID" && t.Name.Space != samlAssertNS {
				return shape, fmt.Errorf("%w: a NameID outside the SAML assertion namespace", ErrSAMLResponse)
			}
			if t.Name.Space == samlAssertNS && t.Name.Local == "Issuer" && len(assertions) > 0 && assertions[len(assertions)-1].depth == depth-1 {
				assertions[len(assertions)-1].issuer = true
			}
			if t.Name.Space == samlAssertNS && t.Name.Local == "Assertion" {
				assertions = append(assertions, openAssertion{depth: depth})
			}
			if depth < len(path) {
				path[depth] = t.Name.Local
			}
			depth++
		case xml.EndElement:
			depth--
			if n := len(assertions); n > 0 && assertions[n-1].depth == depth {
				if !assertions[n-1].issuer {
					return shape, fmt.Errorf("%w: an assertion without its Issuer", ErrSAMLResponse)
				}
				assertions = assertions[:n-1]
			}
		}
	}
	if !sawRoot {
		return shape, fmt.Errorf("%w: empty response", ErrSAMLResponse)
	}
	if shape.status != "" && shape.status != saml.StatusSuccess {
		return shape, fmt.Errorf("%w: status %s (unverified)", ErrProviderRefused, truncate(shape.status, 120))
	}
	if !signed {
		return shape, fmt.Errorf("%w: neither the response nor its assertion is signed", ErrSAMLSignature)
	}
	return shape, nil
}

// classifySAML maps crewjam/saml's refusal to one of ours, keeping the
// library's private detail for the log.
func classifySAML(err error) error {
	detail := err
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		detail = ire.PrivateErr
	}
	var status saml.ErrBadStatus
	switch {
	case errors.As(err, &status):
		return fmt.Errorf("%w: status %s", ErrProviderRefused, truncate(status.Status, 120))
	case errors.Is(err, saml.ErrRequestIDMismatch):
		return fmt.Errorf("%w: %w", ErrState, detail)
	case errors.Is(err, saml.ErrInvalidSignature), errors.Is(err, saml.ErrUntrustedCertificate), errors.Is(err, saml.ErrCertificateNotValidNow):
		return fmt.Errorf("%w: %w", ErrSAMLSignature, detail)
	case errors.Is(err, saml.ErrAudienceMismatch), errors.Is(err, saml.ErrDestinationMismatch):
		return fmt.Errorf("%w: %w", ErrSAMLAudience, detail)
	case errors.Is(err, saml.ErrExpired), errors.Is(err, saml.ErrNotYetValid):
		return fmt.Errorf("%w: %w", ErrSAMLExpired, detail)
	case strings.Contains(detail.Error(), "signature element not present"):
		// crewjam/saml does not export this one.
		return fmt.Errorf("%w: %w", ErrSAMLSignature, detail)
	}
	return fmt.Errorf("%w: %w", ErrSAMLResponse, detail)
}

// readAssertion turns a verified assertion into a profile: the user id
// (SAML_USER_ID_ATTRIBUTE, or a NameID that lasts), email, name and groups
// from the configured attributes, and the NameID and session index that
// single logout names.
func (sp *ServiceProvider) readAssertion(a *saml.Assertion, issuer string) (SAMLResult, error) {
	if a.Subject == nil || a.Subject.NameID == nil {
		return SAMLResult{}, fmt.Errorf("%w: the assertion has no NameID", ErrSAMLResponse)
	}
	nameID := a.Subject.NameID
	attrs := map[string][]string{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			for _, v := range at.Values {
				value := v.Value
				if v.NameID != nil { // eduPersonTargetedID carries a NameID
					value = v.NameID.Value
				}
				if value = strings.TrimSpace(value); value != "" && !v.Nil {
					attrs[at.Name] = append(attrs[at.Name], value)
				}
			}
		}
	}
	first := func(names []string) string {
		for _, n := range names {
			if vs := attrs[n]; len(vs) > 0 {
				return vs[0]
			}
		}
		return ""
	}

	var subject string
	if name := sp.cfg.UserIDAttribute; name != "" {
		subject = first([]string{name})
		if subject == "" {
			return SAMLResult{}, fmt.Errorf("%w: the assertion lacks the attribute %s (SAML_USER_ID_ATTRIBUTE)", ErrNoStableID, truncate(name, 120))
		}
	} else {
		if nameID.Format == string(saml.TransientNameIDFormat) {
			return SAMLResult{}, fmt.Errorf("%w: the NameID is transient; send a persistent NameID or set SAML_USER_ID_ATTRIBUTE", ErrNoStableID)
		}
		subject = strings.TrimSpace(nameID.Value)
		if subject == "" {
			return SAMLResult{}, fmt.Errorf("%w: the NameID is empty", ErrNoStableID)
		}
	}
	if len(subject) > maxSubjectBytes {
		return SAMLResult{}, fmt.Errorf("%w: the user id is longer than %d bytes", ErrNoStableID, maxSubjectBytes)
	}

	var groups []string
	for _, n := range sp.cfg.GroupsAttributes {
		groups = append(groups, attrs[n]...)
	}
	email := cleanEmail(first(sp.cfg.EmailAttributes))
	p := Profile{
		Issuer:  issuer,
		Subject: subject,
		Email:   email,
		// SAML has no email_verified: the IdP vouches for what it asserts,
		// as Entra does for OpenID Connect.
		EmailVerified: email != "",
		Name:          cleanText(first(sp.cfg.NameAttributes), maxNameRunes),
		Groups:        groups,
	}
	if p.Name == "" {
		p.Name = p.Email
	}
	s := SAMLSession{
		NameID:          nameID.Value,
		Format:          nameID.Format,
		NameQualifier:   nameID.NameQualifier,
		SPNameQualifier: nameID.SPNameQualifier,
	}
	for _, st := range a.AuthnStatements {
		if st.SessionIndex != "" {
			s.SessionIndex = st.SessionIndex
			break
		}
	}
	return SAMLResult{Profile: p, Session: s}, nil
}

// BeginSignOut returns the IdP's single logout URL carrying a signed
// LogoutRequest for the sign-in s (HTTP-Redirect binding), and the logout
// to remember in the browser. ok is false when the IdP offers no
// HTTP-Redirect single logout service or its metadata is not loaded.
func (sp *ServiceProvider) BeginSignOut(origin string, s SAMLSession, now time.Time) (SAMLSignOut, string, bool) {
	d := sp.idp.Load()
	if d == nil {
		return SAMLSignOut{}, "", false
	}
	p := sp.provider(origin, d)
	location := p.GetSLOBindingLocation(saml.HTTPRedirectBinding)
	if location == "" {
		return SAMLSignOut{}, "", false
	}
	req, err := p.MakeLogoutRequest(location, s.NameID, saml.WithSessionIndex(s.SessionIndex))
	if err != nil {
		sp.logger.Warn("SAML logout request failed", "error", err.Error())
		return SAMLSignOut{}, "", false
	}
	// The NameID must be the one the IdP issued, qualifiers and all, for
	// the IdP to find the session. The enveloped signature made above is
	// dropped: the redirect binding signs the query string instead.
	req.NameID = &saml.NameID{Format: s.Format, NameQualifier: s.NameQualifier, SPNameQualifier: s.SPNameQualifier, Value: s.NameID}
	u, err := p.RedirectLogoutRequestURL(req, "")
	if err != nil {
		sp.logger.Warn("SAML logout request failed", "error", err.Error())
		return SAMLSignOut{}, "", false
	}
	return SAMLSignOut{RequestID: req.ID, Expires: now.Add(FlowTTL)}, u.String(), true
}

// FinishSignOut verifies the IdP's LogoutResponse in r (HTTP-Redirect or
// HTTP-POST) to the LogoutRequest o. Errors are Finish's.
func (sp *ServiceProvider) FinishSignOut(origin string, o SAMLSignOut, r *http.Request) error {
	d := sp.idp.Load()
	if d == nil {
		return ErrUnavailable
	}
	if _, err := sp.provider(origin, d).ParseLogoutResponse(r, []string{o.RequestID}); err != nil {
		return classifySAML(err)
	}
	return nil
}

// AnswerSignOut verifies an IdP-initiated LogoutRequest in r and returns
// the IdP URL that carries the signed LogoutResponse. The caller signs the
// browser out before sending it there.
func (sp *ServiceProvider) AnswerSignOut(origin string, r *http.Request) (string, error) {
	d := sp.idp.Load()
	if d == nil {
		return "", ErrUnavailable
	}
	p := sp.provider(origin, d)
	req, err := p.ValidateLogoutRequest(r)
	if err != nil {
		return "", classifySAML(err)
	}
	if p.GetSLOBindingLocation(saml.HTTPRedirectBinding) == "" {
		return "", fmt.Errorf("%w: the identity provider offers no HTTP-Redirect single logout service to answer", ErrSAMLResponse)
	}
	u, err := p.MakeRedirectLogoutResponse(req.ID, r.FormValue("RelayState"))
	if err != nil {
		return "", fmt.Errorf("auth: SAML logout response: %w", err)
	}
	return u.String(), nil
}

// IsSAMLLogoutResponse reports whether r carries a LogoutResponse rather
// than a LogoutRequest.
func IsSAMLLogoutResponse(r *http.Request) bool {
	return r.FormValue("SAMLResponse") != ""
}

func xmlMarshalIndent(v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}
