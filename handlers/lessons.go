package handlers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/classes"
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
	// shells are the lesson pages rendered once, with holes for the viewer
	// and the live panel (see prerenderLessons).
	shells map[string]*views.Shell
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

// courseOrEmbedded is the course New serves: the one given, or else the
// one embedded in the binary, which the content tests keep valid.
func courseOrEmbedded(c *content.Course) *content.Course {
	if c != nil {
		return c
	}
	c, err := content.Load(content.Embedded())
	if err != nil {
		panic(fmt.Sprintf("handlers: the embedded course is invalid:\n%v", err))
	}
	return c
}

// prerenderLessons renders every lesson page once, at start-up, around its
// per-request parts: the viewer in the header and the live panel. A
// request then writes those bytes and renders only the parts.
func (h *Handler) prerenderLessons() (map[string]*views.Shell, error) {
	shells := map[string]*views.Shell{}
	for slug, v := range h.views.lessons {
		p := h.pageAt(h.views.titles[slug], views.LessonURL(slug))
		p.Description = v.Lesson.Summary
		// What the panel shows around its facts is fixed per lesson.
		v.Panel = h.live.Frame(v.Lesson.Number)
		s, err := views.Prerender(views.LessonPage(p, v))
		if err != nil {
			return nil, fmt.Errorf("handlers: prerender lesson %s: %w", slug, err)
		}
		shells[slug] = s
	}
	return shells, nil
}

// showLesson writes one lesson, prerendered, with the viewer and its
// factor's live panel rendered for this request.
func (h *Handler) showLesson(c *echo.Context) error {
	slug := c.Param("slug")
	shell, ok := h.views.shells[slug]
	if !ok {
		return errNotFound
	}
	facts, at, err := h.live.Lesson(c.Request().Context(), liveRequest(c), h.views.lessons[slug].Lesson.Number)
	if err != nil {
		return err
	}
	return h.renderShell(c, http.StatusOK, shell, views.Fills{
		Page: h.page(c, h.views.titles[slug]), Panel: facts, PanelTime: at,
		QuizCTA: h.quizCTA(c, slug),
	})
}

// quizCTA is the lesson's call to its quiz for the viewer: for a student
// in classes, the quiz's dates in each, from the class directory (no
// database read).
func (h *Handler) quizCTA(c *echo.Context, slug string) views.QuizCTAView {
	v := views.QuizCTAView{Slug: slug}
	id := identityOf(c)
	if id == nil {
		return v
	}
	l, ok := h.views.course.Lesson(slug)
	if !ok {
		return v
	}
	now := time.Now()
	for _, class := range h.classes.StudentClasses(id.UserID) {
		loc := classes.Location(class.TimeZone)
		accs := h.classes.Accommodations(class.ID, id.UserID)
		if cq, _, ok := h.classQuiz(class, l, id.UserID, accs, loc, now); ok {
			v.Classes = append(v.Classes, views.QuizCTAClass{Name: class.Name, Quiz: cq})
		}
	}
	return v
}
