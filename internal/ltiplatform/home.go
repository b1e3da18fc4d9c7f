package ltiplatform

import (
	"fmt"
	"net/http"
	"net/url"
)

// homeLesson is the lesson the home page's buttons launch.
const homeLesson = "config"

type homeUser struct {
	User
	Lesson, Quiz, Course, Deep        string
	EmbedLesson, EmbedQuiz, EmbedDeep string
}

type homeLaunch struct{ Name, URL string }

type homeItem struct {
	DeepLinkItem
	Launches []homeLaunch
}

type homeScore struct {
	Column, Student, Score, Timestamp string
	Posts                             int
}

type homePage struct {
	page
	Issuer, ToolURL, ClientID, Deployment, ContextID string
	Users                                            []homeUser
	Items                                            []homeItem
	Scores                                           []homeScore
}

// showHome (GET /) lists the course's people with launch buttons, the
// deep-linked content, the gradebook and the registration button.
func (p *Platform) showHome(w http.ResponseWriter, _ *http.Request) {
	pg := homePage{
		page:   page{Title: ContextTitle, Course: ContextTitle},
		Issuer: p.issuer, ToolURL: p.toolURL, ClientID: p.ClientID(), Deployment: p.deploy, ContextID: ContextID,
	}
	members := p.Members()
	for _, u := range members[:min(len(members), len(DemoUsers()))] {
		local := func(path string, o LaunchOptions) string { return path + "?" + o.values().Encode() }
		hu := homeUser{
			User:        u,
			Lesson:      local("/launch", LaunchOptions{User: u.ID, Lesson: homeLesson}),
			Quiz:        local("/launch", LaunchOptions{User: u.ID, Lesson: homeLesson, Quiz: true, LineItem: true}),
			Course:      local("/launch", LaunchOptions{User: u.ID}),
			EmbedLesson: local("/embed", LaunchOptions{User: u.ID, Lesson: homeLesson, Storage: true}),
			EmbedQuiz:   local("/embed", LaunchOptions{User: u.ID, Lesson: homeLesson, Quiz: true, LineItem: true, Storage: true}),
		}
		if u.Teaches() {
			hu.Deep = local("/launch", LaunchOptions{User: u.ID, Deep: true})
			hu.EmbedDeep = local("/embed", LaunchOptions{User: u.ID, Deep: true, Storage: true})
		}
		pg.Users = append(pg.Users, hu)
	}
	for _, item := range p.DeepLinkItems() {
		hi := homeItem{DeepLinkItem: item}
		for _, u := range members[:min(len(members), len(DemoUsers()))] {
			hi.Launches = append(hi.Launches, homeLaunch{Name: u.GivenName, URL: "/launch?" + url.Values{"user": {u.ID}, "link": {item.LinkID}}.Encode()})
		}
		pg.Items = append(pg.Items, hi)
	}
	names := map[string]string{}
	for _, u := range members {
		names[u.Subject] = u.Name
	}
	labels := map[string]string{}
	for _, li := range p.LineItems() {
		labels[li.ID] = li.Label
	}
	for _, s := range p.Scores() {
		pg.Scores = append(pg.Scores, homeScore{
			Column: labels[s.LineItem], Student: cmpOr(names[s.UserID], s.UserID),
			Score: scoreText(s), Posts: s.Posts,
			Timestamp: s.Timestamp.Format("2006-01-02 15:04:05.000"),
		})
	}
	p.render(w, http.StatusOK, "home", "", func(n string) any { pg.Nonce = n; return pg })
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

type framePage struct {
	page
	Src string
}

// showEmbed (GET /embed) shows the launch in an iframe and answers the
// tool's LTI client-side postMessages (lti.capabilities, lti.put_data,
// lti.get_data) with storage per tool origin, kept by the page.
func (p *Platform) showEmbed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o := launchOptionsFrom(q)
	if _, _, err := p.loginInitiation(o, true); err != nil {
		p.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	v := o.values()
	v.Set("embedded", "1")
	pg := framePage{page: page{Title: "Twelve, embedded", Course: ContextTitle}, Src: "/launch?" + v.Encode()}
	p.render(w, http.StatusOK, "embed", "'self' "+p.toolURL, func(n string) any { pg.Nonce = n; return pg })
}

// startRegistration (GET /register/start) issues a registration token and
// opens the tool's dynamic registration page in an iframe.
func (p *Platform) startRegistration(w http.ResponseWriter, _ *http.Request) {
	src := p.RegistrationURL()
	pg := framePage{page: page{Title: "Register Twelve", Course: ContextTitle}, Src: src}
	p.render(w, http.StatusOK, "register", p.toolURL, func(n string) any { pg.Nonce = n; return pg })
}

func scoreText(s RecordedScore) string {
	if s.ScoreGiven == nil || s.ScoreMaximum == nil {
		return s.ActivityProgress + ", " + s.GradingProgress
	}
	return fmt.Sprintf("%g / %g", *s.ScoreGiven, *s.ScoreMaximum)
}
