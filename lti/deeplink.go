package lti

import (
	"crypto/rand"
	"errors"
	"time"
)

// ContentItem is one item of a deep linking response; Twelve sends
// "ltiResourceLink" items pointing at its launch URL.
type ContentItem struct {
	Type     string            `json:"type"` // "ltiResourceLink"
	Title    string            `json:"title,omitempty"`
	Text     string            `json:"text,omitempty"`
	URL      string            `json:"url,omitempty"`
	Custom   map[string]string `json:"custom,omitempty"`
	LineItem *LineItemSpec     `json:"lineItem,omitempty"`
}

// LineItemSpec asks the platform to create a gradebook column with the
// resource link a content item creates.
type LineItemSpec struct {
	Label        string  `json:"label"`
	ScoreMaximum float64 `json:"scoreMaximum"`
	ResourceID   string  `json:"resourceId,omitempty"`
	Tag          string  `json:"tag,omitempty"`
}

// ContentItemLTIResourceLink is the content item type of an LTI link.
const ContentItemLTIResourceLink = "ltiResourceLink"

// deepLinkingLifetime is how long a deep linking response stays valid.
const deepLinkingLifetime = 5 * time.Minute

// DeepLinkingResponse signs the LtiDeepLinkingResponse message carrying
// items back to p (to post as the JWT form field to s.ReturnURL): iss is
// Twelve's client id, aud the platform's issuer, the request's data echoed.
func (k *KeySet) DeepLinkingResponse(p Platform, deploymentID string, s DeepLinkingSettings, items []ContentItem, now time.Time) (string, error) {
	if deploymentID == "" {
		return "", errors.New("lti: deep linking response: no deployment id")
	}
	if items == nil {
		items = []ContentItem{}
	}
	claims := map[string]any{
		"iss":               p.ClientID,
		"aud":               p.Issuer,
		"iat":               now.Unix(),
		"exp":               now.Add(deepLinkingLifetime).Unix(),
		"nonce":             rand.Text(),
		ClaimMessageType:    MessageDeepLinkingResponse,
		ClaimVersion:        Version,
		ClaimDeploymentID:   deploymentID,
		ClaimDLContentItems: items,
	}
	if s.Data != "" {
		claims[ClaimDLData] = s.Data
	}
	return k.Sign(claims)
}
