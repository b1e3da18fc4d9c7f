package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/internal/seal"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// Deep Linking (/lti/deep-link): a verified LtiDeepLinkingRequest launch
// hands its settings here, sealed (deepLinkURL); an instructor or TA of
// the LMS course picks lessons, each with or without its quiz, and the
// page answers with the signed LtiDeepLinkingResponse, posted to the LMS.

const (
	deepLinkParam    = "request"
	deepLinkLifetime = time.Hour // time to choose, from the launch
	deepLinkMaxBytes = 8192
	// quizTag marks the LMS gradebook columns of Twelve's quizzes.
	quizTag = "twelve-quiz"
	// quizScoreMaximum is the points a quiz is out of in the LMS.
	quizScoreMaximum = 100
)

// deepLinkRequest is what a verified deep-linking launch tells this page.
type deepLinkRequest struct {
	PlatformID   int64                   `json:"p"`
	DeploymentID string                  `json:"d"`
	UserID       int64                   `json:"u"`
	Role         string                  `json:"r"` // the LMS's role: store.RoleInstructor, RoleTA, RoleStudent or ""
	Settings     lti.DeepLinkingSettings `json:"s"`
	Expires      time.Time               `json:"e"`
}

func newDeepLinkCodec(secrets [][]byte) (*seal.Codec[deepLinkRequest], error) {
	return seal.New[deepLinkRequest](secrets, seal.Spec{
		Purpose: "lti deep linking", Name: deepLinkParam, MaxAge: deepLinkLifetime, MaxLength: deepLinkMaxBytes,
	})
}

// deepLinkURL is where the launch sends a verified deep-linking request
// l from platform platformID, made by Twelve user userID: the page that
// lets them choose lessons.
func (h *Handler) deepLinkURL(l *lti.Launch, platformID, userID int64, now time.Time) (string, error) {
	if l.DeepLinking == nil {
		return "", errors.New("handlers: deep link: the launch has no deep linking settings")
	}
	sealed, err := h.deepLink.Encode(deepLinkRequest{
		PlatformID: platformID, DeploymentID: l.DeploymentID, UserID: userID,
		Role: lti.ClassRole(l.Roles), Settings: *l.DeepLinking, Expires: now.Add(deepLinkLifetime),
	})
	if err != nil {
		return "", err
	}
	return "/lti/deep-link?" + url.Values{deepLinkParam: {sealed}}.Encode(), nil
}

var (
	errDeepLinkRefused = &Error{Status: http.StatusBadRequest, Heading: "This lesson picker has expired",
		Message: "Lessons are chosen within an hour of opening “Add Twelve lessons” in the LMS. Open it again from the LMS; nothing was changed."}
	errDeepLinkOthers = &Error{Status: http.StatusForbidden, Heading: "This lesson picker was opened by someone else",
		Message: "Open “Add Twelve lessons” from the LMS yourself; nothing was changed."}
	errDeepLinkStudent = &Error{Status: http.StatusForbidden, Heading: "Only instructors can add lessons",
		Message: "The LMS says you are not an instructor or teaching assistant of this course, so you cannot add Twelve lessons to it. Nothing was sent to the LMS."}
)

// openDeepLink opens the sealed request the page was given, for the
// signed-in person it was made for, who must teach or assist in the LMS
// course.
func (h *Handler) openDeepLink(c *echo.Context, sealed string) (deepLinkRequest, store.LTIPlatform, error) {
	r, err := h.deepLink.Decode(sealed)
	if err != nil || time.Now().After(r.Expires) {
		return r, store.LTIPlatform{}, errDeepLinkRefused
	}
	if r.UserID != identityOf(c).UserID {
		return r, store.LTIPlatform{}, errDeepLinkOthers
	}
	if r.Role != store.RoleInstructor && r.Role != store.RoleTA {
		return r, store.LTIPlatform{}, errDeepLinkStudent
	}
	if !r.Settings.Accepts(lti.ContentItemLTIResourceLink) {
		return r, store.LTIPlatform{}, &Error{Status: http.StatusBadRequest, Heading: "This LMS asked for something Twelve does not offer",
			Message: "Twelve adds lessons as LTI links, and the LMS did not ask for links here. Use “Add Twelve lessons” where the LMS adds links or assignments; nothing was sent."}
	}
	if lti.CheckURL(r.Settings.ReturnURL) != nil {
		return r, store.LTIPlatform{}, &Error{Status: http.StatusBadRequest, Heading: "The LMS's return address cannot be used",
			Message: "The LMS asked for the lessons to be sent to an address that is not https, so nothing was sent. Tell the LMS's administrator."}
	}
	p, err := h.store.LTIPlatformByID(c.Request().Context(), r.PlatformID)
	if errors.Is(err, store.ErrNotFound) {
		return r, p, &Error{Status: http.StatusNotFound, Heading: "This LMS is not registered with Twelve",
			Message: "The LMS was removed from Twelve after this lesson picker was opened; nothing was sent."}
	}
	return r, p, err
}

// showDeepLink is the lesson picker.
func (h *Handler) showDeepLink(c *echo.Context) error {
	sealed := c.QueryParam(deepLinkParam)
	r, p, err := h.openDeepLink(c, sealed)
	if err != nil {
		return err
	}
	return h.renderDeepLink(c, http.StatusOK, sealed, r, p, nil, nil, "")
}

func (h *Handler) renderDeepLink(c *echo.Context, status int, sealed string, r deepLinkRequest, p store.LTIPlatform, chosen, noQuiz []string, problem string) error {
	v := views.DeepLinkView{Request: sealed, Platform: platformName(p), One: !r.Settings.AcceptMultiple, Error: problem}
	for _, l := range h.views.course.Lessons() {
		v.Lessons = append(v.Lessons, views.DeepLinkLesson{
			Slug: l.Slug, Number: l.Number, Numeral: l.Numeral, Title: l.Title,
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
	r, p, err := h.openDeepLink(c, sealed)
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
	keys, err := h.ltiKeys(c.Request().Context())
	if err != nil {
		return err
	}
	jwt, err := keys.DeepLinkingResponse(toLTIPlatform(p), r.DeploymentID, r.Settings, items, time.Now())
	if err != nil {
		return err
	}
	h.logger.InfoContext(c.Request().Context(), "lti deep links sent", "platform_id", p.ID, "items", len(items), "user_id", identityOf(c).UserID)
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
