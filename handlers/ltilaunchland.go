package handlers

import (
	"crypto/rand"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"golang.org/x/net/publicsuffix"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/framing"
	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// finishLTILaunch records a verified launch (user, class, membership,
// link: one transaction), signs the person in with an embedded identity
// cookie, lets the LMS's page frame Twelve and lands the browser: a deep
// linking request on the deep-linking page, a resource link on its
// lesson, its quiz or the class (ltiLanding), through /lti/landed.
func (h *Handler) finishLTILaunch(c *echo.Context, sp store.LTIPlatform, flow ltiFlow, launch *lti.Launch) error {
	ctx := c.Request().Context()
	if launch.Subject == "" {
		return ltiRefusal(http.StatusBadRequest, "the LMS did not say who is launching (no sub), and Twelve only takes launches by a known user.")
	}
	role := lti.ClassRole(launch.Roles)
	lesson, quiz := h.ltiLesson(c, launch)
	in := store.LTILaunch{
		PlatformID: sp.ID, DeploymentID: launch.DeploymentID,
		Issuer: launch.Issuer, Subject: launch.Subject, Email: launch.Email, Name: launch.DisplayName(),
		ContextID: launch.Context.ID, ContextTitle: launch.Context.Title, ContextLabel: launch.Context.Label,
		Role: role, ResourceLinkID: launch.ResourceLink.ID, Lesson: lesson, Quiz: quiz,
	}
	if a := launch.AGS; a != nil {
		in.LineItemURL, in.LineItemsURL, in.AGSScopes = a.LineItem, a.LineItems, a.Scope
	}
	if n := launch.NRPS; n != nil {
		in.MembershipsURL = n.ContextMembershipsURL
	}
	res, err := h.store.RecordLTILaunch(ctx, in)
	if errors.Is(err, store.ErrInvalid) { // a text PostgreSQL cannot hold (NUL), a role…
		return ltiRefusal(http.StatusBadRequest, "the launch's user or course could not be recorded as the LMS described them.")
	}
	if err != nil {
		return err
	}
	// This process's class directory hears of the change by NOTIFY, maybe
	// after the landing page asks: read the class now when it differs.
	if res.Class.ID != 0 && h.classes.Role(res.Class.ID, res.User.ID) != role {
		if err := h.classes.Reload(ctx, res.Class.ID); err != nil {
			return err
		}
	}
	id, err := h.startLTIIdentity(c, launch, res.User)
	if err != nil {
		return err
	}
	h.allowFraming(c, sp, flow.Origin, c.Request().Header.Get("Origin"))

	if launch.MessageType == lti.MessageDeepLinking {
		sealed, err := h.sealDeepLink(ltiDeepLink{
			PlatformID: sp.ID, DeploymentID: launch.DeploymentID, UserID: res.User.ID, ClassRole: role,
			ClassID: res.Class.ID, Settings: *launch.DeepLinking, Expires: time.Now().Add(ltiDeepLinkTTL),
		})
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, ltiDeepLinkPath+"?dl="+url.QueryEscape(sealed))
	}
	next := ltiLanding(res, role, lesson, quiz)
	ticket := ltiTicket{ID: rand.Text(), Identity: id, Next: next, Expires: time.Now().Add(ltiTicketTTL)}
	ticket.Identity.Embedded = false // what /lti/continue sets is first-party
	t, err := h.lti.tickets.Encode(ticket)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, ltiLandedPath+"?t="+url.QueryEscape(t))
}

// startLTIIdentity sets the embedded identity cookie for a launch's user
// and makes them the request's viewer. An LMS's email is not taken as
// verified: it grants no course-wide instructor role (INSTRUCTOR_EMAILS,
// instructor grants), since some LMSs let people type their own. Class
// roles come from the LMS.
func (h *Handler) startLTIIdentity(c *echo.Context, launch *lti.Launch, user store.User) (auth.Identity, error) {
	id := auth.Identity{
		UserID: user.ID, Issuer: launch.Issuer, Subject: launch.Subject,
		Name: user.Name, Email: user.Email, Granted: user.Granted, Embedded: true,
	}
	id = h.lifetime.Start(id, user.LastLoginAt)
	if id.Name == "" {
		id.Name = "(no name given)"
	}
	if err := h.setIdentityCookie(c, id); err != nil {
		return auth.Identity{}, err
	}
	h.setIdentity(c, id)
	h.logger.InfoContext(c.Request().Context(), "signed in", "user_id", id.UserID, "instructor", user.Instructor, "via", "lti")
	return id, nil
}

// allowFraming lets the LMS pages a verified launch came from frame
// Twelve: the page that started the login and the one that posted the
// id_token (their Origin headers). Each new origin is recorded for every
// process (store: lti_origins, announced) and allowed in this one at once,
// so the landing page may show in the LMS's frame. Only an origin on the
// LMS's own site is recorded (see sameSiteAsPlatform): these headers come
// from whoever sends the launch, and one of the LMS's users must not be
// able to let a site of their own frame Twelve. A failure to record is
// logged: the launch itself is good.
func (h *Handler) allowFraming(c *echo.Context, p store.LTIPlatform, origins ...string) {
	self := h.origin(c)
	ctx := c.Request().Context()
	for _, raw := range origins {
		o, ok := framing.Origin(raw)
		if !ok || o == self || h.frames.Headers().Allows(o) {
			continue
		}
		if !sameSiteAsPlatform(o, p) {
			h.logger.InfoContext(ctx, "LTI origin not on the LMS's site: not allowed to frame Twelve (twelve admin lti-frame-origin adds it)",
				"platform_id", p.ID, "origin", o)
			continue
		}
		if err := h.store.AddLTIOrigin(ctx, p.ID, o); err != nil {
			h.logger.WarnContext(ctx, "LTI origin not recorded", "platform_id", p.ID, "origin", o, "error", err.Error())
			continue
		}
		h.frames.Add(o)
	}
}

