package handlers

import (
	"strconv"

	"github.com/twelve-course/twelve/views"
)

// reportScope is what an instructor report covers: the whole course
// (courseReports), every student and every attempt, or one class
// (classReports), its student members and the attempts taken in it. The
// report handlers take one, so the course's pages and a class's are the
// same code.
type reportScope struct {
	class int64  // 0: the course
	slug  string // the class's slug
	view  views.ReportScope
}

// courseReports are the course's reports, under /instructor.
var courseReports = reportScope{view: views.ReportScope{Base: "/instructor"}}

// classReports are a class's reports, under /instructor/classes/SLUG.
func classReports(id int64, slug, name string) reportScope {
	return reportScope{class: id, slug: slug, view: views.ReportScope{Class: name, Base: "/instructor/classes/" + slug}}
}

func (s reportScope) studentURL(id int64) string {
	return s.view.Base + "/students/" + strconv.FormatInt(id, 10)
}

// title is a page's title in the scope: "Gradebook", "Gradebook · Class".
func (s reportScope) title(t string) string {
	if s.class == 0 {
		return t
	}
	return t + " · " + s.view.Class
}

// filePrefix starts a download's file name: "twelve-", "twelve-SLUG-".
func (s reportScope) filePrefix() string {
	if s.class == 0 {
		return "twelve-"
	}
	return "twelve-" + s.slug + "-"
}
