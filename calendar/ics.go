// Package calendar writes a student's due dates as an iCalendar feed
// (RFC 5545) that Google Calendar, Outlook and Apple Calendar subscribe
// to, and signs the revocable links that fetch it (FeedTokens).
//
// The feed is the plainest shape every one of them reads: times in UTC
// ("Z" form, so no VTIMEZONE is needed and each calendar shows them in
// its owner's zone), one VEVENT per due date with a stable UID, TEXT
// values escaped, lines ended with CRLF and folded at 75 octets without
// splitting a character.
package calendar

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one due date.
type Event struct {
	// UID names the event across fetches, so a calendar updates it in
	// place when its date changes; see UID.
	UID string
	// Start is the due date. End, when set, ends the event; zero makes
	// it an instant (DTEND = DTSTART), which calendars show at the due
	// time itself rather than as a block ending there.
	Start, End time.Time
	Summary    string
	// Description is plain text; newlines are kept.
	Description string
	// URL, when set, is an absolute http(s) link: the quiz.
	URL string
}

// ProductID names the program that wrote the feed (PRODID).
const ProductID = "-//Twelve//Twelve due dates//EN"

// RefreshInterval is how often the feed asks to be fetched again. Outlook
// and Apple honour it; Google refreshes on its own schedule.
const RefreshInterval = "PT1H"

// UID is the stable identifier of the due date of quiz in class for a
// user: "twelve-CLASS-QUIZ-USER@HOST". It names the user because each
// student's dates may differ (accommodations) and one calendar may
// subscribe to several students' feeds.
func UID(host, class, quiz string, userID int64) string {
	return "twelve-" + class + "-" + quiz + "-" + strconv.FormatInt(userID, 10) + "@" + host
}

const stampLayout = "20060102T150405Z"

// Write writes a calendar called name holding events to w. now is the
// feed's DTSTAMP, when this copy of the events was made. An event without
// a UID or start, ending before it starts, or with a URL that is not an
// absolute http(s) link is an error; Write then may have written part of
// the feed.
func Write(w io.Writer, name string, events []Event, now time.Time) error {
	for i, e := range events {
		if err := e.check(); err != nil {
			return fmt.Errorf("calendar: event %d: %w", i, err)
		}
	}
	if err := checkTime(now); err != nil {
		return fmt.Errorf("calendar: now: %w", err)
	}
	b := bufio.NewWriter(w)
	cw := &contentWriter{w: b}
	cw.line("BEGIN", "VCALENDAR")
	cw.line("VERSION", "2.0")
	cw.line("PRODID", ProductID)
	cw.line("CALSCALE", "GREGORIAN")
	cw.line("METHOD", "PUBLISH")
	cw.line("NAME", EscapeText(name)) // RFC 7986
	cw.line("X-WR-CALNAME", EscapeText(name))
	cw.line("REFRESH-INTERVAL;VALUE=DURATION", RefreshInterval) // RFC 7986
	cw.line("X-PUBLISHED-TTL", RefreshInterval)
	stamp := now.UTC().Format(stampLayout)
	for _, e := range events {
		end := e.End
		if end.IsZero() {
			end = e.Start
		}
		cw.line("BEGIN", "VEVENT")
		cw.line("UID", EscapeText(e.UID))
		cw.line("DTSTAMP", stamp)
		cw.line("DTSTART", e.Start.UTC().Format(stampLayout))
		cw.line("DTEND", end.UTC().Format(stampLayout))
		cw.line("SUMMARY", EscapeText(e.Summary))
		if e.Description != "" {
			cw.line("DESCRIPTION", EscapeText(e.Description))
		}
		if e.URL != "" {
			cw.line("URL", e.URL)
		}
		// A due date is not an appointment: it leaves the time free.
		cw.line("TRANSP", "TRANSPARENT")
		cw.line("END", "VEVENT")
	}
	cw.line("END", "VCALENDAR")
	if cw.err != nil {
		return fmt.Errorf("calendar: write: %w", cw.err)
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("calendar: write: %w", err)
	}
	return nil
}

func (e Event) check() error {
	if strings.TrimSpace(e.UID) == "" {
		return errors.New("no UID")
	}
	if err := checkTime(e.Start); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if !e.End.IsZero() {
		if err := checkTime(e.End); err != nil {
			return fmt.Errorf("end: %w", err)
		}
		if e.End.Before(e.Start) {
			return errors.New("ends before it starts")
		}
	}
	if e.URL != "" {
		u, err := url.Parse(e.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			strings.ContainsFunc(e.URL, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return fmt.Errorf("URL %q is not an absolute http(s) link", e.URL)
		}
	}
	return nil
}

// checkTime refuses times a DATE-TIME cannot hold (four-digit years).
func checkTime(t time.Time) error {
	if t.IsZero() {
		return errors.New("no time")
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("year %d is out of range", y)
	}
	return nil
}

// EscapeText writes s as an iCalendar TEXT value (RFC 5545 3.3.11):
// backslash, semicolon and comma are escaped, every line break (CRLF, CR
// or LF) becomes \n, other control characters are dropped and invalid
// UTF-8 becomes U+FFFD.
func EscapeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b.WriteString(`\\`)
		case c == ';':
			b.WriteString(`\;`)
		case c == ',':
			b.WriteString(`\,`)
		case c == '\r':
			b.WriteString(`\n`)
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteByte(c)
		case c < ' ' || c == 0x7f:
			// a control character TEXT cannot hold
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// maxLine is the longest a content line may be, in octets, without its
// CRLF (RFC 5545 3.1).
const maxLine = 75

// Fold splits a content line into lines of at most 75 octets, each after
// the first starting with a space (which counts towards its 75), never
// inside a UTF-8 character, and ends each with CRLF.
func Fold(line string) string {
	var b strings.Builder
	b.Grow(len(line) + len(line)/maxLine*3 + 2)
	room := maxLine
	for len(line) > 0 {
		n := 0
		for n < len(line) {
			_, size := utf8.DecodeRuneInString(line[n:])
			if n+size > room {
				break
			}
			n += size
		}
		b.WriteString(line[:n])
		b.WriteString("\r\n")
		line = line[n:]
		if len(line) > 0 {
			b.WriteByte(' ')
			room = maxLine - 1
		}
	}
	return b.String()
}

// contentWriter writes content lines and keeps the first error.
type contentWriter struct {
	w   *bufio.Writer
	err error
}

func (cw *contentWriter) line(name, value string) {
	if cw.err != nil {
		return
	}
	_, cw.err = cw.w.WriteString(Fold(name + ":" + value))
}
