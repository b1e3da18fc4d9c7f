package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v5"
)

// textOnly refuses a request whose query or form carries a name or value
// that is not text: bytes that are not UTF-8, or a C0 control character
// other than tab, line feed and carriage return (a NUL, an escape). No one
// types those, PostgreSQL refuses NUL in text and JSON and invalid UTF-8
// anywhere, and the pages and CSV export would carry the rest to others.
// Checking every value here, before any handler, is the one home of the
// rule: a text answer, the gradebook's search and cursor, and any field
// added later are covered alike, and nothing is read or written for a
// request that is refused.
func textOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		values := c.QueryParams()
		if isForm(c.Request()) {
			form, err := c.FormValues() // the query and the body
			if err != nil {
				if echo.StatusCode(err) == http.StatusRequestEntityTooLarge {
					return err
				}
				return errFormUnreadable
			}
			values = form
		}
		if name, ok := firstNotText(values); !ok {
			return notText(name)
		}
		return next(c)
	}
}

var errFormUnreadable = badRequest("The form could not be read, so nothing was changed. Go back and send it again.")

// isForm reports whether r carries a form in its body.
func isForm(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	ct := r.Header.Get(echo.HeaderContentType)
	return strings.HasPrefix(ct, echo.MIMEApplicationForm) || strings.HasPrefix(ct, echo.MIMEMultipartForm)
}

// firstNotText returns the name of the first field in v whose name or a
// value is not text, and false; or "", true.
func firstNotText(v url.Values) (string, bool) {
	for name, values := range v {
		if !isText(name) {
			return "", false
		}
		for _, s := range values {
			if !isText(s) {
				return name, false
			}
		}
	}
	return "", true
}

// isText reports whether s is UTF-8 with no C0 control character but tab,
// line feed and carriage return.
func isText(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x20 && b != '\t' && b != '\n' && b != '\r' {
			return false
		}
	}
	return utf8.ValidString(s)
}

// notText is the 400 for a field that is not text; name is "" when the
// field's name itself is not.
func notText(name string) error {
	where := "What you sent"
	if name != "" {
		where = "The field “" + truncate(name, 40) + "”"
	}
	return &Error{
		Status:  http.StatusBadRequest,
		Heading: "That is not text",
		Message: where + " contains a control character (such as a NUL byte) or bytes that are not UTF-8 text, so nothing was saved or looked up. Remove them and try again.",
	}
}
