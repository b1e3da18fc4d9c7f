package classes

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	// Class time zones are IANA names checked with time.LoadLocation; the
	// database is embedded so that a host without /usr/share/zoneinfo (a
	// slim container) knows the same zones as a laptop.
	_ "time/tzdata"
)

// Date errors, for a form to name.
var (
	// ErrBadZone is a time zone name that is not an IANA zone.
	ErrBadZone = errors.New("classes: not a time zone")
	// ErrBadTime is a date and time that could not be read.
	ErrBadTime = errors.New("classes: not a date and time")
	// ErrSkippedTime is a local time that does not exist in its zone: the
	// clocks jumped over it (the start of summer time).
	ErrSkippedTime = errors.New("classes: that time is skipped by a clock change")
	// ErrBadSlug is a class slug the schema refuses.
	ErrBadSlug = errors.New("classes: not a class slug")
)

// localLayout is the value of an HTML datetime-local input.
const (
	localLayout        = "2006-01-02T15:04"
	localLayoutSeconds = "2006-01-02T15:04:05"
)

// zones holds the zones loaded so far, by name: time.LoadLocation parses
// the zone's data on every call, and every page of a class's dates names
// its zone. A process meets a handful of zones.
var zones sync.Map // string → *time.Location

// Zone loads the IANA time zone name. "Local" and "" are refused: a
// class's dates must not depend on the server's own setting.
func Zone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, fmt.Errorf("%w: %q", ErrBadZone, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrBadZone, name)
	}
	zones.Store(name, loc)
	return loc, nil
}

// Location is the zone name, or UTC for a name that is not one (a stored
// zone the server's tzdata no longer knows): the zone a class's dates are
// shown in.
func Location(name string) *time.Location {
	loc, err := Zone(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// ParseLocal reads value, a wall-clock time as a datetime-local input
// sends it ("2026-12-11T17:00", seconds optional), in the time zone zone,
// and returns that instant in UTC. A time the clocks skip (in a spring
// gap) is refused with ErrSkippedTime; a time that happens twice (in an
// autumn overlap) is the earlier of the two, so a deadline never moves
// later than someone reading the clock could expect.
func ParseLocal(value, zone string) (time.Time, error) {
	loc, err := Zone(zone)
	if err != nil {
		return time.Time{}, err
	}
	value = strings.TrimSpace(value)
	wall, err := time.Parse(localLayout, value)
	if err != nil {
		if wall, err = time.Parse(localLayoutSeconds, value); err != nil {
			return time.Time{}, fmt.Errorf("%w: %q", ErrBadTime, value)
		}
	}
	if wall.Year() < 1970 || wall.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%w: %q", ErrBadTime, value)
	}
	// The offsets in force a day either side cover every clock change;
	// each that maps back to the same wall clock is a reading of value.
	var found []time.Time
	seen := map[int]bool{}
	for _, probe := range []time.Time{wall.Add(-24 * time.Hour), wall, wall.Add(24 * time.Hour)} {
		_, off := time.Date(probe.Year(), probe.Month(), probe.Day(), probe.Hour(), probe.Minute(), 0, 0, loc).Zone()
		if seen[off] {
			continue
		}
		seen[off] = true
		t := wall.Add(-time.Duration(off) * time.Second)
		if sameWall(t.In(loc), wall) {
			found = append(found, t.UTC())
		}
	}
	if len(found) == 0 {
		return time.Time{}, fmt.Errorf("%w: %s in %s", ErrSkippedTime, value, zone)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Before(found[j]) })
	return found[0], nil
}

func sameWall(t, wall time.Time) bool {
	y, m, d := t.Date()
	wy, wm, wd := wall.Date()
	return y == wy && m == wm && d == wd && t.Hour() == wall.Hour() && t.Minute() == wall.Minute() && t.Second() == wall.Second()
}

// FormatIn shows t in the time zone zone with the zone's name, as every
// class date is shown: "Fri 11 Dec 2026, 17:00 Europe/Berlin". The zero
// time is "".
func FormatIn(t time.Time, zone string) string { return FormatAt(t, Location(zone)) }

// FormatAt is FormatIn for a zone already loaded.
func FormatAt(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04") + " " + loc.String()
}

// LocalValue is t in zone as a datetime-local input's value, "" for the
// zero time: the inverse of ParseLocal.
func LocalValue(t time.Time, zone string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Location(zone)).Format(localLayout)
}

// dateLayout is the value of an HTML date input.
const dateLayout = "2006-01-02"

// ParseDate reads a date input's value ("2026-09-01") as midnight UTC of
// that day, the way a class's start and end dates are kept; "" is the
// zero time.
func ParseDate(value string) (time.Time, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(dateLayout, value)
	if err != nil || d.Year() < 1970 || d.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%w: %q", ErrBadTime, value)
	}
	return d, nil
}

// DateValue is a class date as a date input's value, "" for none.
func DateValue(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return d.UTC().Format(dateLayout)
}

// FormatDate shows a class date: "Tue 1 Sep 2026", "" for none.
func FormatDate(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return d.UTC().Format("Mon 2 Jan 2006")
}

// CommonZones are offered as suggestions where a class's time zone is
// typed; any IANA name is accepted.
var CommonZones = []string{
	"UTC",
	"Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
	"Europe/Amsterdam", "Europe/Madrid", "Europe/Rome", "Europe/Zurich", "Europe/Stockholm",
	"Europe/Warsaw", "Europe/Athens", "Europe/Helsinki", "Europe/Istanbul", "Europe/Moscow",
	"Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg",
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
	"America/Los_Angeles", "America/Anchorage", "America/Toronto", "America/Vancouver",
	"America/Mexico_City", "America/Bogota", "America/Lima", "America/Santiago",
	"America/Sao_Paulo", "America/Argentina/Buenos_Aires",
	"Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok",
	"Asia/Jakarta", "Asia/Singapore", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei",
	"Asia/Seoul", "Asia/Tokyo", "Australia/Perth", "Australia/Adelaide", "Australia/Brisbane",
	"Australia/Sydney", "Pacific/Auckland", "Pacific/Honolulu",
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// CheckSlug reports whether slug is one a class may have: lower-case
// letters, digits and dashes, starting with a letter or digit, at most 40.
func CheckSlug(slug string) error {
	if !slugRE.MatchString(slug) {
		return fmt.Errorf("%w: %q", ErrBadSlug, slug)
	}
	return nil
}
