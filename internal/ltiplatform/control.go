package ltiplatform

import (
	"fmt"
	"net/http"
	"time"
)

// controlMisbehaviour is POST /_control/misbehave's body. An empty kind or
// "none" clears every misbehaviour; "clear": true clears kind only.
type controlMisbehaviour struct {
	Kind       Kind   `json:"kind"`
	Times      int    `json:"times"`
	Status     int    `json:"status"`
	RetryAfter int    `json:"retry_after"`
	Delay      string `json:"delay"` // a Go duration, such as "2s"
	Claim      string `json:"claim"`
	Clear      bool   `json:"clear"`
}

func (p *Platform) controlMisbehave(w http.ResponseWriter, r *http.Request) {
	var c controlMisbehaviour
	if err := decodeJSON(r, &c); err != nil {
		p.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	switch {
	case c.Kind == "" || c.Kind == "none":
		p.Clear()
	case c.Clear:
		p.Clear(c.Kind)
	default:
		m := Misbehaviour{Kind: c.Kind, Times: c.Times, Status: c.Status, RetryAfter: c.RetryAfter, Claim: c.Claim}
		if c.Delay != "" {
			d, err := time.ParseDuration(c.Delay)
			if err != nil {
				p.refuse(w, r, http.StatusBadRequest, fmt.Sprintf("delay %q is not a duration", c.Delay))
				return
			}
			m.Delay = d
		}
		if err := p.Misbehave(m); err != nil {
			p.refuse(w, r, http.StatusBadRequest, err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]string{"status": "ok"})
}

func (p *Platform) controlScores(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", append([]RecordedScore{}, p.Scores()...))
}

func (p *Platform) controlLineItems(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", append([]LineItem{}, p.LineItems()...))
}

func (p *Platform) controlDeepLinks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", append([]DeepLinkItem{}, p.DeepLinkItems()...))
}

func (p *Platform) controlRegistrations(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", p.Registrations())
}

func (p *Platform) controlReset(w http.ResponseWriter, _ *http.Request) {
	p.Reset()
	writeJSON(w, http.StatusOK, "application/json", map[string]string{"status": "ok"})
}

// controlMembers (POST /_control/members {"n": 100}) adds n students.
func (p *Platform) controlMembers(w http.ResponseWriter, r *http.Request) {
	var c struct {
		N int `json:"n"`
	}
	if err := decodeJSON(r, &c); err != nil || c.N < 1 || c.N > 100000 {
		p.refuse(w, r, http.StatusBadRequest, `want {"n": 1…100000}`)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", p.AddMembers(c.N))
}
