package auth

import (
	"encoding/json"
	"strings"
	"unicode"
)

// Profile is who the provider says signed in, from the verified ID token
// and, for what it lacked, the userinfo endpoint.
type Profile struct {
	Issuer  string
	Subject string
	Email   string
	// EmailVerified is false only when the provider said so; providers that
	// do not send email_verified (Microsoft Entra) are taken at their word.
	EmailVerified bool
	Name          string
	Groups        []string
	// IDToken is the raw ID token, kept as the hint for the provider's logout.
	IDToken string
}

// Lengths past which provider-supplied text is cut, so that one odd
// account cannot push the identity cookie past what browsers store.
const (
	maxNameRunes  = 120
	maxEmailBytes = 254
)

// claimSet is a decoded JSON object of claims.
type claimSet map[string]json.RawMessage

// str returns a string claim, or false when it is absent or not a string.
func (cs claimSet) str(name string) (string, bool) {
	raw, ok := cs[name]
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// boolean returns a boolean claim; some providers send "true" as a string.
func (cs claimSet) boolean(name string) (value, ok bool) {
	raw, ok := cs[name]
	if !ok {
		return false, false
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch strings.ToLower(s) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// groups returns the groups claim named by path: a top-level claim, or a
// dotted path into nested objects such as Keycloak's "realm_access.roles".
// A single string counts as one group. ok is false when the claim is absent.
func (cs claimSet) groups(path string) (groups []string, ok bool) {
	if path == "" {
		return nil, false
	}
	raw, found := cs[path]
	if !found {
		head, rest, dotted := strings.Cut(path, ".")
		if !dotted {
			return nil, false
		}
		var inner claimSet
		if err := json.Unmarshal(cs[head], &inner); err != nil || inner == nil {
			return nil, false
		}
		return inner.groups(rest)
	}
	var list []any
	if err := json.Unmarshal(raw, &list); err == nil {
		for _, v := range list {
			if s, isString := v.(string); isString && s != "" {
				groups = append(groups, s)
			}
		}
		return groups, true
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		if one == "" {
			return nil, true
		}
		return []string{one}, true
	}
	return nil, false
}

// profileFields are the parts of a profile read from one claim set.
type profileFields struct {
	email, name       string
	emailVerified     bool
	hasEmail, hasName bool
	groups            []string
	hasGroups         bool
}

// readProfile picks the profile claims out of cs.
func readProfile(cs claimSet, groupsClaim string) profileFields {
	var f profileFields
	f.email, f.hasEmail = cs.str("email")
	f.email = strings.TrimSpace(f.email)
	f.hasEmail = f.hasEmail && f.email != ""
	verified, said := cs.boolean("email_verified")
	f.emailVerified = !said || verified
	f.name, f.hasName = displayName(cs)
	f.groups, f.hasGroups = cs.groups(groupsClaim)
	return f
}

// complete reports whether nothing needs to be asked of userinfo.
func (f profileFields) complete(wantGroups bool) bool {
	return f.hasEmail && f.hasName && (f.hasGroups || !wantGroups)
}

// fill takes from other whatever f lacks.
func (f *profileFields) fill(other profileFields) {
	if !f.hasEmail && other.hasEmail {
		f.email, f.emailVerified, f.hasEmail = other.email, other.emailVerified, true
	}
	if !f.hasName && other.hasName {
		f.name, f.hasName = other.name, true
	}
	if !f.hasGroups && other.hasGroups {
		f.groups, f.hasGroups = other.groups, true
	}
}

// displayName is the name to show: name, else given and family name, else
// preferred_username.
func displayName(cs claimSet) (string, bool) {
	if n, _ := cs.str("name"); strings.TrimSpace(n) != "" {
		return n, true
	}
	given, _ := cs.str("given_name")
	family, _ := cs.str("family_name")
	if n := strings.TrimSpace(given + " " + family); n != "" {
		return n, true
	}
	if n, _ := cs.str("preferred_username"); strings.TrimSpace(n) != "" {
		return n, true
	}
	return "", false
}

// cleanText removes control characters and surrounding space and cuts s to
// max runes. Escaping is left to the views, which escape everything.
func cleanText(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			continue
		}
		if n == max {
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// cleanEmail keeps a plausible email or returns "".
func cleanEmail(s string) string {
	s = cleanText(s, maxEmailBytes)
	if len(s) > maxEmailBytes || !strings.Contains(s, "@") || strings.ContainsAny(s, " \t") {
		return ""
	}
	return s
}
