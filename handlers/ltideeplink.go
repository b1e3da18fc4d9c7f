package handlers

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// Deep Linking (/lti/deep-link): a verified LtiDeepLinkingRequest launch
// hands its settings here, sealed (ltiDeepLink); an instructor or TA of
// the LMS course picks lessons, each with or without its quiz, and the
// page answers with the signed LtiDeepLinkingResponse, posted to the LMS.

const (
	// deepLinkParam carries the sealed request: in the launch's redirect
	// and in the form, which posts it back.
	deepLinkParam = "dl"
	// quizTag marks the LMS gradebook columns of Twelve's quizzes.
	quizTag = "twelve-quiz"
	// quizScoreMaximum is the points a quiz is out of in the LMS.
	quizScoreMaximum = 100
)

var errDeepLinkStudent = &Error{Status: http.StatusForbidden, Heading: "Only instructors can add lessons",
	Message: "The LMS says you are not an instructor or teaching assistant of this course, so you cannot add Twelve lessons to it. Nothing was sent to the LMS."}

// deepLinkRequest opens the sealed request the page was given by a
// verified deep-linking launch (ltiDeepLink: it is the proof, so the
// page needs no identity cookie) and checks it: the launch's user must
// teach or assist in the LMS course, and the LMS must take links.
func (h *Handler) deepLinkRequest(c *echo.Context, sealed string) (ltiDeepLink, store.LTIPlatform, error) {
	d, err := h.openDeepLink(sealed)
	if err != nil {
		return d, store.LTIPlatform{}, err
	}
	if !d.Staff() {
		return d, store.LTIPlatform{}, errDeepLinkStudent
	}
	if !d.Settings.Accepts(lti.ContentItemLTIResourceLink) {
		return d, store.LTIPlatform{}, &Error{Status: http.StatusBadRequest, Heading: "This LMS asked for something Twelve does not offer",
			Message: "Twelve adds lessons as LTI links, and the LMS did not ask for links here. Use “Add Twelve lessons” where the LMS adds links or assignments; nothing was sent."}
	}
	if lti.CheckURL(d.Settings.ReturnURL) != nil {
		return d, store.LTIPlatform{}, &Error{Status: http.StatusBadRequest, Heading: "The LMS's return address cannot be used",
			Message: "The LMS asked for the lessons to be sent to an address that is not https, so nothing was sent. Tell the LMS's administrator."}
	}
	p, err := h.store.LTIPlatformByID(c.Request().Context(), d.PlatformID)
	if errors.Is(err, store.ErrNotFound) {
		return d, p, &Error{Status: http.StatusNotFound, Heading: "This LMS is not registered with Twelve",
			Message: "The LMS was removed from Twelve after this page was opened; nothing was sent."}
	}
	return d, p, err
}

// showDeepLink is the lesson picker.
func (h *Handler) showDeepLink(c *echo.Context) error {
	sealed := c.QueryParam(deepLinkParam)
	r, p, err := h.deepLinkRequest(c, sealed)
	if err != nil {
		return err
	}
	return h.renderDeepLink(c, http.StatusOK, sealed, r, p, nil, nil, "")
}

func (h *Handler) renderDeepLink(c *echo.Context, status int, sealed string, r ltiDeepLink, p store.LTIPlatform, chosen, noQuiz []string, problem string) error {
	v := views.DeepLinkView{Request: sealed, Platform: platformName(p), One: !r.Settings.AcceptMultiple, Error: problem}
	for _, l := range h.views.course.Lessons() {
		v.Lessons = append(v.Lessons, views.DeepLinkLesson{
			Slug: l.Slug, Numeral: l.Numeral, Title: l.Title,
			Chosen: slices.Contains(chosen, l.Slug), WithQuiz: !slices.Contains(noQuiz, l.Slug),
		})
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.render(c, status, views.DeepLinkPage(h.page(c, "Add Twelve lessons"), v))
}

// sendDeepLinks answers the LMS with the chosen lessons as signed
// ltiResourceLink items, each quiz with a line item so that the LMS makes
// its gradebook column; choosing nothing shows the form again.
func (h *Handler) sendDeepLinks(c *echo.Context) error {
	sealed := c.FormValue(deepLinkParam)
	r, p, err := h.deepLinkRequest(c, sealed)
	if err != nil {
		return err
	}
	form, err := c.FormValues()
	if err != nil {
		return badRequest("The form could not be read; nothing was sent.")
	}
	chosen, withQuiz := form["lesson"], form["quiz"]
	var noQuiz []string
	for _, l := range h.views.course.Lessons() {
		if !slices.Contains(withQuiz, l.Slug) {
			noQuiz = append(noQuiz, l.Slug)
		}
	}
	switch {
	case len(chosen) == 0:
		return h.renderDeepLink(c, http.StatusUnprocessableEntity, sealed, r, p, chosen, noQuiz, "Tick at least one lesson to add; nothing was sent.")
	case len(chosen) > 1 && !r.Settings.AcceptMultiple:
		return h.renderDeepLink(c, http.StatusUnprocessableEntity, sealed, r, p, chosen, noQuiz, "This LMS takes one lesson at a time: tick one lesson; nothing was sent.")
	}
	items, err := h.deepLinkItems(c, chosen, withQuiz)
	if err != nil {
		return err
	}
	keys, err := h.lti.keys(c.Request().Context())
	if err != nil {
		return err
	}
	jwt, err := keys.DeepLinkingResponse(toLTIPlatform(p), r.DeploymentID, r.Settings, items, time.Now())
	if err != nil {
		return err
	}
	h.logger.InfoContext(c.Request().Context(), "lti deep links sent", "platform_id", p.ID, "items", len(items), "user_id", r.UserID)
	pg := h.page(c, "Adding Twelve lessons")
	pg.Script = h.assets.Path("ltidialog.js")
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.ok(c, views.DeepLinkReturnPage(pg, views.DeepLinkReturnView{
		ReturnURL: r.Settings.ReturnURL, JWT: jwt, Platform: platformName(p), Count: len(items),
	}))
}

// deepLinkItems are the content items of the chosen lessons, in course
// order; a slug that is not a lesson is a 400.
func (h *Handler) deepLinkItems(c *echo.Context, chosen, withQuiz []string) ([]lti.ContentItem, error) {
	for _, slug := range chosen {
		if _, ok := h.views.course.Lesson(slug); !ok {
			return nil, badRequest("“" + truncate(slug, 60) + "” is not a lesson of this course; nothing was sent.")
		}
	}
	launch := h.origin(c) + "/lti/launch"
	var items []lti.ContentItem
	for _, l := range h.views.course.Lessons() {
		if !slices.Contains(chosen, l.Slug) {
			continue
		}
		it := lti.ContentItem{
			Type: lti.ContentItemLTIResourceLink, Title: l.Title, Text: l.Summary, URL: launch,
			Custom: map[string]string{"lesson": l.Slug, "quiz": "false"},
		}
		if slices.Contains(withQuiz, l.Slug) {
			it.Title = l.Title + " — quiz"
			it.Custom["quiz"] = "true"
			it.LineItem = &lti.LineItemSpec{Label: l.Title + " quiz", ScoreMaximum: quizScoreMaximum, ResourceID: l.Slug, Tag: quizTag}
		}
		items = append(items, it)
	}
	return items, nil
}
