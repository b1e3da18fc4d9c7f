package auth

import (
	"net/url"
	"strings"
)

// maxNextLen bounds the "come back to" path a sign-in carries.
const maxNextLen = 1024

// SafeNext returns raw when it is a path on this site that a browser will
// not read as another origin, else "/". It must start with exactly one "/"
// (not "//" or "/\", which browsers treat as another host), hold no
// backslash, control character or scheme, and not point back into the
// sign-in routes themselves.
func SafeNext(raw string) string {
	if raw == "" || len(raw) > maxNextLen || raw[0] != '/' {
		return "/"
	}
	if strings.HasPrefix(raw, "//") || strings.ContainsRune(raw, '\\') {
		return "/"
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	switch {
	case u.Path == "/login", u.Path == "/logout", strings.HasPrefix(u.Path, "/auth/"), strings.HasPrefix(u.Path, "/saml/"):
		return "/"
	}
	return raw
}
