package classes

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRoster(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []RosterRow
	}{
		{
			name: "email only",
			text: "email\nada@example.edu\nbrook@example.edu\n",
			want: []RosterRow{{Line: 2, Email: "ada@example.edu", Role: "student"}, {Line: 3, Email: "brook@example.edu", Role: "student"}},
		},
		{
			name: "BOM, CRLF, header case, extra columns, blank lines, columns in any order",
			text: "\ufeffStudent ID,Role, EMAIL ,Name\r\n\r\n17,TA,Ada@Example.EDU,Ada Lovelace\r\n,,,\r\n18,,brook@example.edu,\"Brook, B.\"\r\n",
			want: []RosterRow{
				{Line: 3, Email: "ada@example.edu", Name: "Ada Lovelace", Role: "ta"},
				{Line: 5, Email: "brook@example.edu", Name: "Brook, B.", Role: "student"},
			},
		},
		{
			name: "bad rows carry their reason",
			text: "email,role\nnot-an-email,\nada@example.edu,professor\ncyd@example.edu,instructor\nCYD@example.edu,student\nEve <eve@example.edu>,\n,student\n",
			want: []RosterRow{
				{Line: 2, Email: "not-an-email", Role: "", Problem: "“not-an-email” is not an email address"},
				{Line: 3, Email: "ada@example.edu", Role: "professor", Problem: "unknown role “professor”: use student, ta or instructor"},
				{Line: 4, Email: "cyd@example.edu", Role: "instructor"},
				{Line: 5, Email: "cyd@example.edu", Role: "student", Problem: "the same email as line 4"},
				{Line: 6, Email: "Eve <eve@example.edu>", Problem: "“Eve <eve@example.edu>” is not an email address"},
				{Line: 7, Email: "", Role: "student", Problem: "no email"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRoster(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseRoster (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRosterRefuses(t *testing.T) {
	tests := []struct {
		name, text string
		err        error
	}{
		{"empty", "", ErrRosterEmpty},
		{"header only", "email\n", ErrRosterEmpty},
		{"no email column", "name,role\nAda,student\n", ErrRosterNoEmail},
		{"broken quotes", "email\n\"ada@example.edu\n", ErrRosterNotCSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseRoster(tt.text); !errors.Is(err, tt.err) {
				t.Errorf("error %v, want %v", err, tt.err)
			}
		})
	}
}

func TestParseRosterTooManyRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("email\n")
	for i := range MaxRosterRows + 2 {
		b.WriteString("s" + strconv.Itoa(i) + "@example.edu\n")
	}
	rows, err := ParseRoster(b.String())
	if err != nil {
		t.Fatal(err)
	}
	if got := len(Addable(rows)); got != MaxRosterRows {
		t.Errorf("addable rows = %d, want %d", got, MaxRosterRows)
	}
	last := rows[len(rows)-1]
	if last.OK() || !strings.Contains(last.Problem, "too many rows") {
		t.Errorf("row %d: problem %q, want too many rows", last.Line, last.Problem)
	}
}
