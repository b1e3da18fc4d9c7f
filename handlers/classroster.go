package handlers

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// maxRosterBytes bounds a roster's text, under the request body limit so
// the confirm step can carry it back.
const maxRosterBytes = 200 << 10

// showRoster is the roster upload form.
func (h *Handler) showRoster(c *echo.Context) error {
	return h.renderRoster(c, http.StatusOK, views.RosterView{})
}

func (h *Handler) renderRoster(c *echo.Context, status int, v views.RosterView) error {
	v.Header = h.classHeader(classOf(c), "roster")
	v.MaxRows = classes.MaxRosterRows
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.render(c, status, views.RosterPage(h.page(c, "Upload a roster: "+v.Header.Name), v))
}

// uploadRoster previews a roster (action=preview): every row with its
// problem, changing nothing; or adds its good rows (action=confirm),
// reading the same text again, and goes to the class's page.
func (h *Handler) uploadRoster(c *echo.Context) error {
	a := classOf(c)
	action := c.FormValue("action")
	if action != "preview" && action != "confirm" {
		return badRequest("Preview the roster first; nothing was changed.")
	}
	text, problem := rosterText(c)
	v := views.RosterView{CSV: text}
	if problem != "" {
		v.Error, v.CSV = problem, ""
		return h.renderRoster(c, http.StatusUnprocessableEntity, v)
	}
	rows, err := classes.ParseRoster(text)
	if err != nil {
		v.Error = rosterProblem(err)
		return h.renderRoster(c, http.StatusUnprocessableEntity, v)
	}
	v.Previewed = true
	for _, r := range rows {
		v.Rows = append(v.Rows, views.RosterRowView{Line: strconv.Itoa(r.Line), Email: r.Email, Name: r.Name, Role: r.Role, Problem: r.Problem})
		if r.OK() {
			v.Good++
		} else {
			v.Bad++
		}
	}
	if action == "preview" {
		return h.renderRoster(c, http.StatusOK, v)
	}
	if v.Good == 0 {
		v.Error = "No row of this roster can be added: correct the rows marked as errors and preview it again."
		return h.renderRoster(c, http.StatusUnprocessableEntity, v)
	}
	members, invites, err := h.store.AddRoster(c.Request().Context(), a.Class.ID, classes.Addable(rows))
	if err != nil {
		return err
	}
	h.reloadClass(c, a.Class.ID)
	h.logger.InfoContext(c.Request().Context(), "roster added", "class_id", a.Class.ID, "members", members, "invites", invites, "user_id", identityOf(c).UserID)
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"?added="+strconv.Itoa(members)+"&invited="+strconv.Itoa(invites))
}

// rosterText is the roster sent: the chosen file, else the text field;
// or a sentence saying why it cannot be used.
func rosterText(c *echo.Context) (string, string) {
	text := c.FormValue("csv")
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		if fh.Size > maxRosterBytes {
			return "", "The file is larger than 200 KB: split the roster into smaller files."
		}
		f, err := fh.Open()
		if err != nil {
			return "", "The file could not be read: choose it again."
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxRosterBytes+1))
		if err != nil {
			return "", "The file could not be read: choose it again."
		}
		text = string(b)
	}
	switch {
	case len(text) > maxRosterBytes:
		return "", "The roster is larger than 200 KB: split it into smaller parts."
	case !isText(text):
		return "", "The roster is not text: save it as CSV (UTF-8) and try again."
	}
	return text, ""
}

func rosterProblem(err error) string {
	switch {
	case errors.Is(err, classes.ErrRosterEmpty):
		return "The roster has no rows: its first line names the columns (email, and optionally name and role), then one line per person."
	case errors.Is(err, classes.ErrRosterNoEmail):
		return "The roster's first line has no email column: it must name the columns, such as “email,name,role”."
	case errors.Is(err, classes.ErrRosterTooLarge):
		return "The roster has far more than " + strconv.Itoa(classes.MaxRosterRows) + " rows: split it into smaller parts."
	}
	return "The roster is not valid CSV: check its quotation marks (a field with a comma is quoted, and a quote inside it doubled)."
}

