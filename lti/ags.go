package lti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Media types of the Assignment and Grade Services.
const (
	mediaLineItem          = "application/vnd.ims.lis.v2.lineitem+json"
	mediaLineItemContainer = "application/vnd.ims.lis.v2.lineitemcontainer+json"
	mediaScore             = "application/vnd.ims.lis.v1.score+json"
)

// LineItems lists the line items at lineItemsURL, following Link rel="next"
// pages; a non-empty resourceID asks the platform to filter by it (and the
// answer is filtered again here, for platforms that ignore the parameter).
func (s *Services) LineItems(ctx context.Context, p Platform, lineItemsURL, resourceID string) ([]LineItem, error) {
	next := lineItemsURL
	if resourceID != "" {
		u, err := url.Parse(lineItemsURL)
		if err != nil {
			return nil, &ServiceError{Message: "unusable line items URL"}
		}
		q := u.Query()
		q.Set("resource_id", resourceID)
		u.RawQuery = q.Encode()
		next = u.String()
	}
	var items []LineItem
	for page := 0; next != "" && page < maxPages; page++ {
		a, err := s.do(ctx, p, call{method: http.MethodGet, url: next, accept: mediaLineItemContainer,
			scopes: []string{ScopeLineItem}})
		if err != nil {
			return nil, fmt.Errorf("lti: line items: %w", err)
		}
		var got []LineItem
		if err := json.Unmarshal(a.body, &got); err != nil {
			return nil, fmt.Errorf("lti: line items: %w", &ServiceError{Status: a.status, Message: "the answer is not a list of line items"})
		}
		for _, li := range got {
			if resourceID == "" || li.ResourceID == resourceID {
				items = append(items, li)
			}
		}
		next = nextLink(a.header, next)
	}
	return items, nil
}

// CreateLineItem creates li in the container at lineItemsURL and returns it
// as the platform stored it (with its ID).
func (s *Services) CreateLineItem(ctx context.Context, p Platform, lineItemsURL string, li LineItem) (LineItem, error) {
	if strings.TrimSpace(li.Label) == "" || li.ScoreMaximum <= 0 {
		return LineItem{}, errors.New("lti: create line item: a label and a positive scoreMaximum are required")
	}
	li.ID = ""
	body, err := json.Marshal(li)
	if err != nil {
		return LineItem{}, fmt.Errorf("lti: create line item: %w", err)
	}
	a, err := s.do(ctx, p, call{method: http.MethodPost, url: lineItemsURL, accept: mediaLineItem,
		contentType: mediaLineItem, body: body, scopes: []string{ScopeLineItem}})
	if err != nil {
		return LineItem{}, fmt.Errorf("lti: create line item: %w", err)
	}
	var got LineItem
	if err := json.Unmarshal(a.body, &got); err != nil || got.ID == "" {
		return LineItem{}, fmt.Errorf("lti: create line item: %w", &ServiceError{Status: a.status, Message: "the answer is not a line item with an id"})
	}
	return got, nil
}

// scoreJSON is the AGS score document.
type scoreJSON struct {
	UserID           string  `json:"userId"`
	ScoreGiven       float64 `json:"scoreGiven"`
	ScoreMaximum     float64 `json:"scoreMaximum"`
	Comment          string  `json:"comment,omitempty"`
	Timestamp        string  `json:"timestamp"`
	ActivityProgress string  `json:"activityProgress"`
	GradingProgress  string  `json:"gradingProgress"`
}

// scoreTimestamp is how a score's timestamp is written: RFC 3339 with
// microseconds always present (PostgreSQL's precision), because AGS asks
// for sub-second precision and RFC3339Nano drops a zero fraction.
const scoreTimestamp = "2006-01-02T15:04:05.000000Z07:00"

// PostScore posts sc to the line item's scores endpoint ({lineItem}/scores,
// the line item's query string kept). Platforms ignore a score older than
// the one they hold, so Timestamp should be when the grade was made.
func (s *Services) PostScore(ctx context.Context, p Platform, lineItemURL string, sc Score) error {
	if sc.UserID == "" {
		return errors.New("lti: post score: no user id")
	}
	if sc.Timestamp.IsZero() {
		return errors.New("lti: post score: no timestamp")
	}
	scoresURL, err := ScoresURL(lineItemURL)
	if err != nil {
		return fmt.Errorf("lti: post score: %w", &ServiceError{Message: err.Error()})
	}
	body, err := json.Marshal(scoreJSON{
		UserID:           sc.UserID,
		ScoreGiven:       sc.ScoreGiven,
		ScoreMaximum:     sc.ScoreMaximum,
		Comment:          sc.Comment,
		Timestamp:        sc.Timestamp.UTC().Format(scoreTimestamp),
		ActivityProgress: sc.ActivityProgress,
		GradingProgress:  sc.GradingProgress,
	})
	if err != nil {
		return fmt.Errorf("lti: post score: %w", err)
	}
	if _, err := s.do(ctx, p, call{method: http.MethodPost, url: scoresURL, contentType: mediaScore,
		body: body, scopes: []string{ScopeScore}}); err != nil {
		return fmt.Errorf("lti: post score: %w", err)
	}
	return nil
}

// ScoresURL is a line item's scores endpoint: "/scores" appended to its
// path, its query string kept.
func ScoresURL(lineItemURL string) (string, error) {
	u, err := url.Parse(lineItemURL)
	if err != nil || u.Host == "" {
		return "", errors.New("unusable line item URL")
	}
	return u.JoinPath("scores").String(), nil
}
