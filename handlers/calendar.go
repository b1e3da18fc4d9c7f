package handlers

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/calendar"
	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// The calendar feed, /me/calendar.ics?token=…, is fetched by calendar
// apps, which carry no cookie: the signed token in the link says whose
// feed it is and which generation of their links it belongs to, and
// "Reset link" on /me starts a new generation, so every older link stops.
// The link is a secret: it is never logged (the request log names the
// path only) and its answers are never stored.

// errNoFeed answers every refused feed link alike: forged, altered,
// reset or of a user who is gone.
var errNoFeed = &Error{Status: http.StatusNotFound, Heading: "This calendar link does not work",
	Message: "This calendar link is not valid any more: it may have been reset. Open “My progress” on the course to copy your current link."}

// feedPath is the feed's address with its token.
func feedPath(token string) string {
	return "/me/calendar.ics?" + url.Values{"token": {token}}.Encode()
}

// serveCalendar writes the token's owner's due dates: one event per due
// date of each quiz in each class they are a student of (archived classes
// left out), with their own dates where an accommodation gives them some.
func (h *Handler) serveCalendar(c *echo.Context) error {
	ctx := c.Request().Context()
	tok, err := h.feeds.Decode(c.QueryParam("token"))
	if err != nil {
		return errNoFeed
	}
	gen, err := h.store.CalendarGeneration(ctx, tok.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && tok.Revoked(gen)) {
		return errNoFeed
	}
	if err != nil {
		return err
	}
	origin := h.origin(c)
	host := origin
	if u, err := url.Parse(origin); err == nil && u.Host != "" {
		host = u.Host
	}
	now := time.Now()
	var events []calendar.Event
	for _, class := range h.classes.StudentClasses(tok.UserID) {
		loc := classes.Location(class.TimeZone)
		for _, l := range h.views.course.Lessons() {
			q, ok := h.quizzes.Current(l.Slug)
			if !ok {
				continue
			}
			r := h.classes.Rules(class.ID, tok.UserID, q)
			if r.DueAt.IsZero() {
				continue
			}
			desc := "Due " + classes.FormatAt(r.DueAt, loc) + "."
			if !r.ClosesAt.IsZero() && !r.ClosesAt.Equal(r.DueAt) {
				desc += "\nCloses " + classes.FormatAt(r.ClosesAt, loc) + "."
			}
			if r.Extended {
				desc += "\nThese are your own dates and limits."
			}
			events = append(events, calendar.Event{
				UID:         calendar.UID(host, class.Slug, l.Slug, tok.UserID),
				Start:       r.DueAt,
				Summary:     "Due: Lesson " + l.Numeral + " quiz — " + l.Title + " (" + class.Name + ")",
				Description: desc,
				URL:         origin + views.ClassQuizURL(l.Slug, class.Slug),
			})
		}
	}
	var buf bytes.Buffer
	if err := calendar.Write(&buf, "Twelve: due dates", events, now); err != nil {
		return err
	}
	hdr := c.Response().Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Robots-Tag", "noindex")
	return c.Blob(http.StatusOK, "text/calendar; charset=utf-8", buf.Bytes())
}

// feedURL is the signed-in user's current feed link, absolute.
func (h *Handler) feedURL(c *echo.Context, user int64) (string, error) {
	gen, err := h.store.CalendarGeneration(c.Request().Context(), user)
	if err != nil {
		return "", err
	}
	tok, err := h.feeds.Encode(calendar.FeedToken{UserID: user, Generation: gen})
	if err != nil {
		return "", err
	}
	return h.origin(c) + feedPath(tok), nil
}

// resetCalendar stops every feed link the signed-in user has had, and
// sends them back to /me, which shows the new one.
func (h *Handler) resetCalendar(c *echo.Context) error {
	ctx := c.Request().Context()
	user := identityOf(c).UserID
	if _, err := h.store.RevokeCalendar(ctx, user); err != nil {
		return err
	}
	h.logger.InfoContext(ctx, "calendar links reset", "user_id", user)
	return c.Redirect(http.StatusSeeOther, "/me?calendar=reset#calendar")
}
