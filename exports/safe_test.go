package exports

import "testing"

// TestSpreadsheetSafe: a cell a spreadsheet would run as a formula gets a
// leading quote, also when the sign hides behind white space, an invisible
// character or a compatibility form; plain text is left as it is.
func TestSpreadsheetSafe(t *testing.T) {
	tests := []struct {
		name, in string
		safe     bool // true: left as it is
	}{
		{"plain name", "Ada Lovelace", true},
		{"email", "ada@example.edu", true},
		{"empty", "", true},
		{"sign inside", "Ada =1+1", true},
		{"hyphenated", "Anne-Marie", true},
		{"equals", "=HYPERLINK(\"http://x\")", false},
		{"plus", "+1", false},
		{"minus", "-2+3", false},
		{"at", "@SUM(A1)", false},
		{"tab", "\t=1", false},
		{"tab alone", "\tAda", false},
		{"carriage return", "\r=1", false},
		{"leading space", " =1+1", false},
		{"leading spaces", "   @SUM(A1)", false},
		{"no-break space", "\u00a0=1", false},
		{"ideographic space", "\u3000=1", false},
		{"newline", "\n=1", false},
		{"zero-width space", "\u200b=1", false},
		{"byte order mark", "\ufeff+1", false},
		{"fullwidth equals", "\uff1dHYPERLINK(\"http://x\")", false},
		{"fullwidth plus", "\uff0b1", false},
		{"fullwidth minus", "\uff0d1", false},
		{"fullwidth at", "\uff20SUM(A1)", false},
		{"small equals", "\ufe66cmd", false},
		{"space then fullwidth", " \uff1d1", false},
		{"fullwidth letters", "\uff21da", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SpreadsheetSafe(tt.in)
			want := "'" + tt.in
			if tt.safe {
				want = tt.in
			}
			if got != want {
				t.Errorf("SpreadsheetSafe(%q) = %q, want %q", tt.in, got, want)
			}
		})
	}
}
