package handlers

import (
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/views"
)

// showQuizStatistics is a quiz's item statistics over the course's attempts.
func (h *Handler) showQuizStatistics(c *echo.Context) error {
	return h.quizStatistics(c, courseReports, c.Param("slug"))
}

// quizStatistics is a quiz's item statistics (Moodle's classical test
// theory set) over a scope's first attempts, or all its attempts with
// ?attempts=all.
func (h *Handler) quizStatistics(c *echo.Context, scope reportScope, slug string) error {
	l, ok := h.views.course.Lesson(slug)
	if !ok {
		return errNotFound
	}
	q, ok := h.quizzes.Current(slug)
	if !ok {
		return errNotFound
	}
	var all bool
	switch c.QueryParam("attempts") {
	case "", "first":
	case "all":
		all = true
	default:
		return badRequest("Item statistics count “first” attempts or “all” attempts.")
	}
	tally := quiz.NewTally()
	err := h.store.EachScoredAttemptIn(c.Request().Context(), scope.class, slug, all, func(a quiz.ScoredAttempt) error {
		tally.Add(a)
		return nil
	})
	if err != nil {
		return err
	}
	s := tally.Stats()
	t := s.Test
	base := scope.view.QuizURL(slug)
	v := views.StatsView{
		Scope:   scope.view,
		Numeral: l.Numeral, Title: l.Title, Slug: slug, All: all,
		FirstURL: base, AllURL: base + "?attempts=all",
		Attempts: plural(t.Attempts, "attempt", "attempts"),
		Slots:    strconv.Itoa(max(t.Slots, q.Settings.Draw)), Draw: strconv.Itoa(q.Settings.Draw), Bank: strconv.Itoa(len(q.Questions)),
		Test: []views.StatFact{
			{Key: "attempts", Label: "Attempts", Value: count(t.Attempts)},
			{Key: "mean", Label: "Mean score", Value: pct2(t.Mean)},
			{Key: "median", Label: "Median score", Value: pct2(t.Median)},
			{Key: "sd", Label: "Standard deviation", Value: pct2(t.SD)},
			{Key: "skewness", Label: "Skewness", Value: fixed(t.Skewness, 4), Help: "(negative: most scores are high, with a tail of low ones)"},
			{Key: "kurtosis", Label: "Kurtosis", Value: fixed(t.Kurtosis, 4), Help: "(excess: 0 for a normal curve)"},
			{Key: "cic", Label: "Coefficient of internal consistency", Value: pct2(t.CIC), Help: "(over the paper's positions; above 75% is good for a quiz)"},
			{Key: "error-ratio", Label: "Error ratio", Value: pct2(t.ErrorRatio), Help: "(the share of the spread that is noise)"},
			{Key: "se", Label: "Standard error", Value: pct2(t.SE)},
		},
		Chart: views.BarChart{ID: "scores", Title: "Attempts by score",
			Desc: "Bar chart: how many attempts scored in each band, from 0% to full marks. The table below lists the same numbers."},
	}
	for i, b := range t.Bands {
		last := i == len(t.Bands)-1
		label := strconv.FormatFloat(math.Round(b.From*10)/10, 'f', -1, 64) + "%"
		v.Chart.Bars = append(v.Chart.Bars, views.Bar{Label: label, Value: float64(b.Attempts), Text: count(b.Attempts), Hint: scoreBand(b, last)})
		v.Bands = append(v.Bands, views.BandRow{Label: scoreBand(b, last), Count: count(b.Attempts), Fraction: share(b.Attempts, t.Attempts)})
	}
	byID := map[string]quiz.QuestionStats{}
	for _, qs := range s.Questions {
		byID[qs.ID] = qs
	}
	n := 0
	for i := range q.Questions {
		qu := &q.Questions[i]
		qs, ok := byID[qu.ID]
		if !ok {
			qs = quiz.QuestionStats{ID: qu.ID, Facility: math.NaN(), SD: math.NaN(), Discrimination: math.NaN(), Efficiency: math.NaN()}
		}
		delete(byID, qu.ID)
		n++
		v.Questions = append(v.Questions, questionRow(n, qu, qs))
	}
	for _, qs := range s.Questions { // answered on an older version of the bank
		if _, ok := byID[qs.ID]; ok {
			n++
			row := questionRow(n, nil, qs)
			row.Retired = true
			v.Questions = append(v.Questions, row)
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.ok(c, views.StatisticsPage(h.page(c, scope.title("Item statistics: "+l.Title)), v))
}

// questionRow presents one question's statistics; qu is nil for a question
// no longer in the bank.
func questionRow(n int, qu *quiz.Question, qs quiz.QuestionStats) views.QuestionRow {
	r := views.QuestionRow{
		Number: n, ID: qs.ID, Attempts: count(qs.Attempts), AttemptsText: plural(qs.Attempts, "attempt", "attempts"),
		Facility: pct2(qs.Facility), SD: pct2(qs.SD),
		Discrimination: pct2(qs.Discrimination), Efficiency: pct2(qs.Efficiency),
		Flag: qs.Flag(),
	}
	optionRow := func(id, text string, correct bool) views.OptionRow {
		k := qs.Chosen[id]
		return views.OptionRow{Text: text, Correct: correct, Count: count(k), Percent: share(k, qs.Attempts)}
	}
	seen := map[string]bool{}
	if qu != nil {
		r.Prompt, r.Type = qu.Prompt, string(qu.Type)
		switch qu.Type {
		case quiz.Single, quiz.Multiple:
			for _, o := range qu.Options {
				seen[o.ID] = true
				r.Options = append(r.Options, optionRow(o.ID, o.Text, o.Correct))
			}
			r.NoChoice = count(qs.NoChoice)
		case quiz.TrueFalse:
			seen["true"], seen["false"] = true, true
			r.Options = append(r.Options, optionRow("true", "True", qu.Truth), optionRow("false", "False", !qu.Truth))
			r.NoChoice = count(qs.NoChoice)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(qs.Chosen)) {
		if !seen[id] {
			r.Options = append(r.Options, optionRow(id, "option “"+id+"” (no longer offered)", false))
		}
	}
	return r
}

func scoreBand(b quiz.Band, last bool) string {
	f := func(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }
	if last && b.From == b.To {
		return "full marks (" + f(b.To) + "%)"
	}
	return f(b.From) + "% to under " + f(b.To) + "%"
}

// pct2 is a percentage with two decimals, or "—" when undefined.
func pct2(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return strconv.FormatFloat(f, 'f', 2, 64) + "%"
}

// fixed is a number with n decimals, or "—" when undefined.
func fixed(f float64, n int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return strconv.FormatFloat(f, 'f', n, 64)
}
