package handlers

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/store"
)

// What a class page asks of the person opening it.
type classNeed int

const (
	// readClass: the class's reports and accommodations — course staff,
	// and the class's instructors and TAs.
	readClass classNeed = iota
	// manageClass: the class's settings, dates, join link, roster and
	// staff — course staff and the class's instructors.
	manageClass
)

// classAccess is the class a class page is about, and who is asking.
type classAccess struct {
	Class store.Class
	// Staff is whether the person is course staff; Role is their role in
	// the class ("" when they are not a member).
	Staff bool
	Role  string
}

// Manage reports whether the person may change the class's settings.
func (a classAccess) Manage() bool { return a.Staff || a.Role == store.RoleInstructor }

const classAccessKey = "twelve.class"

func classOf(c *echo.Context) classAccess {
	a, _ := c.Get(classAccessKey).(classAccess)
	return a
}

var (
	errNoClass = &Error{Status: http.StatusNotFound, Heading: "No such class",
		Message: "There is no class at this address. Your classes are listed on the Classes page."}
	errNotClassStaff = &Error{Status: http.StatusForbidden, Heading: "This class is not yours",
		Message: "Only the class's instructors and teaching assistants, and the course's instructors, can open this page. Your own classes are listed on the Classes page."}
	errNotClassInstructor = &Error{Status: http.StatusForbidden, Heading: "Only the class's instructors can change this",
		Message: "Teaching assistants can read the class's reports and set accommodations; the class's settings, dates, roster and staff are for its instructors."}
)

// requireClass guards the pages of the class named by :slug: the person
// must be signed in and allowed what need asks. Who is a member, and in
// which role, comes from the class directory, so checking costs no
// database round trip beyond requireInstructor's grant lookup.
func (h *Handler) requireClass(need classNeed) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return h.requireSignIn(func(c *echo.Context) error {
			class, ok := h.classes.BySlug(c.Param("slug"))
			if !ok {
				return errNoClass
			}
			staff, err := h.courseStaff(c)
			if err != nil {
				return err
			}
			a := classAccess{Class: class, Staff: staff, Role: h.classes.Role(class.ID, identityOf(c).UserID)}
			switch {
			case !a.Staff && a.Role != store.RoleInstructor && a.Role != store.RoleTA:
				return errNotClassStaff
			case need == manageClass && !a.Manage():
				return errNotClassInstructor
			}
			c.Set(classAccessKey, a)
			return next(c)
		})
	}
}

// requireClassStaff guards the list of classes: course staff, and anyone
// who teaches or assists in a class.
func (h *Handler) requireClassStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return h.requireSignIn(func(c *echo.Context) error {
		staff, err := h.courseStaff(c)
		if err != nil {
			return err
		}
		if !staff && !h.classes.Teaches(identityOf(c).UserID) {
			return errNotClassStaff
		}
		return next(c)
	})
}
