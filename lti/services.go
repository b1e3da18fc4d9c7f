package lti

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Services calls a platform's Assignment and Grade Services and Names and
// Role Provisioning Service, and performs Dynamic Registration. It gets
// access tokens by the client credentials grant with a private_key_jwt
// client assertion signed by the tool's keys, and caches them per platform
// and scope set until shortly before they expire. It is safe for concurrent
// use.
type Services struct {
	keys   func() *KeySet
	client *http.Client
	now    func() time.Time

	mu     sync.Mutex
	tokens map[tokenKey]token
}

// NewServices makes Services signing with keys() (read at each token
// request, so a rotation is picked up) and calling platforms with client
// (nil: a client with a 10 s timeout).
func NewServices(keys func() *KeySet, client *http.Client) *Services {
	if client == nil {
		client = defaultClient()
	}
	return &Services{keys: keys, client: client, now: time.Now, tokens: map[tokenKey]token{}}
}

// ServiceError is a failed call to a platform service. Retry says whether
// trying again later may succeed (network errors, timeouts, 429, 5xx);
// RetryAfter is the platform's Retry-After, when it gave one.
type ServiceError struct {
	Status     int    // HTTP status; 0 for network errors
	Message    string // the platform's text (at most 500 bytes) or the network error
	Retry      bool
	RetryAfter time.Duration
}

func (e *ServiceError) Error() string {
	if e.Status == 0 {
		return "lti: service: " + e.Message
	}
	return fmt.Sprintf("lti: service answered %d: %s", e.Status, e.Message)
}

// LineItem is an AGS line item (a gradebook column).
type LineItem struct {
	ID             string  `json:"id,omitempty"`
	Label          string  `json:"label"`
	ScoreMaximum   float64 `json:"scoreMaximum"`
	ResourceID     string  `json:"resourceId,omitempty"`
	ResourceLinkID string  `json:"resourceLinkId,omitempty"`
	Tag            string  `json:"tag,omitempty"`
}

// Score is one AGS score for a user on a line item.
type Score struct {
	UserID           string
	ScoreGiven       float64
	ScoreMaximum     float64
	Comment          string
	Timestamp        time.Time
	ActivityProgress string // Initialized, Started, InProgress, Submitted, Completed
	GradingProgress  string // FullyGraded, Pending, PendingManual, Failed, NotReady
}

// Member is one NRPS membership of a context.
type Member struct {
	UserID     string   `json:"user_id"`
	Name       string   `json:"name,omitempty"`
	GivenName  string   `json:"given_name,omitempty"`
	FamilyName string   `json:"family_name,omitempty"`
	Email      string   `json:"email,omitempty"`
	Status     string   `json:"status,omitempty"` // Active, Inactive, Deleted; "" means Active
	Roles      []string `json:"roles"`
}

type tokenKey struct {
	platform int64
	scopes   string
}

type token struct {
	value   string
	expires time.Time
}

// LineItems lists the line items at lineItemsURL, following Link rel="next"
// pages; a non-empty resourceID asks the platform to filter by it.
func (s *Services) LineItems(ctx context.Context, p Platform, lineItemsURL, resourceID string) ([]LineItem, error) {
	return nil, fmt.Errorf("lti: TODO")
}

// CreateLineItem creates li in the container at lineItemsURL and returns it
// as the platform stored it (with its ID).
func (s *Services) CreateLineItem(ctx context.Context, p Platform, lineItemsURL string, li LineItem) (LineItem, error) {
	return LineItem{}, fmt.Errorf("lti: TODO")
}

// PostScore posts sc to the line item's scores endpoint.
func (s *Services) PostScore(ctx context.Context, p Platform, lineItemURL string, sc Score) error {
	return fmt.Errorf("lti: TODO")
}

// Members lists a context's memberships, following Link rel="next" pages.
func (s *Services) Members(ctx context.Context, p Platform, membershipsURL string) ([]Member, error) {
	return nil, fmt.Errorf("lti: TODO")
}
