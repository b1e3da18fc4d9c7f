package calendar

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
	"github.com/google/go-cmp/cmp"
)

func TestEscapeText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Quiz: Codebase", "Quiz: Codebase"},
		{"empty", "", ""},
		{"comma", "due soon, really", `due soon\, really`},
		{"semicolon", "a;b", `a\;b`},
		{"backslash", `C:\path`, `C:\\path`},
		{"backslash before n", `\n is not a newline`, `\\n is not a newline`},
		{"newline", "one\ntwo", `one\ntwo`},
		{"crlf", "one\r\ntwo", `one\ntwo`},
		{"lone cr", "one\rtwo", `one\ntwo`},
		{"two newlines", "one\n\ntwo", `one\n\ntwo`},
		{"colon and quote stay", `say: "hi"`, `say: "hi"`},
		{"tab stays", "a\tb", "a\tb"},
		{"controls dropped", "a\x00b\x1bc\x7fd", "abcd"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"multibyte", "Frist: 12. März ✓ 🎓", "Frist: 12. März ✓ 🎓"},
		{"all at once", "a\\;,\r\n", `a\\\;\,\n`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EscapeText(tt.in); got != tt.want {
				t.Errorf("EscapeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestFold: every physical line is at most 75 octets, continuation lines
// start with one space, no UTF-8 character is split, and unfolding (drop
// each CRLF and the space after it) gives the line back.
func TestFold(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		lines []int // octets of each physical line, without CRLF
	}{
		{"short", "SUMMARY:hi", []int{10}},
		{"exactly 75", strings.Repeat("a", 75), []int{75}},
		{"76", strings.Repeat("a", 76), []int{75, 2}},
		{"two folds", strings.Repeat("a", 75+74+1), []int{75, 75, 2}},
		{"2-octet char across 75", strings.Repeat("a", 74) + "é" + "b", []int{74, 4}},
		{"3-octet char across 75", strings.Repeat("a", 73) + "✓b", []int{73, 5}},
		{"4-octet char across 75", strings.Repeat("a", 72) + "🎓b", []int{72, 6}},
		{"4-octet char fits at 75", strings.Repeat("a", 71) + "🎓b", []int{75, 2}},
		{"4-octet char across a continuation", strings.Repeat("a", 75+72) + "🎓", []int{75, 73, 5}},
		{"all emoji", strings.Repeat("🎓", 40), []int{72, 73, 17}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fold(tt.in)
			if !strings.HasSuffix(got, "\r\n") {
				t.Fatalf("Fold(%q) = %q does not end with CRLF", tt.in, got)
			}
			physical := strings.Split(strings.TrimSuffix(got, "\r\n"), "\r\n")
			var lens []int
			for i, l := range physical {
				lens = append(lens, len(l))
				if len(l) > 75 {
					t.Errorf("line %d is %d octets", i, len(l))
				}
				if i > 0 && (l == "" || l[0] != ' ') {
					t.Errorf("continuation line %d %q does not start with a space", i, l)
				}
				if !utf8.ValidString(l) {
					t.Errorf("line %d %q splits a character", i, l)
				}
			}
			if diff := cmp.Diff(tt.lines, lens); diff != "" {
				t.Errorf("line lengths (-want +got):\n%s", diff)
			}
			if back := strings.ReplaceAll(strings.TrimSuffix(got, "\r\n"), "\r\n ", ""); back != tt.in {
				t.Errorf("unfolded = %q, want %q", back, tt.in)
			}
		})
	}
}

var (
	now = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	due = time.Date(2026, 12, 12, 23, 59, 0, 0, time.FixedZone("CET", 3600))
)

// hostile is every kind of text a course author or class name could put
// in an event.
var hostile = []string{
	"Quiz: Codebase",
	"new\nline, comma; semicolon \\ backslash \\n not-a-newline",
	"CRLF\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected",
	strings.Repeat("x", 1000) + " ✓",
	strings.Repeat("🎓", 300),
	"Zürich: Fälligkeit \"heute\" 🙂",
	"a:b;c=d,\te",
}

// normalised is what hostile text reads back as: line breaks are newlines.
func normalised(s string) string {
	return strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
}

func hostileEvents() []Event {
	var events []Event
	for i, s := range hostile {
		events = append(events, Event{
			UID:         UID("twelve.example", "fall-26", "codebase", int64(i+1)),
			Start:       due.Add(time.Duration(i) * time.Hour),
			Summary:     s,
			Description: "Due: " + s,
			URL:         "https://twelve.example/lessons/codebase/quiz?class=fall-26&x=1,2;3",
		})
	}
	events[0].End = events[0].Start.Add(15 * time.Minute)
	return events
}

// TestWriteShape: the feed's own lines, CRLF only, none longer than 75
// octets, the calendar properties every client expects.
func TestWriteShape(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "Twelve, fall; 2026", hostileEvents(), now); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\r") {
		t.Error("the feed has a line break that is not CRLF")
	}
	for i, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line %d is %d octets: %q", i, len(l), l)
		}
	}
	unfolded := strings.Split(strings.ReplaceAll(strings.TrimSuffix(out, "\r\n"), "\r\n ", ""), "\r\n")
	wantHead := []string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:" + ProductID,
		"CALSCALE:GREGORIAN",
		"METHOD:PUBLISH",
		`NAME:Twelve\, fall\; 2026`,
		`X-WR-CALNAME:Twelve\, fall\; 2026`,
		"REFRESH-INTERVAL;VALUE=DURATION:PT1H",
		"X-PUBLISHED-TTL:PT1H",
		"BEGIN:VEVENT",
		"UID:twelve-fall-26-codebase-1@twelve.example",
		"DTSTAMP:20261205T080000Z",
		"DTSTART:20261212T225900Z",
		"DTEND:20261212T231400Z",
		"SUMMARY:Quiz: Codebase",
		"DESCRIPTION:Due: Quiz: Codebase",
		"URL:https://twelve.example/lessons/codebase/quiz?class=fall-26&x=1,2;3",
		"TRANSP:TRANSPARENT",
		"END:VEVENT",
	}
	if diff := cmp.Diff(wantHead, unfolded[:len(wantHead)]); diff != "" {
		t.Errorf("feed start (-want +got):\n%s", diff)
	}
	if last := unfolded[len(unfolded)-1]; last != "END:VCALENDAR" {
		t.Errorf("last line = %q, want END:VCALENDAR", last)
	}
	if n := strings.Count(out, "\r\nBEGIN:VEVENT\r\n"); n != len(hostile) {
		t.Errorf("%d events, want %d: text must not open events of its own", n, len(hostile))
	}
}

