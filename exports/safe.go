package exports

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// SpreadsheetSafe neutralises a cell that a spreadsheet would run as a
// formula by prefixing a single quote, as OWASP advises against CSV
// injection. A formula starts with = + - or @, or with a tab or carriage
// return; spreadsheets also skip leading spaces and read fullwidth and other
// compatibility forms (＝, ﹢) as the plain sign, so the sign is looked for
// after NFKC normalisation and after leading white space and invisible
// format characters (NBSP, zero-width space, BOM).
func SpreadsheetSafe(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	t := strings.TrimLeftFunc(norm.NFKC.String(s), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
	})
	if t != "" && strings.ContainsRune("=+-@", rune(t[0])) {
		return "'" + s
	}
	return s
}
