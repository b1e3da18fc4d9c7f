package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/internal/ltiplatform"
	"github.com/twelve-course/twelve/lti"
)

// TestLTIDeepLinking: an instructor's deep linking launch opens the lesson
// picker, one checkbox per lesson labelled with its title; the lessons
// chosen go back to the LMS signed, and the LMS makes a gradebook column
// for each quiz; a link placed that way launches its quiz.
func TestLTIDeepLinking(t *testing.T) {
	s := newLinksSite(t, ltiplatform.Options{}, true)
	b := s.browser()
	picker := s.launch(b, ltiplatform.LaunchOptions{User: "instructor", Deep: true})
	wantPage(t, picker, http.StatusOK)
	if picker.resp.Request.URL.Path != "/lti/deep-link" {
		t.Fatalf("the launch landed on %s, want /lti/deep-link", picker.resp.Request.URL)
	}
	lessons := s.app.course.Lessons()
	boxes := inputsNamed(picker.doc, "lesson")
	if len(boxes) != len(lessons) {
		t.Fatalf("%d lesson checkboxes, want %d", len(boxes), len(lessons))
	}
	for i, l := range lessons {
		box := boxes[i]
		id, _ := attrOf(box, "id")
		if typ, _ := attrOf(box, "type"); typ != "checkbox" || attrValue(box) != l.Slug {
			t.Errorf("lesson input %d is %s %q, want a checkbox for %s", i, typ, attrValue(box), l.Slug)
		}
		if got := labelFor(picker.doc, id); got != l.Title {
			t.Errorf("the checkbox of %s is labelled %q, want the lesson's title %q", l.Slug, got, l.Title)
		}
	}
	for _, q := range inputsNamed(picker.doc, "quiz") {
		if _, on := attrOf(q, "checked"); !on {
			t.Errorf("“with its quiz” for %s is off, want on by default", attrValue(q))
		}
	}

	form := s.form(picker, "deep-link-form")
	if !strings.HasPrefix(form.Action, s.url+"/lti/deep-link") || form.Method != http.MethodPost {
		t.Fatalf("the form posts %s to %s, want POST to this site's /lti/deep-link", form.Method, form.Action)
	}

	// Nothing chosen: the form again, and nothing sent.
	again := s.submit(b, form, s.url)
	wantPage(t, again, http.StatusUnprocessableEntity)
	if msg := nodeText(again.doc.one(t, "deep-link-error")); !strings.Contains(msg, "Tick at least one lesson") {
		t.Errorf("the form says %q, want it to ask for a lesson", msg)
	}
	if n := len(s.lms.DeepLinkItems()); n != 0 {
		t.Fatalf("the LMS received %d items, want none", n)
	}

	// Lesson 1 with its quiz, lesson 3 without.
	one, three := lessons[0], lessons[2]
	form.Values["lesson"] = []string{one.Slug, three.Slug}
	form.Values["quiz"] = slices.DeleteFunc(form.Values["quiz"], func(s string) bool { return s == three.Slug })
	// Posted by a browser that keeps no cookie in the LMS's frame: the
	// sealed request is the proof.
	answer := s.submit(&http.Client{}, form, s.url)
	wantPage(t, answer, http.StatusOK)
	back := s.form(answer, "deep-link-return-form")
	if _, auto := attrOf(answer.doc.one(t, "deep-link-return-form"), "data-lti-autosubmit"); !auto {
		t.Error("the answer is not marked for static/ltidialog.js to submit it")
	}
	if !strings.Contains(answer.body, `src="/static/ltidialog.`) || strings.Contains(answer.body, "<script>") {
		t.Error("the answer does not load static/ltidialog.js, or has an inline script")
	}
	if !strings.HasPrefix(back.Action, s.lms.Issuer()+"/deeplink/return") || back.Values.Get("JWT") == "" {
		t.Fatalf("the answer posts %v to %s, want a JWT to the LMS's return URL", back.Values, back.Action)
	}
	// The browser posts it from Twelve's page to the LMS.
	done := s.submit(b, back, s.url)
	wantPage(t, done, http.StatusOK)

	items := s.lms.DeepLinkItems()
	if len(items) != 2 {
		t.Fatalf("the LMS holds %d items, want 2: %+v", len(items), items)
	}
	quizItem, lessonItem := items[0], items[1]
	if quizItem.Type != "ltiResourceLink" || quizItem.URL != s.url+"/lti/launch" || quizItem.Title != one.Title+" — quiz" ||
		quizItem.Custom["lesson"] != one.Slug || quizItem.Custom["quiz"] != "true" || quizItem.LineItem == nil {
		t.Errorf("first item %+v, want a link to %s's quiz with a line item", quizItem, one.Slug)
	}
	if lessonItem.Title != three.Title || lessonItem.Custom["lesson"] != three.Slug || lessonItem.Custom["quiz"] != "false" || lessonItem.LineItem != nil {
		t.Errorf("second item %+v, want a link to lesson %s without a line item", lessonItem, three.Slug)
	}
	lineItems := s.lms.LineItems()
	if len(lineItems) != 1 {
		t.Fatalf("the LMS made %d line items, want 1: %+v", len(lineItems), lineItems)
	}
	if li := lineItems[0]; li.ResourceID != one.Slug || li.Label != one.Title+" quiz" || li.ScoreMaximum != 100 || li.Tag != "twelve-quiz" {
		t.Errorf("line item %+v, want resourceId %s, label %q, scoreMaximum 100, tag twelve-quiz", li, one.Slug, one.Title+" quiz")
	}

	// A student launching the placed quiz lands on it, in the course's class.
	quiz := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "student", Link: quizItem.LinkID})
	wantPage(t, quiz, http.StatusOK)
	if quiz.resp.Request.URL.Path != "/lessons/"+one.Slug+"/quiz" {
		t.Errorf("the placed quiz launched %s, want /lessons/%s/quiz", quiz.resp.Request.URL, one.Slug)
	}
}

