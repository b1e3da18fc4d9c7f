package ltiplatform

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Media types of the services.
const (
	mediaLineItem    = "application/vnd.ims.lis.v2.lineitem+json"
	mediaLineItems   = "application/vnd.ims.lis.v2.lineitemcontainer+json"
	mediaScore       = "application/vnd.ims.lis.v1.score+json"
	mediaResults     = "application/vnd.ims.lis.v2.resultcontainer+json"
	mediaMemberships = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
)

// LineItem is a gradebook column (AGS line item).
type LineItem struct {
	ID             string  `json:"id"` // its URL
	Label          string  `json:"label"`
	ScoreMaximum   float64 `json:"scoreMaximum"`
	ResourceID     string  `json:"resourceId,omitempty"`
	ResourceLinkID string  `json:"resourceLinkId,omitempty"`
	Tag            string  `json:"tag,omitempty"`
	id             int
}

// RecordedScore is the score a (line item, user) holds: the one with the
// latest timestamp of every post.
type RecordedScore struct {
	LineItem         string    `json:"lineItem"` // the line item's URL
	UserID           string    `json:"userId"`
	ScoreGiven       *float64  `json:"scoreGiven,omitempty"`
	ScoreMaximum     *float64  `json:"scoreMaximum,omitempty"`
	Comment          string    `json:"comment,omitempty"`
	ActivityProgress string    `json:"activityProgress"`
	GradingProgress  string    `json:"gradingProgress"`
	Timestamp        time.Time `json:"timestamp"`
	// Posts counts the accepted posts for this line item and user, and
	// Ignored those among them whose timestamp was older than the kept one.
	Posts   int `json:"posts"`
	Ignored int `json:"ignored"`
}

type scoreKey struct {
	lineItem int
	user     string
}

func (p *Platform) lineItemURL(id int) string {
	u := p.issuer + "/lineitems/" + strconv.Itoa(id)
	if p.lineQuery {
		u += "?type_id=" + strconv.Itoa(id)
	}
	return u
}

// addLineItemLocked stores a new line item. p.mu must be held.
func (p *Platform) addLineItemLocked(li LineItem) *LineItem {
	li.id = len(p.st.lineItems) + 1
	li.ID = p.lineItemURL(li.id)
	p.st.lineItems = append(p.st.lineItems, &li)
	return &li
}

// lineItemLocked finds a line item by the {id} path value.
func (p *Platform) lineItemLocked(id string) (*LineItem, bool) {
	n, err := strconv.Atoi(id)
	if err != nil || n < 1 || n > len(p.st.lineItems) {
		return nil, false
	}
	return p.st.lineItems[n-1], true
}

// LineItems returns the line items, oldest first.
func (p *Platform) LineItems() []LineItem {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]LineItem, len(p.st.lineItems))
	for i, li := range p.st.lineItems {
		out[i] = *li
	}
	return out
}

// Scores returns the recorded scores in the order they were first posted.
func (p *Platform) Scores() []RecordedScore {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]RecordedScore, len(p.st.scoreOrder))
	for i, k := range p.st.scoreOrder {
		out[i] = *p.st.scores[k]
	}
	return out
}

// listLineItems (GET /lineitems) lists line items, filtered by
// resource_id, resource_link_id and tag, Link-paged by limit.
func (p *Platform) listLineItems(w http.ResponseWriter, r *http.Request) {
	if !p.authorizeService(w, r, ScopeLineItem, ScopeLineItemRead) {
		return
	}
	q := r.URL.Query()
	var items []LineItem
	for _, li := range p.LineItems() {
		if (q.Has("resource_id") && li.ResourceID != q.Get("resource_id")) ||
			(q.Has("resource_link_id") && li.ResourceLinkID != q.Get("resource_link_id")) ||
			(q.Has("tag") && li.Tag != q.Get("tag")) {
			continue
		}
		items = append(items, li)
	}
	from, to, ok := p.paginate(w, r, len(items))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, mediaLineItems, append([]LineItem{}, items[from:to]...))
}

// paginate reads limit and page, sets the Link header for the next page
// and returns the slice bounds of this one.
func (p *Platform) paginate(w http.ResponseWriter, r *http.Request, total int) (int, int, bool) {
	q := r.URL.Query()
	limit, pageNo := p.pageSize, 1
	var err error
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			p.refuse(w, r, http.StatusBadRequest, "limit must be a positive integer")
			return 0, 0, false
		}
	}
	if v := q.Get("page"); v != "" {
		if pageNo, err = strconv.Atoi(v); err != nil || pageNo < 1 {
			p.refuse(w, r, http.StatusBadRequest, "page must be a positive integer")
			return 0, 0, false
		}
	}
	from := min((pageNo-1)*limit, total)
	to := min(from+limit, total)
	if to < total {
		next := url.Values{}
		for k, vs := range q {
			next[k] = vs
		}
		next.Set("limit", strconv.Itoa(limit))
		next.Set("page", strconv.Itoa(pageNo+1))
		w.Header().Add("Link", fmt.Sprintf(`<%s%s?%s>; rel="next"`, p.issuer, r.URL.Path, next.Encode()))
	}
	return from, to, true
}

