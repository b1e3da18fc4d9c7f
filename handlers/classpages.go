package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// classURL is the address of a class's overview.
func classURL(slug string) string { return "/instructor/classes/" + slug }

// joinURL is the absolute address of a class's join link.
func (h *Handler) joinURL(c *echo.Context, code string) string {
	if code == "" {
		return ""
	}
	return h.origin(c) + "/join/" + code
}

// reloadClass makes this process see a change to class id at once; other
// processes hear of it by NOTIFY. The change is saved either way, so a
// failed reload is logged, not shown: the directory's next reload
// catches up.
func (h *Handler) reloadClass(c *echo.Context, id int64) {
	if err := h.classes.Reload(c.Request().Context(), id); err != nil {
		h.logger.WarnContext(c.Request().Context(), "class reload failed", "class_id", id, "error", err.Error())
	}
}

// classHeader is the top of every page of the class a.
func (h *Handler) classHeader(a classAccess, current string) views.ClassHeader {
	hd := views.ClassHeader{
		Name: a.Class.Name, Slug: a.Class.Slug, URL: classURL(a.Class.Slug), Zone: a.Class.TimeZone,
		Archived: a.Class.Archived(), Manage: a.Manage(), Current: current,
	}
	if a.Staff {
		for _, cl := range h.classes.All() {
			hd.Switch = append(hd.Switch, views.ClassSwitch{Slug: cl.Slug, Name: cl.Name, Current: cl.ID == a.Class.ID})
		}
	}
	return hd
}

var errNotCourseStaff = &Error{Status: http.StatusForbidden, Heading: "Only the course's instructors create classes",
	Message: "Ask one of the course's instructors to create the class; they can then make you one of its instructors."}

// showClasses lists the classes the viewer teaches or assists in, or
// every class for course staff, who also get the form that creates one.
// ?class=SLUG is the class switcher: it goes to that class's page ("":
// all students' gradebook).
func (h *Handler) showClasses(c *echo.Context) error {
	staff, err := h.courseStaff(c)
	if err != nil {
		return err
	}
	if q := c.QueryParams(); q.Has("class") {
		slug := q.Get("class")
		if slug == "" {
			return c.Redirect(http.StatusSeeOther, "/instructor/gradebook")
		}
		if _, ok := h.classes.BySlug(slug); !ok {
			return errNoClass
		}
		return c.Redirect(http.StatusSeeOther, classURL(slug))
	}
	return h.renderClasses(c, http.StatusOK, staff, newClassForm("create", store.Class{TimeZone: "UTC"}, true), nil)
}

