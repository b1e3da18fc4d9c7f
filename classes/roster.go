package classes

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/twelve-course/twelve/store"
)

// MaxRosterRows is the most people one roster upload adds; rows past it
// are reported, not added.
const MaxRosterRows = 5000

// Roster errors: a file that cannot be read as a roster at all.
var (
	ErrRosterEmpty    = errors.New("classes: the roster has no rows")
	ErrRosterNoEmail  = errors.New("classes: the roster's first line has no email column")
	ErrRosterNotCSV   = errors.New("classes: the roster is not CSV")
	ErrRosterTooLarge = errors.New("classes: the roster is too large")
)

// RosterRow is one line of an uploaded roster and what became of it.
type RosterRow struct {
	Line  int // the line of the file it was read from (the header is line 1)
	Email string
	Name  string
	Role  string
	// Problem says why the row will not be added; "" when it will.
	Problem string
}

// OK reports whether the row will be added.
func (r RosterRow) OK() bool { return r.Problem == "" }

// ParseRoster reads a roster: CSV whose first line names the columns,
// `email` (required), `name` and `role` (student, ta or instructor;
// student when blank), in any order and case; other columns are ignored,
// as are blank lines, a byte order mark and CRLF line ends. Each data row
// comes back with its problem, if any: a bad email, an unknown role, a
// repeat of an earlier row's email, a name too long, or a row past
// MaxRosterRows. It changes nothing; the caller adds the rows that are OK.
func ParseRoster(text string) ([]RosterRow, error) {
	text = strings.TrimPrefix(text, "\ufeff")
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, ErrRosterEmpty
	}
	if err != nil {
		return nil, rosterCSVError(err)
	}
	col := map[string]int{"email": -1, "name": -1, "role": -1}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if j, ok := col[h]; ok && j < 0 {
			col[h] = i
		}
	}
	if col["email"] < 0 {
		return nil, ErrRosterNoEmail
	}
	field := func(rec []string, name string) string {
		if i := col[name]; i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var rows []RosterRow
	first := map[string]int{} // line of each email's first good row
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, rosterCSVError(err)
		}
		if blank(rec) {
			continue
		}
		if len(rows) > 2*MaxRosterRows {
			return nil, ErrRosterTooLarge
		}
		line, _ := r.FieldPos(0)
		row := RosterRow{Line: line, Name: field(rec, "name"), Role: strings.ToLower(field(rec, "role"))}
		raw := field(rec, "email")
		row.Email, row.Problem = checkEmail(raw)
		if len(rows) >= MaxRosterRows {
			row.Problem = "too many rows: one roster adds at most " + strconv.Itoa(MaxRosterRows) + " people; upload the rest separately"
		}
		if row.Problem == "" {
			switch {
			case row.Role == "":
				row.Role = store.RoleStudent
			case row.Role != store.RoleStudent && row.Role != store.RoleTA && row.Role != store.RoleInstructor:
				row.Problem = "unknown role “" + clip(row.Role, 40) + "”: use student, ta or instructor"
			}
		}
		if row.Problem == "" && utf8.RuneCountInString(row.Name) > 200 {
			row.Problem = "the name is longer than 200 characters"
		}
		if row.Problem == "" {
			if at, dup := first[row.Email]; dup {
				row.Problem = "the same email as line " + strconv.Itoa(at)
			}
		}
		if row.Problem == "" {
			first[row.Email] = row.Line
		} else if row.Email == "" {
			row.Email = clip(raw, 100)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, ErrRosterEmpty
	}
	return rows, nil
}

// Addable returns the roster's rows that are OK, as invites for store.AddRoster.
func Addable(rows []RosterRow) []store.Invite {
	var out []store.Invite
	for _, r := range rows {
		if r.OK() {
			out = append(out, store.Invite{Email: r.Email, Name: r.Name, Role: r.Role})
		}
	}
	return out
}

// CheckEmail returns raw as the lower-case address a class keeps, or a
// sentence saying why it is not an email address.
func CheckEmail(raw string) (string, error) {
	email, problem := checkEmail(raw)
	if problem != "" {
		return "", errors.New(problem)
	}
	return email, nil
}

func checkEmail(raw string) (string, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "no email"
	}
	email := strings.ToLower(raw)
	a, err := mail.ParseAddress(email)
	at := strings.LastIndexByte(email, '@')
	if err != nil || a.Address != email || a.Name != "" || len(email) > 254 || at < 1 || !strings.Contains(email[at+1:], ".") {
		return "", "“" + clip(raw, 100) + "” is not an email address"
	}
	return email, ""
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func rosterCSVError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%w: line %d: %v", ErrRosterNotCSV, pe.Line, pe.Err)
	}
	return fmt.Errorf("%w: %v", ErrRosterNotCSV, err)
}
