package auth

import (
	"slices"
	"strings"
)

// Policy decides who is an instructor. There are three ways to be one:
// an email listed in INSTRUCTOR_EMAILS, membership of INSTRUCTOR_GROUP in
// the provider's groups claim, or a grant made with
// `twelve admin grant-instructor`. Emails count only when the provider has
// not said they are unverified, since anyone can type an address into some
// providers' sign-up forms.
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

// ByGroup reports whether groups include the instructor group.
func (p Policy) ByGroup(groups []string) bool {
	return p.Group != "" && slices.Contains(groups, p.Group)
}

// Instructor combines the three rules for an identity whose grant status
// has just been read from the database. Group membership is as the
// provider reported it at sign-in.
func (p Policy) Instructor(id Identity, granted bool) bool {
	return p.ByEmail(id.Email, id.EmailVerified) || id.GroupInstructor || (granted && id.EmailVerified)
}
