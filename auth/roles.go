package auth

import (
	"slices"
	"strings"
)

// Policy decides who is an instructor, on every request, from the
// settings in force now. There are three ways to be one: an email listed
// in INSTRUCTOR_EMAILS, membership of INSTRUCTOR_GROUP in the provider's
// groups claim, or a grant made with `twelve admin grant-instructor`.
// Emails count only when the provider has not said they are unverified,
// since anyone can type an address into some providers' sign-up forms.
//
// Groups are only known at sign-in: the identity cookie keeps the
// instructor group the provider listed the person in (Identity.Group), and
// it counts only while INSTRUCTOR_GROUP still names that group. Leaving the
// group at the provider shows at the next sign-in, at most
// SESSION_MAX_LIFETIME later; unsetting or changing INSTRUCTOR_GROUP shows
// at the next request.
type Policy struct {
	// Emails are lowercased instructor emails.
	Emails []string
	// Group is the instructor group's name; "" means groups grant nothing.
	Group string
}

// ByEmail reports whether email is listed as an instructor's.
func (p Policy) ByEmail(email string, verified bool) bool {
	email = strings.ToLower(strings.TrimSpace(email))
	return verified && email != "" && slices.Contains(p.Emails, email)
}

// MatchGroup returns the instructor group when groups include it, else "":
// what a sign-in keeps in Identity.Group.
func (p Policy) MatchGroup(groups []string) string {
	if p.Group != "" && slices.Contains(groups, p.Group) {
		return p.Group
	}
	return ""
}

// Instructor combines the three rules for an identity, given whether its
// email holds an instructor grant (read from the database for instructor
// pages, else as the cookie last saw it).
func (p Policy) Instructor(id Identity, granted bool) bool {
	byGroup := p.Group != "" && id.Group == p.Group
	return p.ByEmail(id.Email, id.EmailVerified) || byGroup || (granted && id.EmailVerified)
}