// createLineItem (POST /lineitems) adds a line item.
func (p *Platform) createLineItem(w http.ResponseWriter, r *http.Request) {
	if !p.authorizeService(w, r, ScopeLineItem) {
		return
	}
	if !hasMediaType(r, mediaLineItem) {
		p.refuse(w, r, http.StatusUnsupportedMediaType, "Content-Type must be "+mediaLineItem)
		return
	}
	var li LineItem
	if err := decodeJSON(r, &li); err != nil {
		p.refuse(w, r, http.StatusBadRequest, "line item: "+err.Error())
		return
	}
	switch {
	case strings.TrimSpace(li.Label) == "":
		p.refuse(w, r, http.StatusBadRequest, "line item: label is required")
		return
	case !(li.ScoreMaximum > 0):
		p.refuse(w, r, http.StatusBadRequest, "line item: scoreMaximum must be positive")
		return
	}
	p.mu.Lock()
	made := *p.addLineItemLocked(li)
	p.mu.Unlock()
	writeJSON(w, http.StatusCreated, mediaLineItem, made)
}

// showLineItem (GET /lineitems/{id}).
func (p *Platform) showLineItem(w http.ResponseWriter, r *http.Request) {
	if !p.authorizeService(w, r, ScopeLineItem, ScopeLineItemRead) {
		return
	}
	p.mu.Lock()
	li, ok := p.lineItemLocked(r.PathValue("id"))
	var out LineItem
	if ok {
		out = *li
	}
	p.mu.Unlock()
	if !ok {
		p.refuse(w, r, http.StatusNotFound, "no such line item")
		return
	}
	writeJSON(w, http.StatusOK, mediaLineItem, out)
}

// scorePost is a Score as posted.
type scorePost struct {
	UserID           string   `json:"userId"`
	ScoreGiven       *float64 `json:"scoreGiven"`
	ScoreMaximum     *float64 `json:"scoreMaximum"`
	Comment          string   `json:"comment"`
	Timestamp        string   `json:"timestamp"`
	ActivityProgress string   `json:"activityProgress"`
	GradingProgress  string   `json:"gradingProgress"`
}

// check validates a score and returns its timestamp.
func (s scorePost) check() (time.Time, error) {
	if s.UserID == "" {
		return time.Time{}, fmt.Errorf("userId is required")
	}
	ts, err := time.Parse(time.RFC3339Nano, s.Timestamp)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not RFC 3339", s.Timestamp)
	}
	if clock, _, _ := strings.Cut(s.Timestamp[min(len(s.Timestamp), 19):], "Z"); !strings.HasPrefix(clock, ".") {
		return time.Time{}, fmt.Errorf("timestamp %q lacks sub-second precision", s.Timestamp)
	}
	if !slices.Contains([]string{"Initialized", "Started", "InProgress", "Submitted", "Completed"}, s.ActivityProgress) {
		return time.Time{}, fmt.Errorf("activityProgress %q is not one of the AGS values", s.ActivityProgress)
	}
	if !slices.Contains([]string{"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}, s.GradingProgress) {
		return time.Time{}, fmt.Errorf("gradingProgress %q is not one of the AGS values", s.GradingProgress)
	}
	if s.ScoreGiven != nil {
		switch {
		case s.ScoreMaximum == nil || !(*s.ScoreMaximum > 0):
			return time.Time{}, fmt.Errorf("scoreMaximum must be positive when scoreGiven is given")
		case *s.ScoreGiven < 0 || *s.ScoreGiven > *s.ScoreMaximum:
			return time.Time{}, fmt.Errorf("scoreGiven %g is not within 0…scoreMaximum %g", *s.ScoreGiven, *s.ScoreMaximum)
		}
	}
	return ts, nil
}

