package lti

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
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
	tokens map[tokenKey]*tokenEntry
}

// NewServices makes Services signing with keys() (read at each token
// request, so a rotation is picked up) and calling platforms with client
// (nil: a client with a 10 s timeout).
func NewServices(keys func() *KeySet, client *http.Client) *Services {
	if client == nil {
		client = defaultClient()
	}
	return &Services{keys: keys, client: client, now: time.Now, tokens: map[tokenKey]*tokenEntry{}}
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

const (
	assertionLifetime = 5 * time.Minute
	// tokenMargin: a cached token is not used in its last 30 seconds.
	tokenMargin = 30 * time.Second
	// defaultTokenLife applies when the token answer has no expires_in.
	defaultTokenLife = 5 * time.Minute
	maxMessage       = 500
	maxServiceBody   = 4 << 20
	maxPages         = 1000
)

// call is one request to a platform service.
type call struct {
	method      string
	url         string
	accept      string
	contentType string
	body        []byte
	scopes      []string
}

// answer is a successful service response.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do makes the call with a bearer token for its scopes; a 401 drops the
// token and tries once more with a new one.
func (s *Services) do(ctx context.Context, p Platform, c call) (answer, error) {
	if err := CheckURL(c.url); err != nil {
		return answer{}, &ServiceError{Message: "unusable service URL: " + err.Error()}
	}
	for attempt := 0; ; attempt++ {
		tok, err := s.token(ctx, p, c.scopes)
		if err != nil {
			return answer{}, err
		}
		a, err := s.send(ctx, c, tok)
		var se *ServiceError
		if attempt == 0 && errors.As(err, &se) && se.Status == http.StatusUnauthorized {
			s.dropToken(p, c.scopes, tok)
			continue
		}
		return a, err
	}
}

func (s *Services) send(ctx context.Context, c call, bearer string) (answer, error) {
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, body)
	if err != nil {
		return answer{}, &ServiceError{Message: "unusable service URL"}
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return s.roundTrip(req)
}

// roundTrip sends req and turns every failure into a *ServiceError.
func (s *Services) roundTrip(req *http.Request) (answer, error) {
	resp, err := s.client.Do(req)
	if err != nil {
		return answer{}, &ServiceError{Message: networkMessage(err), Retry: true}
	}
	b, err := readLimited(resp, maxServiceBody)
	if err != nil {
		return answer{}, &ServiceError{Status: resp.StatusCode, Message: "reading the answer: " + err.Error(), Retry: true}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return answer{}, statusError(resp, b, s.now())
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func networkMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		// The URL may carry the platform's query parameters: name the
		// operation and the cause only.
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

func statusError(resp *http.Response, body []byte, now time.Time) *ServiceError {
	code := resp.StatusCode
	e := &ServiceError{
		Status:  code,
		Message: cut(strings.TrimSpace(string(body)), maxMessage),
		Retry:   code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500,
	}
	if e.Message == "" {
		e.Message = http.StatusText(code)
	}
	if e.Retry {
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
	}
	return e
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// nextLink is the Link header's rel="next" target resolved against base, or
// "" when there is none.
func nextLink(h http.Header, base string) string {
	for _, v := range h.Values("Link") {
		for _, part := range splitLinks(v) {
			target, params, ok := strings.Cut(part, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, param := range strings.Split(params, ";") {
				name, val, _ := strings.Cut(strings.TrimSpace(param), "=")
				if !strings.EqualFold(strings.TrimSpace(name), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
					if strings.EqualFold(rel, "next") {
						return resolve(base, target[1:len(target)-1])
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header on the commas between links (not those
// inside <…> or quotes).
func splitLinks(v string) []string {
	var parts []string
	inURL, inQuote, start := false, false, 0
	for i, r := range v {
		switch {
		case r == '<' && !inQuote:
			inURL = true
		case r == '>' && !inQuote:
			inURL = false
		case r == '"' && !inURL:
			inQuote = !inQuote
		case r == ',' && !inURL && !inQuote:
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ""
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	return b.ResolveReference(r).String()
}
