package lti

import (
	"encoding/json"
	"strconv"

	"github.com/coreos/go-oidc/v3/oidc"
)

// claims are the LTI claims of a launch id_token.
type claims struct {
	AZP           string               `json:"azp"`
	Name          string               `json:"name"`
	GivenName     string               `json:"given_name"`
	FamilyName    string               `json:"family_name"`
	Email         string               `json:"email"`
	MessageType   string               `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
	Version       string               `json:"https://purl.imsglobal.org/spec/lti/claim/version"`
	DeploymentID  string               `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
	TargetLinkURI string               `json:"https://purl.imsglobal.org/spec/lti/claim/target_link_uri"`
	ResourceLink  *ResourceLink        `json:"https://purl.imsglobal.org/spec/lti/claim/resource_link"`
	Roles         *[]string            `json:"https://purl.imsglobal.org/spec/lti/claim/roles"`
	Context       *Context             `json:"https://purl.imsglobal.org/spec/lti/claim/context"`
	Custom        map[string]any       `json:"https://purl.imsglobal.org/spec/lti/claim/custom"`
	AGS           *AGSEndpoint         `json:"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"`
	NRPS          *NRPSEndpoint        `json:"https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"`
	DeepLinking   *DeepLinkingSettings `json:"https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"`
	Presentation  *struct {
		ReturnURL string `json:"return_url"`
	} `json:"https://purl.imsglobal.org/spec/lti/claim/launch_presentation"`
	Subject string `json:"sub"`
}

func (c *claims) check(p Platform) error {
	if c.Version != Version {
		return refuse("its LTI version is %s, not %s", quote(c.Version), Version)
	}
	if c.DeploymentID == "" {
		return refuse("it has no deployment id")
	}
	if !p.HasDeployment(c.DeploymentID) {
		return refuse("its deployment is not registered with Twelve")
	}
	if c.Roles == nil {
		return refuse("it has no roles claim")
	}
	switch c.MessageType {
	case MessageResourceLink:
		switch {
		case c.Subject == "":
			return refuse("it has no user (sub)")
		case c.ResourceLink == nil || c.ResourceLink.ID == "":
			return refuse("it has no resource link id")
		case c.TargetLinkURI == "":
			return refuse("it has no target link URI")
		}
	case MessageDeepLinking:
		if c.DeepLinking == nil || c.DeepLinking.ReturnURL == "" {
			return refuse("it has no deep linking return URL")
		}
	case "":
		return refuse("it has no LTI message type")
	default:
		return refuse("its message type %s is not one Twelve handles", quote(c.MessageType))
	}
	if c.Context != nil && c.Context.ID == "" {
		return refuse("its context has no id")
	}
	return nil
}

// quote is a claim value for a reason: quoted and cut short, as it comes
// from the token.
func quote(s string) string { return strconv.Quote(cut(s, 40)) }

func (c *claims) launch(tok *oidc.IDToken, p Platform) *Launch {
	l := &Launch{
		Issuer:        tok.Issuer,
		Subject:       tok.Subject,
		ClientID:      p.ClientID,
		DeploymentID:  c.DeploymentID,
		MessageType:   c.MessageType,
		TargetLinkURI: c.TargetLinkURI,
		Nonce:         tok.Nonce,
		Name:          c.Name,
		GivenName:     c.GivenName,
		FamilyName:    c.FamilyName,
		Email:         c.Email,
		Roles:         *c.Roles,
		AGS:           c.AGS,
		NRPS:          c.NRPS,
		DeepLinking:   c.DeepLinking,
		Expires:       tok.Expiry,
	}
	if c.Context != nil {
		l.Context = *c.Context
	}
	if c.ResourceLink != nil {
		l.ResourceLink = *c.ResourceLink
	}
	if c.NRPS != nil && c.NRPS.ContextMembershipsURL == "" {
		l.NRPS = nil
	}
	if c.Presentation != nil {
		l.ReturnURL = c.Presentation.ReturnURL
	}
	if len(c.Custom) > 0 {
		l.Custom = make(map[string]string, len(c.Custom))
		for k, v := range c.Custom {
			switch v := v.(type) {
			case string:
				l.Custom[k] = v
			case nil:
			default:
				b, _ := json.Marshal(v)
				l.Custom[k] = string(b)
			}
		}
	}
	return l
}