// postScore (POST /lineitems/{id}/scores) keeps, per line item and user,
// the score with the latest timestamp; an older one is accepted and
// ignored, as AGS says.
func (p *Platform) postScore(w http.ResponseWriter, r *http.Request) {
	// Read the body first: only then does the server notice a client that
	// gives up, which ends a ScoreDelay hang.
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		p.refuse(w, r, http.StatusBadRequest, "score: the body could not be read")
		return
	}
	if m, slow := p.take(KindScoreDelay); slow {
		select {
		case <-time.After(m.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if m, failing := p.take(KindScoreStatus); failing {
		if m.Status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", strconv.Itoa(max(m.RetryAfter, 1)))
		}
		p.refuse(w, r, m.Status, fmt.Sprintf("score endpoint answers %d (misbehaviour)", m.Status))
		return
	}
	if !p.authorizeService(w, r, ScopeScore) {
		return
	}
	if !hasMediaType(r, mediaScore) {
		p.refuse(w, r, http.StatusUnsupportedMediaType, "Content-Type must be "+mediaScore)
		return
	}
	var s scorePost
	if err := json.Unmarshal(body, &s); err != nil {
		p.refuse(w, r, http.StatusBadRequest, "score: invalid JSON: "+err.Error())
		return
	}
	ts, err := s.check()
	if err != nil {
		p.refuse(w, r, http.StatusBadRequest, "score: "+err.Error())
		return
	}
	if !p.recordScore(r.PathValue("id"), s, ts) {
		p.refuse(w, r, http.StatusNotFound, "no such line item")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// recordScore keeps s when it is the latest for its line item and user; it
// reports false when there is no such line item.
func (p *Platform) recordScore(lineItem string, s scorePost, ts time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	li, ok := p.lineItemLocked(lineItem)
	if !ok {
		return false
	}
	key := scoreKey{lineItem: li.id, user: s.UserID}
	rec, seen := p.st.scores[key]
	if !seen {
		rec = &RecordedScore{LineItem: li.ID, UserID: s.UserID}
		p.st.scores[key] = rec
		p.st.scoreOrder = append(p.st.scoreOrder, key)
	}
	rec.Posts++
	if seen && ts.Before(rec.Timestamp) {
		rec.Ignored++
		return true
	}
	rec.ScoreGiven, rec.ScoreMaximum, rec.Comment = s.ScoreGiven, s.ScoreMaximum, s.Comment
	rec.ActivityProgress, rec.GradingProgress, rec.Timestamp = s.ActivityProgress, s.GradingProgress, ts
	return true
}

// listResults (GET /lineitems/{id}/results) lists the line item's results.
func (p *Platform) listResults(w http.ResponseWriter, r *http.Request) {
	if !p.authorizeService(w, r, ScopeResultRead) {
		return
	}
	p.mu.Lock()
	li, ok := p.lineItemLocked(r.PathValue("id"))
	var results []map[string]any
	if ok {
		for _, k := range p.st.scoreOrder {
			s := p.st.scores[k]
			if k.lineItem != li.id || (r.URL.Query().Has("user_id") && s.UserID != r.URL.Query().Get("user_id")) {
				continue
			}
			res := map[string]any{
				"id": li.ID + "/results/" + url.PathEscape(s.UserID), "scoreOf": li.ID, "userId": s.UserID, "comment": s.Comment,
			}
			if s.ScoreGiven != nil {
				res["resultScore"], res["resultMaximum"] = *s.ScoreGiven, *s.ScoreMaximum
			}
			results = append(results, res)
		}
	}
	p.mu.Unlock()
	if !ok {
		p.refuse(w, r, http.StatusNotFound, "no such line item")
		return
	}
	writeJSON(w, http.StatusOK, mediaResults, append([]map[string]any{}, results...))
}

// member is an NRPS v2 membership.
type member struct {
	Status     string   `json:"status"`
	Name       string   `json:"name"`
	GivenName  string   `json:"given_name"`
	FamilyName string   `json:"family_name"`
	Email      string   `json:"email"`
	UserID     string   `json:"user_id"`
	Roles      []string `json:"roles"`
}

// listMembers (GET /memberships) is the NRPS v2 context membership
// service, Link-paged by limit, filtered by role.
func (p *Platform) listMembers(w http.ResponseWriter, r *http.Request) {
	if !p.authorizeService(w, r, ScopeMemberships) {
		return
	}
	role := r.URL.Query().Get("role")
	var all []member
	for _, u := range p.Members() {
		if role != "" && !slices.ContainsFunc(u.Roles, func(x string) bool { return x == role || strings.HasSuffix(x, "#"+role) }) {
			continue
		}
		all = append(all, member{Status: "Active", Name: u.Name, GivenName: u.GivenName, FamilyName: u.FamilyName,
			Email: u.Email, UserID: u.Subject, Roles: u.Roles})
	}
	from, to, ok := p.paginate(w, r, len(all))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, mediaMemberships, map[string]any{
		"id":      p.issuer + r.URL.RequestURI(),
		"context": map[string]string{"id": ContextID, "label": ContextLabel, "title": ContextTitle},
		"members": append([]member{}, all[from:to]...),
	})
}

func hasMediaType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}

// decodeJSON reads one JSON value of at most 1 MiB.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON: %v", err)
	}
	return nil
}