// TestLTIDeepLinkingRefused: a student's deep linking request gets 403
// and sends nothing, even with the picker's request posted by hand; a
// tampered request, or one for an LMS that takes only one item, gets a
// clear answer too.
func TestLTIDeepLinkingRefused(t *testing.T) {
	s := newLinksSite(t, ltiplatform.Options{}, true)
	student := s.browser()
	refused := s.launch(student, ltiplatform.LaunchOptions{User: "student", Deep: true})
	wantPage(t, refused, http.StatusForbidden)
	if h := nodeText(refused.doc.one(t, "error")); !strings.Contains(h, "Only instructors can add lessons") {
		t.Errorf("the page says %q, want “Only instructors can add lessons”", h)
	}
	dl := refused.resp.Request.URL.Query().Get("dl")
	if dl == "" {
		t.Fatal("the refusal is not the picker's page")
	}
	lesson := s.app.course.Lessons()[0].Slug
	post := func(c *http.Client, v url.Values) linksPage {
		f := ltiplatform.Form{Action: s.url + "/lti/deep-link", Method: http.MethodPost, Values: v}
		return s.submit(c, f, s.url)
	}
	forged := post(student, url.Values{"dl": {dl}, "lesson": {lesson}, "quiz": {lesson}})
	wantPage(t, forged, http.StatusForbidden)
	if n := len(s.lms.DeepLinkItems()); n != 0 {
		t.Errorf("the LMS received %d items from a student, want none", n)
	}

	// The TA may: the picker opens.
	ta := s.launch(s.browser(), ltiplatform.LaunchOptions{User: "ta", Deep: true})
	wantPage(t, ta, http.StatusOK)

	// The picker's form posts to its own origin, inside the LMS's frame; a
	// page of another site (the LMS's included) cannot post it.
	taDL := s.form(ta, "deep-link-form").Values.Get("dl")
	req, err := http.NewRequest(http.MethodPost, s.url+"/lti/deep-link", strings.NewReader(url.Values{"dl": {taDL}, "lesson": {lesson}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", s.lms.Issuer())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	crossSite := s.read(resp)
	wantPage(t, crossSite, http.StatusForbidden)
	if !strings.Contains(crossSite.body, "This form came from another site") {
		t.Error("a cross-site post of the picker is not refused as one")
	}

	tampered := post(s.browser(), url.Values{"dl": {dl[:len(dl)-4] + "AAAA"}, "lesson": {lesson}})
	wantPage(t, tampered, http.StatusBadRequest)
	unknown := post(s.browser(), url.Values{"dl": {taDL}, "lesson": {"no-such-lesson"}})
	wantPage(t, unknown, http.StatusBadRequest)
	if n := len(s.lms.DeepLinkItems()); n != 0 {
		t.Errorf("the LMS received %d items, want none", n)
	}
}

// inputsNamed are the page's inputs called name, in document order.
func inputsNamed(d testDoc, name string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" {
			if v, _ := attrOf(n, "name"); v == name {
				out = append(out, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(d.root)
	return out
}

// labelFor is the text of the label for id.
func labelFor(d testDoc, id string) string {
	var text string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "label" {
			if v, _ := attrOf(n, "for"); v == id {
				text = strings.TrimSpace(nodeText(n))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(d.root)
	return text
}

func attrValue(n *html.Node) string {
	v, _ := attrOf(n, "value")
	return v
}

// TestLTIDeepLinkingSettings: what the LMS asked for decides what the
// picker takes; a request it cannot serve gets a clear answer and sends
// nothing.
func TestLTIDeepLinkingSettings(t *testing.T) {
	s := newLinksSite(t, ltiplatform.Options{}, true)
	p, err := s.app.store.LTIPlatform(t.Context(), s.lms.Issuer(), s.lms.ClientID())
	if err != nil {
		t.Fatal(err)
	}
	h := s.app.handler(t) // same SECRET_KEY: its seals open in the app
	lessons := s.app.course.Lessons()
	valid := func() ltiDeepLink {
		return ltiDeepLink{
			PlatformID: p.ID, DeploymentID: s.lms.DeploymentID(), UserID: 1, ClassRole: lti.RoleInstructor,
			Settings: lti.DeepLinkingSettings{ReturnURL: s.lms.Issuer() + "/deeplink/return", AcceptTypes: []string{"ltiResourceLink"}, AcceptMultiple: true},
			Expires:  time.Now().Add(time.Hour),
		}
	}
	tests := []struct {
		name   string
		change func(*ltiDeepLink)
		status int
		says   string
	}{
		{"one item only", func(d *ltiDeepLink) { d.Settings.AcceptMultiple = false }, 422, "one lesson at a time"},
		{"no links wanted", func(d *ltiDeepLink) { d.Settings.AcceptTypes = []string{"file", "html"} }, 400, "did not ask for links"},
		{"return URL not https", func(d *ltiDeepLink) { d.Settings.ReturnURL = "http://lms.example.test/return" }, 400, "not https"},
		{"platform removed", func(d *ltiDeepLink) { d.PlatformID = p.ID + 1000 }, 404, "removed from Twelve"},
		{"expired", func(d *ltiDeepLink) { d.Expires = time.Now().Add(-time.Minute) }, 400, "within an hour"},
		{"no role in the course", func(d *ltiDeepLink) { d.ClassRole = "" }, 403, "not an instructor or teaching assistant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := valid()
			tt.change(&d)
			sealed, err := h.sealDeepLink(d)
			if err != nil {
				t.Fatal(err)
			}
			f := ltiplatform.Form{Action: s.url + "/lti/deep-link", Method: http.MethodPost,
				Values: url.Values{"dl": {sealed}, "lesson": {lessons[0].Slug, lessons[1].Slug}}}
			got := s.submit(&http.Client{}, f, s.url)
			wantPage(t, got, tt.status)
			text := nodeText(got.doc.root)
			if !strings.Contains(text, tt.says) {
				t.Errorf("the page does not say %q:\n%.1500s", tt.says, text)
			}
			if strings.Contains(got.body, "data-lti-autosubmit") {
				t.Error("the page sends something to the LMS")
			}
		})
	}
}