// addStaff makes someone an instructor or TA of the class: a member at
// once if they have signed in before, else an invite.
func (h *Handler) addStaff(c *echo.Context) error {
	a := classOf(c)
	role := c.FormValue("role")
	field := views.ClassField{ID: "staff-email", Name: "email", Value: c.FormValue("email")}
	email, err := classes.CheckEmail(field.Value)
	if err != nil {
		field.Error = "“" + truncate(field.Value, 100) + "” is not an email address."
	}
	if role != store.RoleTA && role != store.RoleInstructor {
		return badRequest("Choose instructor or teaching assistant; nothing was changed.")
	}
	if field.Error != "" {
		return h.renderClass(c, http.StatusUnprocessableEntity, a, newClassForm("edit", a.Class, false),
			[]views.FormError{{ID: field.ID, Msg: field.Error}}, field, role)
	}
	ctx := c.Request().Context()
	// A member already there (a student made a TA, say) takes the role;
	// anyone else is added by email, as a roster row is.
	current, err := h.store.ClassMembers(ctx, a.Class.ID)
	if err != nil {
		return err
	}
	members, invites := 0, 0
	if i := slices.IndexFunc(current, func(m store.Member) bool { return strings.EqualFold(m.Email, email) }); i >= 0 {
		if _, err := h.store.AddMember(ctx, a.Class.ID, current[i].UserID, role, store.ViaStaff); err != nil {
			return err
		}
		members = 1
	} else if members, invites, err = h.store.AddRoster(ctx, a.Class.ID, []store.Invite{{Email: email, Role: role}}); err != nil {
		return err
	}
	h.reloadClass(c, a.Class.ID)
	h.logger.InfoContext(ctx, "class staff added", "class_id", a.Class.ID, "role", role, "user_id", identityOf(c).UserID)
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"?added="+strconv.Itoa(members)+"&invited="+strconv.Itoa(invites))
}

var errRemoveSelf = &Error{Status: http.StatusForbidden, Heading: "You cannot remove yourself",
	Message: "Another instructor of the class, or one of the course's instructors, can remove you. Nothing was changed."}

// removeMember takes someone out of the class. Their attempts stay (and
// count in "all students"); their accommodations and class gradebook row
// go. A class instructor cannot remove themselves, so a class is never
// left by accident without anyone to manage it; course staff, who manage
// every class anyway, can remove anyone.
func (h *Handler) removeMember(c *echo.Context) error {
	a := classOf(c)
	user, err := strconv.ParseInt(c.FormValue("user"), 10, 64)
	if err != nil || user <= 0 || h.classes.Role(a.Class.ID, user) == "" {
		return &Error{Status: http.StatusNotFound, Heading: "Not a member", Message: "That person is not a member of this class; nothing was changed."}
	}
	if user == identityOf(c).UserID && !a.Staff {
		return errRemoveSelf
	}
	if err := h.store.RemoveMember(c.Request().Context(), a.Class.ID, user); err != nil {
		return err
	}
	h.reloadClass(c, a.Class.ID)
	h.logger.InfoContext(c.Request().Context(), "class member removed", "class_id", a.Class.ID, "member_id", user, "user_id", identityOf(c).UserID)
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"?done=removed")
}

// withdrawInvite deletes an invite of the class, so that person does not
// join at their next sign-in.
func (h *Handler) withdrawInvite(c *echo.Context) error {
	a := classOf(c)
	email := c.FormValue("email")
	err := h.store.WithdrawInvite(c.Request().Context(), a.Class.ID, email)
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Heading: "No such invitation", Message: "That email address is not invited to this class; nothing was changed."}
	}
	if err != nil {
		return err
	}
	h.reloadClass(c, a.Class.ID)
	h.logger.InfoContext(c.Request().Context(), "class invite withdrawn", "class_id", a.Class.ID, "user_id", identityOf(c).UserID)
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"?done=withdrawn")
}
