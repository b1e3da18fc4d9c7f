package lti

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

const mediaMembershipContainer = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

// Members lists a context's memberships, following Link rel="next" pages
// (at most 1000).
func (s *Services) Members(ctx context.Context, p Platform, membershipsURL string) ([]Member, error) {
	var members []Member
	next := membershipsURL
	for page := 0; next != "" && page < maxPages; page++ {
		a, err := s.do(ctx, p, call{method: http.MethodGet, url: next, accept: mediaMembershipContainer,
			scopes: []string{ScopeMemberships}})
		if err != nil {
			return nil, fmt.Errorf("lti: members: %w", err)
		}
		var got struct {
			Members *[]Member `json:"members"`
		}
		if err := json.Unmarshal(a.body, &got); err != nil || got.Members == nil {
			return nil, fmt.Errorf("lti: members: %w", &ServiceError{Status: a.status, Message: "the answer is not a membership container"})
		}
		for _, m := range *got.Members {
			if m.UserID != "" {
				members = append(members, m)
			}
		}
		next = nextLink(a.header, next)
	}
	return members, nil
}
