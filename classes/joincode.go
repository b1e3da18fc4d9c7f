package classes

import (
	"crypto/rand"
	"encoding/base64"
	"regexp"
)

// joinCodeBytes is the randomness of a join code: 144 bits, 24 characters
// of base64url, inside the schema's [A-Za-z0-9_-]{16,64}.
const joinCodeBytes = 18

// NewJoinCode returns a fresh, unguessable join code for a class's join
// link (/join/CODE).
func NewJoinCode() string {
	b := make([]byte, joinCodeBytes)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// joinCodeRE is the schema's check on a join code.
var joinCodeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// ValidJoinCode reports whether code could be a join code, so a link
// that could not be one is refused without a lookup.
func ValidJoinCode(code string) bool { return joinCodeRE.MatchString(code) }