func (h *Handler) renderClasses(c *echo.Context, status int, staff bool, form views.ClassForm, errs []views.FormError) error {
	me := identityOf(c).UserID
	v := views.ClassesView{CanCreate: staff, Create: form, Errors: errs, Zones: classes.CommonZones}
	add := func(cl store.Class, role string) {
		dates := classPeriod(cl)
		if dates == "" {
			dates = "—"
		}
		v.Classes = append(v.Classes, views.ClassListRow{
			Name: cl.Name, URL: classURL(cl.Slug), Slug: cl.Slug, Role: role,
			Students: count(h.classes.Students(cl.ID)), Dates: dates, Archived: cl.Archived(),
		})
	}
	if staff {
		for _, cl := range h.classes.All() {
			role := "course staff"
			if r := h.classes.Role(cl.ID, me); r != "" {
				role += ", " + roleName(r)
			}
			add(cl, role)
		}
	} else {
		for _, m := range h.classes.Memberships(me) {
			if m.Role == store.RoleInstructor || m.Role == store.RoleTA {
				add(m.Class, roleName(m.Role))
			}
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.render(c, status, views.ClassesPage(h.page(c, "Classes"), v))
}

// createClass creates a class with a fresh join link: course staff only.
func (h *Handler) createClass(c *echo.Context) error {
	if staff, err := h.courseStaff(c); err != nil || !staff {
		if err != nil {
			return err
		}
		return errNotCourseStaff
	}
	in, form, errs := readClassForm(c, "create", true)
	if len(errs) > 0 {
		return h.renderClasses(c, http.StatusUnprocessableEntity, true, form, errs)
	}
	in.JoinCode = classes.NewJoinCode()
	cl, err := h.store.CreateClass(c.Request().Context(), in)
	if errors.Is(err, store.ErrSlugTaken) {
		form.Slug.Error = "Another class has the address “" + in.Slug + "”: choose another."
		return h.renderClasses(c, http.StatusUnprocessableEntity, true, form, []views.FormError{{ID: form.Slug.ID, Msg: form.Slug.Error}})
	}
	if err != nil {
		return err
	}
	h.reloadClass(c, cl.ID)
	h.logger.InfoContext(c.Request().Context(), "class created", "class_id", cl.ID, "slug", cl.Slug, "user_id", identityOf(c).UserID)
	return c.Redirect(http.StatusSeeOther, classURL(cl.Slug)+"?done=created")
}

// newClassForm is the class form filled with cl.
func newClassForm(prefix string, cl store.Class, withSlug bool) views.ClassForm {
	f := func(name, value string) views.ClassField {
		return views.ClassField{ID: prefix + "-" + name, Name: name, Value: value}
	}
	return views.ClassForm{
		Name: f("name", cl.Name), Slug: f("slug", cl.Slug), Zone: f("time_zone", cl.TimeZone),
		Starts: f("starts_on", classes.DateValue(cl.StartsOn)), Ends: f("ends_on", classes.DateValue(cl.EndsOn)),
		WithSlug: withSlug,
	}
}

// readClassForm reads and checks a class form: the class it describes,
// the form as typed, and its problems.
func readClassForm(c *echo.Context, prefix string, withSlug bool) (store.Class, views.ClassForm, []views.FormError) {
	in := store.Class{
		Name:     strings.TrimSpace(c.FormValue("name")),
		Slug:     strings.TrimSpace(c.FormValue("slug")),
		TimeZone: strings.TrimSpace(c.FormValue("time_zone")),
	}
	form := newClassForm(prefix, in, withSlug)
	form.Starts.Value, form.Ends.Value = c.FormValue("starts_on"), c.FormValue("ends_on")
	var errs []views.FormError
	bad := func(f *views.ClassField, msg string) {
		f.Error = msg
		errs = append(errs, views.FormError{ID: f.ID, Msg: msg})
	}
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		bad(&form.Name, "Give the class a name.")
	case n > 200:
		bad(&form.Name, "The name is longer than 200 characters.")
	}
	if withSlug && classes.CheckSlug(in.Slug) != nil {
		bad(&form.Slug, "The address must be 1 to 40 lower-case letters, digits and dashes, starting with a letter or digit, such as cs101-fall.")
	}
	if _, err := classes.Zone(in.TimeZone); err != nil {
		bad(&form.Zone, "“"+truncate(in.TimeZone, 64)+"” is not a time zone: use an IANA name such as Europe/Berlin or America/New_York.")
	}
	var err error
	if in.StartsOn, err = classes.ParseDate(form.Starts.Value); err != nil {
		bad(&form.Starts, "The start date is not a date.")
	}
	if in.EndsOn, err = classes.ParseDate(form.Ends.Value); err != nil {
		bad(&form.Ends, "The end date is not a date.")
	}
	if !in.StartsOn.IsZero() && !in.EndsOn.IsZero() && in.EndsOn.Before(in.StartsOn) {
		bad(&form.Ends, "The end date is before the start date.")
	}
	return in, form, errs
}

// classNotices are the sentences a class page shows after a change
// (?done=…); anything else shows nothing, so nothing typed is echoed.
var classNotices = map[string]string{
	"created":    "The class was created, with a join link. Share the link with its students, or upload a roster.",
	"saved":      "The class's settings were saved.",
	"archived":   "The class is archived: no one can join it and its students take no quizzes in it. Its grades stay.",
	"unarchived": "The class is open again.",
	"rotated":    "The join link was replaced: the old link no longer works.",
	"off":        "The join link is off: no one can join by link.",
	"on":         "The join link is on.",
	"removed":    "The member was removed from the class.",
	"withdrawn":  "The invitation was withdrawn: that person will not join at their next sign-in.",
}

// showClass is a class's overview: settings, join link, members with
// their progress, invites, and the forms that change them.
func (h *Handler) showClass(c *echo.Context) error {
	a := classOf(c)
	return h.renderClass(c, http.StatusOK, a, newClassForm("edit", a.Class, false), nil, views.ClassField{ID: "staff-email", Name: "email"}, "")
}

func (h *Handler) renderClass(c *echo.Context, status int, a classAccess, edit views.ClassForm, errs []views.FormError, staffEmail views.ClassField, staffRole string) error {
	ctx := c.Request().Context()
	members, err := h.store.ClassMembers(ctx, a.Class.ID)
	if err != nil {
		return err
	}
	progress, err := h.store.ClassProgress(ctx, a.Class.ID)
	if err != nil {
		return err
	}
	invites, err := h.store.ClassInvites(ctx, a.Class.ID)
	if err != nil {
		return err
	}
	lessons := len(h.views.course.Lessons())
	me := identityOf(c).UserID
	v := views.ClassView{
		Header: h.classHeader(a, "overview"), Dates: classPeriod(a.Class), Lessons: lessons,
		JoinURL: h.joinURL(c, a.Class.JoinCode), Students: count(h.classes.Students(a.Class.ID)),
		Edit: edit, Errors: errs, Zones: classes.CommonZones, StaffEmail: staffEmail, StaffRole: staffRole,
	}
	if v.Dates == "" {
		v.Dates = "none set"
	}
	q := c.QueryParams()
	if s, ok := classNotices[q.Get("done")]; ok {
		v.Notice = s
	}
	if q.Has("added") || q.Has("invited") {
		added, _ := strconv.Atoi(q.Get("added"))
		invited, _ := strconv.Atoi(q.Get("invited"))
		v.Notice = plural(max(added, 0), "person was", "people were") + " added to the class; " +
			plural(max(invited, 0), "person was", "people were") + " invited and will join at their first sign-in."
	}
	if q.Has("lms_added") || q.Has("lms_updated") {
		added, _ := strconv.Atoi(q.Get("lms_added"))
		updated, _ := strconv.Atoi(q.Get("lms_updated"))
		v.Notice = "The roster was synced from the LMS: " + plural(max(added, 0), "person was", "people were") + " added; " +
			plural(max(updated, 0), "member's role was", "members' roles were") + " updated."
	}
	if v.LMS, err = h.classLMS(ctx, a.Class.ID); err != nil {
		return err
	}
	v.Header.LMS = v.LMS != nil
	for _, m := range members {
		row := views.ClassMemberRow{
			UserID: strconv.FormatInt(m.UserID, 10), Name: orUnnamed(m.Name), Email: m.Email, Role: roleName(m.Role),
			Student: m.Role == store.RoleStudent, Attempted: "—", Passed: "—", Total: "—",
			CanRemove: a.Manage() && (a.Staff || m.UserID != me),
		}
		if row.Student {
			p := progress[m.UserID]
			row.Attempted = strconv.Itoa(p.Attempted) + " of " + strconv.Itoa(lessons)
			row.Passed = strconv.Itoa(p.Passes) + " of " + strconv.Itoa(lessons)
			row.Total = percent(p.Total)
			if a.Staff {
				row.StudentURL = "/instructor/students/" + row.UserID
			}
		}
		v.Members = append(v.Members, row)
	}
	for _, i := range invites {
		v.Invites = append(v.Invites, views.ClassInviteRow{Email: i.Email, Name: i.Name, Role: roleName(i.Role)})
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.render(c, status, views.ClassPage(h.page(c, a.Class.Name), v))
}

// updateClass saves a class's name, time zone and dates.
func (h *Handler) updateClass(c *echo.Context) error {
	a := classOf(c)
	in, form, errs := readClassForm(c, "edit", false)
	if len(errs) > 0 {
		return h.renderClass(c, http.StatusUnprocessableEntity, a, form, errs, views.ClassField{ID: "staff-email", Name: "email"}, "")
	}
	in.ID = a.Class.ID
	if err := h.store.UpdateClass(c.Request().Context(), in); err != nil {
		return err
	}
	h.reloadClass(c, a.Class.ID)
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"?done=saved")
}

// archiveClass archives a class (archived=true) or brings it back.
func (h *Handler) archiveClass(c *echo.Context) error {
	a := classOf(c)
	var archived bool
	switch c.FormValue("archived") {
	case "true":
		archived = true
	case "false":
	default:
		return badRequest("Say whether to archive the class or bring it back; nothing was changed.")
	}
	if err := h.store.SetClassArchived(c.Request().Context(), a.Class.ID, archived); err != nil {
		return err
	}
	h.reloadClass(c, a.Class.ID)
	done := "unarchived"
	if archived {
		done = "archived"
	}
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"?done="+done)
}

