package classes

import "time"

// FormatIn writes t in the time zone named zone, with the zone's name
// after it ("Fri 11 Dec 2026, 17:00 Europe/Berlin"). An unknown zone
// writes UTC.
func FormatIn(t time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc, zone = time.UTC, "UTC"
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04") + " " + zone
}
