package handlers

import (
	"github.com/a-h/templ"
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/views"
)

// courseViews holds what the course pages show that never changes within
// a process, prepared once in New so a lesson request only adds its panel.
type courseViews struct {
	course  *content.Course
	items   []views.LessonItem
	lessons map[string]views.LessonView
	titles  map[string]string // slug → page title
}

func newCourseViews(course *content.Course) courseViews {
	cv := courseViews{course: course, lessons: map[string]views.LessonView{}, titles: map[string]string{}}
	for _, l := range course.Lessons() {
		cv.items = append(cv.items, lessonItem(l))
	}
	for i, l := range course.Lessons() {
		v := views.LessonView{
			Lesson: cv.items[i],
			TOC:    nestTOC(l.TOC),
			// The body is trusted HTML: content.Load rendered it from the
			// Markdown embedded in this binary, with raw HTML refused. This is
			// the one place templ.Raw is used; never for anything a user sent.
			Body: templ.Raw(l.HTML),
		}
		if i > 0 {
			v.Prev = &cv.items[i-1]
		}
		if i+1 < len(cv.items) {
			v.Next = &cv.items[i+1]
		}
		cv.lessons[l.Slug] = v
		cv.titles[l.Slug] = l.Numeral + ". " + l.Title
	}
	return cv
}

func lessonItem(l *content.Lesson) views.LessonItem {
	return views.LessonItem{
		Number: l.Number, Numeral: l.Numeral, Slug: l.Slug,
		Title: l.Title, Summary: l.Summary, Minutes: l.Minutes,
	}
}

// nestTOC turns the flat h2/h3 list into h2 entries holding their h3s.
func nestTOC(hs []content.Heading) []views.TOCEntry {
	var toc []views.TOCEntry
	for _, h := range hs {
		e := views.TOCEntry{ID: h.ID, Text: h.Text}
		if h.Level == 3 && len(toc) > 0 {
			last := &toc[len(toc)-1]
			last.Children = append(last.Children, e)
			continue
		}
		toc = append(toc, e)
	}
	return toc
}

// showLesson renders one lesson with its factor's live panel.
func (h *Handler) showLesson(c *echo.Context) error {
	slug := c.Param("slug")
	v, ok := h.views.lessons[slug]
	if !ok {
		return errNotFound
	}
	v.Panel = h.livePanels(c, v.Lesson.Number)[0]
	p := h.page(c, h.views.titles[slug])
	p.Description = v.Lesson.Summary
	return h.ok(c, views.LessonPage(p, v))
}