// setJoinLink replaces the join link (rotate), switches it off, or on.
// Switching on a link that is on keeps it, so a second click does not
// break the link just shared.
func (h *Handler) setJoinLink(c *echo.Context) error {
	a := classOf(c)
	action := c.FormValue("action")
	var code string
	switch action {
	case "rotate":
		code = classes.NewJoinCode()
	case "on":
		if a.Class.JoinCode != "" {
			return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"?done=on")
		}
		code = classes.NewJoinCode()
	case "off":
	default:
		return badRequest("Choose to replace the join link, switch it off or switch it on; nothing was changed.")
	}
	if err := h.store.SetJoinCode(c.Request().Context(), a.Class.ID, code); err != nil {
		return err
	}
	h.reloadClass(c, a.Class.ID)
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"?done="+url.QueryEscape(action))
}

// classPeriod shows a class's start and end dates, "" when neither is set.
func classPeriod(cl store.Class) string {
	s, e := classes.FormatDate(cl.StartsOn), classes.FormatDate(cl.EndsOn)
	switch {
	case s != "" && e != "":
		return s + " to " + e
	case s != "":
		return "from " + s
	case e != "":
		return "until " + e
	}
	return ""
}

// roleName is how a member's role is shown.
func roleName(role string) string {
	switch role {
	case store.RoleTA:
		return "teaching assistant"
	case store.RoleInstructor:
		return "instructor"
	case store.RoleStudent:
		return "student"
	}
	return role
}
