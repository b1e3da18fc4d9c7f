package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// A class's join link, /join/CODE: a signed-in student sees the class and
// one button that joins it. A code that never existed, was rotated or was
// switched off gets one and the same answer, so codes cannot be probed;
// both methods share the sign-in budget (see routes).

var (
	errJoinLinkDead = &Error{Status: http.StatusNotFound, Heading: "This join link does not work",
		Message: "This link does not lead to any class: it may have been mistyped, replaced by a newer link or switched off. Ask your instructor for the class's current join link."}
	errJoinArchived = &Error{Status: http.StatusGone, Heading: "This class has ended",
		Message: "This class is archived, so no one can join it any more and nothing was changed. If you should be in a current class, ask your instructor for its join link."}
)

// joinError turns the store's answers to a join into what the person is
// told.
func joinError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errJoinLinkDead
	case errors.Is(err, store.ErrArchived):
		return errJoinArchived
	}
	return err
}

// joinPath is the address of a join link.
func joinPath(code string) string { return "/join/" + url.PathEscape(code) }

// showJoin shows the class a join link is for, and the button that joins
// it; or that the person is in it already, or teaches it.
func (h *Handler) showJoin(c *echo.Context) error {
	code := c.Param("code")
	if !classes.ValidJoinCode(code) {
		return errJoinLinkDead
	}
	class, err := h.store.ClassByJoinCode(c.Request().Context(), code)
	if err != nil {
		return joinError(err)
	}
	if class.Archived() {
		return errJoinArchived
	}
	v := views.JoinView{ClassName: class.Name, Dates: classDates(class.StartsOn, class.EndsOn), Action: joinPath(code), State: "join"}
	switch h.classes.Role(class.ID, identityOf(c).UserID) {
	case store.RoleStudent:
		v.State = "member"
	case store.RoleInstructor, store.RoleTA:
		v.State = "staff"
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.ok(c, views.JoinPage(h.page(c, "Join "+class.Name), v))
}

// joinClass makes the signed-in person a student of the link's class and
// sends them home, where the class now shows. Someone already a member
// (student or staff) keeps their place, and is told so.
func (h *Handler) joinClass(c *echo.Context) error {
	code := c.Param("code")
	if !classes.ValidJoinCode(code) {
		return errJoinLinkDead
	}
	ctx := c.Request().Context()
	user := identityOf(c).UserID
	class, added, err := h.store.JoinClass(ctx, code, user)
	if err != nil {
		return joinError(err)
	}
	// This process shows the class at once; the others hear of it.
	if err := h.classes.Reload(ctx, class.ID); err != nil {
		h.logger.WarnContext(ctx, "class directory: reload after join failed", "class_id", class.ID, "error", err.Error())
	}
	if !added {
		v := views.JoinView{ClassName: class.Name, Dates: classDates(class.StartsOn, class.EndsOn), Action: joinPath(code), State: "member"}
		if role := h.classes.Role(class.ID, user); role == store.RoleInstructor || role == store.RoleTA {
			v.State = "staff"
		}
		return h.ok(c, views.JoinPage(h.page(c, class.Name), v))
	}
	h.logger.InfoContext(ctx, "joined class", "class_id", class.ID, "user_id", user)
	return c.Redirect(http.StatusSeeOther, "/?joined="+url.QueryEscape(class.Slug))
}
