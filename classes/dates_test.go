package classes

import (
	"errors"
	"testing"
	"time"
)

func TestParseLocal(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, value, zone string
		want              time.Time
		err               error
	}{
		{"winter in Berlin", "2026-12-11T17:00", "Europe/Berlin", utc("2026-12-11T16:00:00Z"), nil},
		{"summer in Berlin", "2026-07-01T09:30", "Europe/Berlin", utc("2026-07-01T07:30:00Z"), nil},
		{"with seconds", "2026-07-01T09:30:15", "Europe/Berlin", utc("2026-07-01T07:30:15Z"), nil},
		{"UTC", "2026-01-31T23:59", "UTC", utc("2026-01-31T23:59:00Z"), nil},
		{"spaces around", "  2026-01-31T23:59 ", "UTC", utc("2026-01-31T23:59:00Z"), nil},
		{"spring gap in Berlin", "2026-03-29T02:30", "Europe/Berlin", time.Time{}, ErrSkippedTime},
		{"just after the gap", "2026-03-29T03:00", "Europe/Berlin", utc("2026-03-29T01:00:00Z"), nil},
		{"just before the gap", "2026-03-29T01:59", "Europe/Berlin", utc("2026-03-29T00:59:00Z"), nil},
		{"spring gap in New York", "2026-03-08T02:30", "America/New_York", time.Time{}, ErrSkippedTime},
		{"half-hour gap on Lord Howe", "2026-10-04T02:15", "Australia/Lord_Howe", time.Time{}, ErrSkippedTime},
		{"autumn overlap in Berlin is the earlier", "2026-10-25T02:30", "Europe/Berlin", utc("2026-10-25T00:30:00Z"), nil},
		{"autumn overlap in New York is the earlier", "2026-11-01T01:30", "America/New_York", utc("2026-11-01T05:30:00Z"), nil},
		{"Kathmandu's quarter hour", "2026-05-01T12:00", "Asia/Kathmandu", utc("2026-05-01T06:15:00Z"), nil},
		{"no such zone", "2026-12-11T17:00", "Europe/Atlantis", time.Time{}, ErrBadZone},
		{"server's local zone refused", "2026-12-11T17:00", "Local", time.Time{}, ErrBadZone},
		{"empty zone", "2026-12-11T17:00", "", time.Time{}, ErrBadZone},
		{"not a time", "tomorrow", "UTC", time.Time{}, ErrBadTime},
		{"a date alone", "2026-12-11", "UTC", time.Time{}, ErrBadTime},
		{"31 February", "2026-02-31T10:00", "UTC", time.Time{}, ErrBadTime},
		{"an offset is not a wall clock", "2026-12-11T17:00+01:00", "UTC", time.Time{}, ErrBadTime},
		{"year 1", "0001-01-01T00:00", "UTC", time.Time{}, ErrBadTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLocal(tt.value, tt.zone)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseLocal(%q, %q) error %v, want %v", tt.value, tt.zone, err, tt.err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseLocal(%q, %q) = %v, want %v", tt.value, tt.zone, got, tt.want)
			}
			if err == nil && got.Location() != time.UTC {
				t.Errorf("ParseLocal returned %v, want it in UTC", got.Location())
			}
		})
	}
}

func TestFormatInAndLocalValue(t *testing.T) {
	at := time.Date(2026, 12, 11, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		name, zone, want, input string
	}{
		{"Berlin", "Europe/Berlin", "Fri 11 Dec 2026, 17:00 Europe/Berlin", "2026-12-11T17:00"},
		{"UTC", "UTC", "Fri 11 Dec 2026, 16:00 UTC", "2026-12-11T16:00"},
		{"Auckland is the next day", "Pacific/Auckland", "Sat 12 Dec 2026, 05:00 Pacific/Auckland", "2026-12-12T05:00"},
		{"an unknown zone is shown in UTC, named", "Mars/Olympus", "Fri 11 Dec 2026, 16:00 UTC", "2026-12-11T16:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatIn(at, tt.zone); got != tt.want {
				t.Errorf("FormatIn = %q, want %q", got, tt.want)
			}
			if got := LocalValue(at, tt.zone); got != tt.input {
				t.Errorf("LocalValue = %q, want %q", got, tt.input)
			}
		})
	}
	if got := FormatIn(time.Time{}, "UTC"); got != "" {
		t.Errorf("FormatIn(zero) = %q, want \"\"", got)
	}
	// LocalValue and ParseLocal are inverses, across an autumn overlap too.
	for _, s := range []string{"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-03-29T01:00:00Z"} {
		in, _ := time.Parse(time.RFC3339, s)
		v := LocalValue(in, "Europe/Berlin")
		back, err := ParseLocal(v, "Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		// The second 02:30 of an overlap reads back as the first: the
		// form cannot tell them apart, and the earlier is the safe one.
		if !back.Equal(in) && !(s == "2026-10-25T01:30:00Z" && back.Equal(in.Add(-time.Hour))) {
			t.Errorf("%s → %q → %v", s, v, back)
		}
	}
}

func TestParseDate(t *testing.T) {
	d, err := ParseDate("2026-09-01")
	if err != nil || !d.Equal(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseDate = %v, %v", d, err)
	}
	if d, err := ParseDate(""); err != nil || !d.IsZero() {
		t.Errorf("ParseDate(\"\") = %v, %v; want the zero time", d, err)
	}
	for _, bad := range []string{"2026-13-01", "1 Sep 2026", "2026-09-01T10:00"} {
		if _, err := ParseDate(bad); !errors.Is(err, ErrBadTime) {
			t.Errorf("ParseDate(%q) error %v, want ErrBadTime", bad, err)
		}
	}
	if got := FormatDate(d); got != "Tue 1 Sep 2026" {
		t.Errorf("FormatDate = %q", got)
	}
}

func TestZoneAndSlug(t *testing.T) {
	for _, z := range CommonZones {
		if _, err := Zone(z); err != nil {
			t.Errorf("common zone %q: %v", z, err)
		}
	}
	for _, s := range []struct {
		slug string
		ok   bool
	}{{"cs101", true}, {"cs-101-fall", true}, {"9a", true}, {"-cs", false}, {"CS101", false}, {"", false}, {"cs 101", false}, {"a234567890123456789012345678901234567890", true}, {"a2345678901234567890123456789012345678901", false}} {
		if err := CheckSlug(s.slug); (err == nil) != s.ok {
			t.Errorf("CheckSlug(%q) = %v, want ok %v", s.slug, err, s.ok)
		}
	}
}

func TestNewJoinCode(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		c := NewJoinCode()
		if !joinCodeRE.MatchString(c) {
			t.Fatalf("join code %q does not match the schema's pattern", c)
		}
		if seen[c] {
			t.Fatalf("join code %q twice", c)
		}
		seen[c] = true
	}
}

// Zone loads a zone once and hands the same one back; a bad name is not
// kept.
func TestZoneIsLoadedOnce(t *testing.T) {
	a, err := Zone("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := Zone("America/Sao_Paulo"); a != b {
		t.Error("the zone was loaded again")
	}
	if _, err := Zone("Mars/Olympus_Mons"); !errors.Is(err, ErrBadZone) {
		t.Errorf("Zone(Mars/Olympus_Mons) = %v", err)
	}
	if _, ok := zones.Load("Mars/Olympus_Mons"); ok {
		t.Error("a bad zone name was cached")
	}
	if Location("Mars/Olympus_Mons") != time.UTC {
		t.Error("an unknown stored zone does not fall back to UTC")
	}
}
