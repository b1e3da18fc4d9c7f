package handlers

import (
	"strconv"
	"time"

	"github.com/twelve-course/twelve/quiz"
)

// A class's dates are shown to its students in the class's time zone,
// with the zone's name beside them, so that "17:00" means one moment to a
// student abroad and to their instructor alike.

// dayNumber counts days in loc's calendar, so that two times of the same
// local date have the same number.
func dayNumber(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// dueIn says how far now is from due, as a student reads it: "due today
// at 17:00", "due tomorrow at 09:00", "due in 3 days", or, once past,
// "overdue by 2 days" (every started day counting, as the late penalty
// counts them).
func dueIn(due, now time.Time, loc *time.Location) string {
	if now.After(due) {
		return "overdue by " + plural(quiz.DaysLate(due, now), "day", "days")
	}
	at := due.In(loc).Format("15:04")
	switch days := dayNumber(due, loc) - dayNumber(now, loc); days {
	case 0:
		return "due today at " + at
	case 1:
		return "due tomorrow at " + at
	default:
		return "due in " + strconv.Itoa(days) + " days"
	}
}

// classDates are a class's start and end dates, "7 Sep – 18 Dec 2026";
// "" when it has neither. The dates are days, stored as midnight UTC.
func classDates(starts, ends time.Time) string {
	const full = "2 Jan 2006"
	switch {
	case starts.IsZero() && ends.IsZero():
		return ""
	case ends.IsZero():
		return "from " + starts.UTC().Format(full)
	case starts.IsZero():
		return "until " + ends.UTC().Format(full)
	case starts.Year() == ends.Year():
		return starts.UTC().Format("2 Jan") + " – " + ends.UTC().Format(full)
	}
	return starts.UTC().Format(full) + " – " + ends.UTC().Format(full)
}

// factorText is a time factor as people write it: "1.5×", "2×".
func factorText(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64) + "×"
}