// sameSiteAsPlatform reports whether origin o is on the site (the
// registrable domain, eTLD+1: school.instructure.com and
// canvas.instructure.com are one site) of one of p's URLs, or, for an LMS
// on this machine, is on a loopback host too. An LMS served from a domain
// of its own (canvas.example.edu for an issuer at instructure.com) has its
// origin added by hand: twelve admin lti-frame-origin.
func sameSiteAsPlatform(o string, p store.LTIPlatform) bool {
	site := func(raw string) (string, bool) {
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			return "", false
		}
		host := strings.ToLower(u.Hostname())
		switch {
		case isLoopback(host):
			return "loopback", true
		case net.ParseIP(host) != nil:
			return host, true
		}
		d, err := publicsuffix.EffectiveTLDPlusOne(host)
		return d, err == nil
	}
	want, ok := site(o)
	if !ok {
		return false
	}
	for _, raw := range []string{p.Issuer, p.AuthURL, p.TokenURL, p.JWKSURL} {
		if got, ok := site(raw); ok && got == want {
			return true
		}
	}
	return false
}

// ltiLesson is the lesson a launch asks for: the custom parameter lesson
// (with quiz=true for its quiz), else its target_link_uri when that is a
// lesson or quiz page of this site; "" when it names none (the stored
// link then decides).
func (h *Handler) ltiLesson(c *echo.Context, l *lti.Launch) (slug string, quiz bool) {
	if s := strings.TrimSpace(l.Custom["lesson"]); s != "" {
		if _, ok := h.views.titles[s]; ok {
			return s, l.Custom["quiz"] == "true"
		}
		return "", false
	}
	u, err := url.Parse(l.TargetLinkURI)
	if err != nil || urlOrigin(l.TargetLinkURI) != h.origin(c) {
		return "", false
	}
	rest, ok := strings.CutPrefix(u.Path, "/lessons/")
	if !ok {
		return "", false
	}
	slug, tail, _ := strings.Cut(rest, "/")
	if _, known := h.views.titles[slug]; !known || (tail != "" && tail != "quiz") {
		return "", false
	}
	return slug, tail == "quiz"
}

// ltiLanding is where a resource link launch lands. A lesson link lands
// on the lesson, a quiz link on the quiz in the LMS course's class, or,
// for the class's staff, on the class's statistics of that quiz. A link
// to no lesson lands staff on the class page and students on the course
// home.
func ltiLanding(res store.LTILaunchResult, role, lesson string, quiz bool) string {
	if res.Link.ClassID != 0 {
		lesson, quiz = res.Link.Lesson, res.Link.Quiz
	}
	staff := role == lti.RoleInstructor || role == lti.RoleTA
	class := res.Class.Slug
	switch {
	case lesson != "" && quiz && staff && class != "":
		return "/instructor/classes/" + url.PathEscape(class) + "/quizzes/" + url.PathEscape(lesson)
	case lesson != "" && quiz && role == lti.RoleStudent:
		return views.ClassQuizURL(lesson, class)
	case lesson != "" && quiz:
		return views.QuizURL(lesson)
	case lesson != "":
		return "/lessons/" + url.PathEscape(lesson)
	case staff && class != "":
		return "/instructor/classes/" + url.PathEscape(class)
	}
	return "/"
}

// errLTITicket answers a landing link that cannot be used.
var errLTITicket = &Error{Status: http.StatusBadRequest, Heading: "This link has expired",
	Message: "Links that carry a launch from your LMS work once, within 10 minutes. Launch Twelve from your LMS again."}

// openTicket reads ?t=.
func (h *Handler) openTicket(c *echo.Context) (ltiTicket, error) {
	t, err := h.lti.tickets.Decode(c.QueryParam("t"))
	if err != nil || !time.Now().Before(t.Expires) || t.ID == "" || t.Identity.UserID == 0 {
		return ltiTicket{}, errLTITicket
	}
	return t, nil
}

// showLTILanded is the first page after a launch: when the identity
// cookie the launch set came back, it sends the browser on to the
// landing page; when it did not (the browser keeps this site's cookies
// out of the LMS's frame), it says so and offers the same landing in a
// window of its own.
func (h *Handler) showLTILanded(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	t, err := h.openTicket(c)
	if err != nil {
		return err
	}
	if id := identityOf(c); id != nil && id.UserID == t.Identity.UserID {
		return c.Redirect(http.StatusSeeOther, t.Next)
	}
	page := h.page(c, "Open Twelve in a new window")
	return h.ok(c, views.LTICookiesRefusedPage(page, views.LTICookiesRefusedView{
		ContinueURL: ltiContinuePath + "?t=" + url.QueryEscape(c.QueryParam("t")),
	}))
}

// continueLTI finishes a launch in a window of its own: it uses the
// ticket once (across every process), sets a first-party identity cookie
// and goes to the landing page.
func (h *Handler) continueLTI(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	t, err := h.openTicket(c)
	if err != nil {
		return err
	}
	err = h.store.UseLTINonce(c.Request().Context(), "ticket:"+t.ID, t.Expires)
	if errors.Is(err, store.ErrNonceUsed) {
		return errLTITicket
	}
	if err != nil {
		return err
	}
	id := t.Identity
	id.Embedded, id.IssuedAt = false, time.Now()
	if err := h.setIdentityCookie(c, id); err != nil {
		return err
	}
	h.setIdentity(c, id)
	h.logger.InfoContext(c.Request().Context(), "LTI launch continued in a new window", "user_id", id.UserID)
	return c.Redirect(http.StatusSeeOther, t.Next)
}
