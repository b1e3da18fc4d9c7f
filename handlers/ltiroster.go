package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/lti"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// The roster of an LMS course (Names and Role Provisioning Services): the
// class's instructors bring in its members, so that those who never
// launched Twelve show in the gradebook as not started.

var (
	errNotLTIClass = &Error{Status: http.StatusNotFound, Heading: "This class is not an LMS course",
		Message: "Only a class made by a launch from an LMS has an LMS roster to sync; nothing was changed. Add this class's members with a roster upload instead."}
	errNoMemberships = &Error{Status: http.StatusBadRequest, Heading: "The LMS has not offered its roster",
		Message: "No launch from this course has offered the LMS's roster service (Names and Role Provisioning). Turn it on for Twelve in the LMS, launch Twelve from the course once, and sync again; nothing was changed."}
)

// syncLTIRoster adds the LMS course's members to its class (and updates
// the roles of those there); a platform that fails is a 502 with its
// reason, and then nothing changes.
func (h *Handler) syncLTIRoster(c *echo.Context) error {
	a := classOf(c)
	ctx := c.Request().Context()
	lc, ok, err := h.store.LTIContextOf(ctx, a.Class.ID)
	switch {
	case err != nil:
		return err
	case !ok:
		return errNotLTIClass
	case lc.MembershipsURL == "":
		return errNoMemberships
	}
	members, err := h.ltiCalls.Members(ctx, toLTIPlatform(lc.Platform), lc.MembershipsURL)
	if err != nil {
		return h.platformFailed(c, "The LMS's roster could not be read", "Twelve asked "+platformName(lc.Platform)+" for the course's members", err)
	}
	res, err := h.store.SyncLTIRosterCounts(ctx, a.Class.ID, lc.Platform.Issuer, rosterMembers(members))
	switch {
	case errors.Is(err, store.ErrInvalid):
		return &Error{Status: http.StatusBadGateway, Heading: "The LMS's roster could not be used",
			Message: "The LMS listed a member Twelve cannot store (a name or email that is not text), so nothing was changed. Tell the LMS's administrator."}
	case errors.Is(err, store.ErrNotFound): // the platform was removed meanwhile
		return errNotLTIClass
	case err != nil:
		return err
	}
	h.reloadClass(c, a.Class.ID)
	h.logger.InfoContext(ctx, "lti roster synced", "class_id", a.Class.ID, "members", len(members), "added", res.Added, "updated", res.Updated, "user_id", identityOf(c).UserID)
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"?lms_added="+strconv.Itoa(res.Added)+"&lms_updated="+strconv.Itoa(res.Updated))
}

// classLMS is the class page's view of the LMS course of class id, nil
// for a class made in Twelve.
func (h *Handler) classLMS(ctx context.Context, id int64) (*views.ClassLMS, error) {
	lc, ok, err := h.store.LTIContextOf(ctx, id)
	if err != nil || !ok {
		return nil, err
	}
	v := &views.ClassLMS{Platform: platformName(lc.Platform), Synced: "never", CanSync: lc.MembershipsURL != ""}
	if !lc.RosterSyncedAt.IsZero() {
		v.Synced = lc.RosterSyncedAt.UTC().Format("2 Jan 2006, 15:04 UTC")
	}
	return v, nil
}

// rosterMembers are the LMS's members as the store takes them: active
// members with a class role (package lti's mapping of their LMS roles).
func rosterMembers(members []lti.Member) []store.LTIMember {
	out := make([]store.LTIMember, 0, len(members))
	for _, m := range members {
		if m.Status != "" && m.Status != "Active" {
			continue
		}
		name := m.Name
		if name == "" {
			name = joinNonEmpty(m.GivenName, m.FamilyName)
		}
		out = append(out, store.LTIMember{UserID: m.UserID, Name: name, Email: m.Email, Role: lti.ClassRole(m.Roles)})
	}
	return out
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}