// TestRoundTrip parses the feed with a maintained iCalendar library and
// reads every event's UID, dates and texts back as they were given.
func TestRoundTrip(t *testing.T) {
	events := hostileEvents()
	var b bytes.Buffer
	if err := Write(&b, "Twelve — fall, 2026", events, now); err != nil {
		t.Fatal(err)
	}
	cal, err := ics.ParseCalendar(&b)
	if err != nil {
		t.Fatalf("golang-ical cannot parse the feed: %v", err)
	}
	var calName string
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == "X-WR-CALNAME" {
			calName = p.Value
		}
	}
	if calName != "Twelve — fall, 2026" {
		t.Errorf("X-WR-CALNAME = %q", calName)
	}
	got := cal.Events()
	if len(got) != len(events) {
		t.Fatalf("parsed %d events, want %d", len(got), len(events))
	}
	for i, e := range events {
		g := got[i]
		value := func(p ics.ComponentProperty) string {
			if prop := g.GetProperty(p); prop != nil {
				return prop.Value
			}
			return "<missing>"
		}
		if v := value(ics.ComponentPropertyUniqueId); v != e.UID {
			t.Errorf("event %d: UID = %q, want %q", i, v, e.UID)
		}
		if v := value(ics.ComponentPropertySummary); v != normalised(e.Summary) {
			t.Errorf("event %d: SUMMARY = %q, want %q", i, v, normalised(e.Summary))
		}
		if v := value(ics.ComponentPropertyDescription); v != normalised(e.Description) {
			t.Errorf("event %d: DESCRIPTION = %q, want %q", i, v, normalised(e.Description))
		}
		if v := value(ics.ComponentPropertyUrl); v != e.URL {
			t.Errorf("event %d: URL = %q, want %q", i, v, e.URL)
		}
		start, err := g.GetStartAt()
		if err != nil || !start.Equal(e.Start) {
			t.Errorf("event %d: DTSTART = %v, %v; want %v", i, start, err, e.Start)
		}
		wantEnd := e.End
		if wantEnd.IsZero() {
			wantEnd = e.Start
		}
		end, err := g.GetEndAt()
		if err != nil || !end.Equal(wantEnd) {
			t.Errorf("event %d: DTEND = %v, %v; want %v", i, end, err, wantEnd)
		}
		stamp, err := g.GetDtStampTime()
		if err != nil || !stamp.Equal(now) {
			t.Errorf("event %d: DTSTAMP = %v, %v; want %v", i, stamp, err, now)
		}
	}
}

// TestEmptyFeed: a student with no due dates still gets a calendar.
func TestEmptyFeed(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "Twelve", nil, now); err != nil {
		t.Fatal(err)
	}
	cal, err := ics.ParseCalendar(&b)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cal.Events()); n != 0 {
		t.Errorf("%d events, want none", n)
	}
}

func TestWriteRefuses(t *testing.T) {
	ok := Event{UID: "u@h", Start: due, Summary: "s"}
	with := func(f func(*Event)) Event { e := ok; f(&e); return e }
	tests := []struct {
		name string
		e    Event
	}{
		{"no UID", with(func(e *Event) { e.UID = " " })},
		{"no start", with(func(e *Event) { e.Start = time.Time{} })},
		{"ends before it starts", with(func(e *Event) { e.End = due.Add(-time.Minute) })},
		{"year 10000", with(func(e *Event) { e.Start = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) })},
		{"relative URL", with(func(e *Event) { e.URL = "/lessons/codebase" })},
		{"javascript URL", with(func(e *Event) { e.URL = "javascript:alert(1)" })},
		{"URL with a line break", with(func(e *Event) { e.URL = "https://x.example/\r\nEND:VEVENT" })},
		{"URL with a space", with(func(e *Event) { e.URL = "https://x.example/a b" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, "Twelve", []Event{ok, tt.e}, now); err == nil {
				t.Errorf("Write succeeded:\n%s", b.String())
			}
			if b.Len() != 0 {
				t.Errorf("a refused feed wrote %d bytes", b.Len())
			}
		})
	}
}
