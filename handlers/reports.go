package handlers

import (
	"math"
	"strconv"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// showOverview is the course's cohort overview.
func (h *Handler) showOverview(c *echo.Context) error {
	v, err := h.overview(c, courseReports)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.ok(c, views.OverviewPage(h.page(c, "Course overview"), v))
}

// overview is a scope's cohort overview: students, attempts, pass rate and
// average graded score per lesson, from its grades. A class's page may show
// it (views.OverviewPage renders it for the course).
func (h *Handler) overview(c *echo.Context, scope reportScope) (views.OverviewView, error) {
	byQuiz, cohort, err := h.store.OverviewIn(c.Request().Context(), scope.class)
	if err != nil {
		return views.OverviewView{}, err
	}
	v := views.OverviewView{
		Scope:     scope.view,
		Students:  count(cohort.Students),
		Active:    count(cohort.Active),
		Completed: count(cohort.Completed),
		MeanTotal: "—",
		PassChart: views.BarChart{ID: "pass-rate", Title: "Pass rate by lesson", Max: 100, Unit: "%",
			Desc: "Bar chart: the share of students with an attempt whose graded score passes, for each of the twelve lessons. The table below lists the same numbers."},
		MeanChart: views.BarChart{ID: "mean-grade", Title: "Average graded score by lesson", Max: 100, Unit: "%",
			Desc: "Bar chart: the mean graded score of students with an attempt, for each of the twelve lessons. The table below lists the same numbers."},
		TotalChart: views.BarChart{ID: "totals", Title: "Students by course total",
			Desc: "Bar chart: how many students with at least one attempt have a course total in each tenth from 0% to 100%. The table below lists the same numbers."},
	}
	if cohort.Active > 0 {
		v.MeanTotal = percent(cohort.MeanTotal)
	}
	for _, l := range h.views.course.Lessons() {
		ol := views.OverviewLesson{Numeral: l.Numeral, Title: l.Title, Slug: l.Slug, Students: "0", Attempts: "0", Passed: "0", PassRate: "—", Mean: "—"}
		if q, ok := h.quizzes.Current(l.Slug); ok {
			ol.Method = string(q.Settings.Grading)
		}
		var rate, mean float64
		if s, ok := byQuiz[l.Slug]; ok && s.Students > 0 {
			rate, mean = float64(s.Passed)/float64(s.Students), s.Mean
			ol.Students, ol.Attempts, ol.Passed = count(s.Students), count(s.Attempts), count(s.Passed)
			ol.PassRate, ol.Mean = percent(rate), percent(mean)
		}
		v.Lessons = append(v.Lessons, ol)
		v.PassChart.Bars = append(v.PassChart.Bars, views.Bar{Label: l.Numeral, Value: 100 * rate, Text: ol.PassRate, Hint: l.Title})
		v.MeanChart.Bars = append(v.MeanChart.Bars, views.Bar{Label: l.Numeral, Value: 100 * mean, Text: ol.Mean, Hint: l.Title})
	}
	for i, n := range cohort.TotalBands {
		label := strconv.Itoa(10*i) + "–" + strconv.Itoa(10*i+10) + "%"
		v.TotalChart.Bars = append(v.TotalChart.Bars, views.Bar{Label: strconv.Itoa(10*i) + "%", Value: float64(n), Text: count(n), Hint: label})
		v.TotalBands = append(v.TotalBands, views.BandRow{Label: bandLabel(10*float64(i), 10*float64(i+1), i == len(cohort.TotalBands)-1), Count: count(n), Fraction: share(n, cohort.Active)})
	}
	return v, nil
}

// showStudent is one student's record in the course.
func (h *Handler) showStudent(c *echo.Context) error {
	return h.studentPage(c, courseReports)
}

// studentPage is one student's record for instructors, in a scope: grades
// and every attempt, each linking to its review. In a class, only its
// students have one (404 for anyone else), with the grades and attempts of
// the class.
func (h *Handler) studentPage(c *echo.Context, scope reportScope) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	ctx := c.Request().Context()
	row, err := h.store.GradebookRowIn(ctx, scope.class, id)
	if err != nil {
		return err
	}
	u, err := h.store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	var attempts []store.Attempt
	var grades map[string]store.Grade
	if scope.class == 0 {
		attempts, err = h.store.AttemptsOf(ctx, id, "")
		if err == nil {
			grades, err = h.store.GradesOf(ctx, id)
		}
	} else {
		attempts, err = h.store.ClassAttemptsOf(ctx, scope.class, id)
		if err == nil {
			grades, err = h.store.ClassGradesOf(ctx, scope.class, id)
		}
	}
	if err != nil {
		return err
	}
	byQuiz := map[string][]store.Attempt{}
	for _, a := range attempts {
		byQuiz[a.Quiz] = append(byQuiz[a.Quiz], a)
	}
	n := len(attempts)
	v := views.StudentView{
		Scope: scope.view,
		Name:  orUnnamed(u.Name), Email: u.Email, Since: u.CreatedAt.UTC().Format("2 Jan 2006"),
		Total: percent(row.Total), Attempts: n,
	}
	passes := 0
	for _, l := range h.views.course.Lessons() {
		sl := views.StudentLesson{Numeral: l.Numeral, Title: l.Title, Slug: l.Slug, Grade: "—"}
		if q, ok := h.quizzes.Current(l.Slug); ok {
			sl.Method = string(q.Settings.Grading)
		}
		if set, ok := h.classes.Setting(scope.class, l.Slug); ok && scope.class != 0 && set.Grading != nil {
			sl.Method = string(*set.Grading) // the class's own
		}
		if g, ok := grades[l.Slug]; ok {
			sl.Grade, sl.Passed = percent(g.Grade), g.Passed
			if g.Passed {
				passes++
			}
		}
		for _, a := range byQuiz[l.Slug] {
			sa := views.StudentAttempt{
				ReviewURL: "/attempts/" + a.ID, No: strconv.Itoa(a.AttemptNo),
				Score:     num(a.Score) + " / " + num(a.MaxScore) + " (" + percent(a.Fraction()) + ")",
				TimeTaken: duration(a.SubmittedAt.Sub(a.StartedAt)),
				Submitted: a.SubmittedAt.UTC().Format("2 Jan 2006, 15:04 UTC"),
			}
			switch {
			case a.Late && a.Penalty > 0:
				sa.Late = "late, −" + percent(a.Penalty)
			case a.Late:
				sa.Late = "late"
			}
			sl.Attempts = append(sl.Attempts, sa)
		}
		v.Lessons = append(v.Lessons, sl)
	}
	v.Passes = strconv.Itoa(passes) + " of " + strconv.Itoa(len(v.Lessons))
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.ok(c, views.StudentPage(h.page(c, scope.title(v.Name)), v))
}

func orUnnamed(name string) string {
	if name == "" {
		return "(no name)"
	}
	return name
}

// count formats a whole number with thin groups: 100000 → "100 000".
func count(n int) string {
	s := strconv.Itoa(n)
	if n < 10000 {
		return s
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, "\u202f"...)
		}
		out = append(out, s[i])
	}
	return string(out)
}

// share is n of total as a percentage with one decimal, or "—".
func share(n, total int) string {
	if total == 0 {
		return "—"
	}
	return strconv.FormatFloat(math.Round(1000*float64(n)/float64(total))/10, 'f', 1, 64) + "%"
}

// bandLabel names a band of percentages; the last band includes its top.
func bandLabel(from, to float64, last bool) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	if last {
		return f(from) + "% to " + f(to) + "%"
	}
	return f(from) + "% to under " + f(to) + "%"
}
