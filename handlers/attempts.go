package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// showAttempt reviews a submitted attempt for its owner, as the quiz's
// review options allow, and for instructors in full.
func (h *Handler) showAttempt(c *echo.Context) error {
	id := c.Param("id")
	if !validUUID(id) {
		return errNotFound
	}
	ctx := c.Request().Context()
	a, responses, err := h.store.Attempt(ctx, id)
	if err != nil {
		return err
	}
	if a.UserID != identityOf(c).UserID {
		// Someone else's attempt: only instructors, with the role checked now.
		return h.requireInstructor(func(c *echo.Context) error { return h.reviewAttempt(c, a, responses, true) })(c)
	}
	return h.reviewAttempt(c, a, responses, false)
}

func (h *Handler) reviewAttempt(c *echo.Context, a store.Attempt, responses []store.Response, asInstructor bool) error {
	ctx := c.Request().Context()
	l, ok := h.views.course.Lesson(a.Quiz)
	if !ok {
		return errNotFound
	}
	version, err := h.quizzes.Version(ctx, a.Version)
	if err != nil {
		return err
	}
	settings := version.Settings
	if current, ok := h.quizzes.Current(a.Quiz); ok {
		settings = current.Settings // policy follows the quiz as it is now
	}
	// The quiz grade is the stored one, as /me and the gradebook show it:
	// graded once at submit, not again here with today's settings.
	grade, err := h.store.GradeOf(ctx, a.UserID, a.Quiz)
	retake := quizPath(a.Quiz)
	if a.ClassID != 0 {
		// An attempt in a class is reviewed by the class's rules, with the
		// student's grade in that class.
		grade, err = h.classGrade(ctx, a)
		if current, ok := h.quizzes.Current(a.Quiz); ok {
			settings = h.classes.Rules(a.ClassID, a.UserID, current).Settings
		}
		if class, ok := h.classes.Class(a.ClassID); ok {
			retake = classQuizPath(a.Quiz, class.Slug)
		}
	}
	if err != nil {
		return err
	}
	vis := settings.Visibility(grade.Passed, grade.Attempts, asInstructor)

	v := views.ReviewView{
		AttemptID: a.ID, Slug: l.Slug, Numeral: l.Numeral, Title: l.Title, AttemptNo: a.AttemptNo,
		Submitted: a.SubmittedAt.UTC().Format("2 Jan 2006, 15:04 UTC"),
		TimeTaken: duration(a.SubmittedAt.Sub(a.StartedAt)),
		ShowScore: vis.Score,
		Score:     fmt.Sprintf("%s / %s", num(a.Score), num(a.MaxScore)),
		Percent:   int(math.Round(100 * a.Fraction())),
		Grade:     percent(grade.Grade), GradeMethod: string(settings.Grading), QuizPassed: grade.Passed,
	}
	if asInstructor {
		v.Student = h.studentName(c, a.UserID)
	}
	if !vis.RightAnswers {
		switch settings.Review.RightAnswers {
		case quiz.ShowAfterPassOrEnd:
			v.Withheld = "Right answers and explanations appear here once you pass this quiz."
		case quiz.ShowAfterEnd:
			v.Withheld = "Right answers and explanations appear here once you have used all your attempts."
		default:
			v.Withheld = "This quiz does not show right answers."
		}
		if vis.ChosenFeedback {
			v.Withheld += " Until then, the options you chose show their feedback."
		}
	}
	if !asInstructor {
		switch left := settings.AttemptsLeft(grade.Attempts); left {
		case 0:
			v.LeftNote = "No attempts left."
		case -1:
			v.RetakeURL = retake
		default:
			v.RetakeURL = retake
			v.LeftNote = plural(left, "attempt left", "attempts left")
		}
	}
	paper := version.Paper(uint64(a.Seed))
	byQuestion := map[string]store.Response{}
	for _, r := range responses {
		byQuestion[r.Question] = r
	}
	for i, it := range paper.Items {
		v.Items = append(v.Items, reviewItem(i+1, it, byQuestion[it.Question.ID], vis))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.ok(c, views.ReviewPage(h.page(c, fmt.Sprintf("Attempt %d: %s", a.AttemptNo, l.Title)), v))
}

func reviewItem(n int, it quiz.Item, r store.Response, vis quiz.Visibility) views.ReviewItem {
	qu := it.Question
	var given quiz.Answer
	_ = json.Unmarshal(r.Answer, &given) // stored by us; an unreadable one shows as unanswered
	item := views.ReviewItem{Number: n, Prompt: qu.Prompt, Points: pointsText(qu.Points)}
	if vis.Correctness {
		switch {
		case !given.Answered():
			item.Status = "unanswered"
		case r.Score >= r.MaxScore-1e-9:
			item.Status = "correct"
		case r.Score > 1e-9:
			item.Status = "partial"
		default:
			item.Status = "incorrect"
		}
	}
	if vis.Score {
		item.Score = num(r.Score) + " / " + num(r.MaxScore)
	}
	for _, o := range it.Options {
		ro := views.ReviewOption{Text: o.Text, Chosen: slices.Contains(given.Choices, o.ID), Right: vis.RightAnswers && o.Correct}
		if (vis.Feedback && (ro.Chosen || ro.Right)) || (vis.ChosenFeedback && ro.Chosen) {
			ro.Feedback = o.Feedback
		}
		item.Options = append(item.Options, ro)
	}
	item.Given = answerText(qu, given)
	if vis.RightAnswers && len(it.Options) == 0 {
		item.Right = answerText(qu, qu.RightAnswer())
		if qu.Type == quiz.Numeric && qu.Tolerance > 0 {
			item.Right += " (± " + num(qu.Tolerance) + ")"
		}
	}
	if vis.Explanations {
		item.Explanation = qu.Explanation
	}
	return item
}

func answerText(qu *quiz.Question, a quiz.Answer) string {
	switch {
	case a.Truth != nil && *a.Truth:
		return "True"
	case a.Truth != nil:
		return "False"
	case a.Number != nil:
		s := num(*a.Number)
		if qu.Unit != "" {
			s += " " + qu.Unit
		}
		return s
	}
	return a.Raw
}

// showMe lists the signed-in student's grades and attempts per lesson.
func (h *Handler) showMe(c *echo.Context) error {
	id := identityOf(c)
	ctx := c.Request().Context()
	attempts, err := h.store.AttemptsOf(ctx, id.UserID, "")
	if err != nil {
		return err
	}
	grades, err := h.store.GradesOf(ctx, id.UserID)
	if err != nil {
		return err
	}
	byQuiz := map[string][]store.Attempt{}
	for _, a := range attempts {
		byQuiz[a.Quiz] = append(byQuiz[a.Quiz], a)
	}
	v := views.MeView{Name: id.Name}
	cs := h.classes.StudentClasses(id.UserID)
	if len(cs) > 0 {
		inClasses, err := h.classGrades(ctx, id.UserID, cs)
		if err != nil {
			return err
		}
		v.Classes = h.myClasses(id.UserID, cs, inClasses, time.Now())
		feed, err := h.feedURL(c, id.UserID)
		if err != nil {
			return err
		}
		v.Calendar = &views.CalendarView{URL: feed, Reset: c.QueryParam("calendar") == "reset"}
	}
	for _, l := range h.views.course.Lessons() {
		q, ok := h.quizzes.Current(l.Slug)
		if !ok {
			continue
		}
		ml := views.MeLesson{Numeral: l.Numeral, Title: l.Title, Slug: l.Slug, Grade: "—", Method: string(q.Settings.Grading),
			QuizURL: quizLink(l.Slug, cs)}
		if g, ok := grades[l.Slug]; ok {
			ml.Grade, ml.Passed = percent(g.Grade), g.Passed
		}
		for _, a := range byQuiz[l.Slug] {
			ma := views.MeAttempt{
				ID: a.ID, No: a.AttemptNo, Score: percent(a.Fraction()), When: a.SubmittedAt.UTC().Format("2 Jan 15:04"),
				Late: a.Late,
			}
			if a.ClassID != 0 {
				if cl, ok := h.classes.Class(a.ClassID); ok {
					ma.Class = cl.Name
				}
			}
			if a.Penalty > 0 {
				ma.Penalty = percent(a.Penalty) + " off for lateness: " + percent(a.Credited())
			}
			ml.Attempts = append(ml.Attempts, ma)
		}
		if ml.Passed {
			v.Passed++
		}
		v.Total++
		v.Lessons = append(v.Lessons, ml)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.ok(c, views.MePage(h.page(c, "My progress"), v))
}

// quizLink is the link that starts a lesson's quiz for a student in
// classes cs: in their class when they have exactly one; otherwise the
// plain one (the start asks a student in several which class).
func quizLink(slug string, cs []store.Class) string {
	if len(cs) == 1 {
		return views.ClassQuizURL(slug, cs[0].Slug)
	}
	return views.QuizURL(slug)
}

// studentName names a student for an instructor's review page.
func (h *Handler) studentName(c *echo.Context, userID int64) string {
	u, err := h.store.UserByID(c.Request().Context(), userID)
	if err != nil {
		return "student #" + strconv.FormatInt(userID, 10)
	}
	if u.Email != "" {
		return u.Name + " <" + u.Email + ">"
	}
	return u.Name
}

// validUUID accepts an attempt id in the one form this site writes it.
func validUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

func num(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }

func percent(f float64) string { return strconv.Itoa(int(math.Round(f*100))) + "%" }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func duration(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int(d.Seconds())) + " s"
	}
	return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
}

// classGrade is the student's grade in the class of attempt a.
func (h *Handler) classGrade(ctx context.Context, a store.Attempt) (store.Grade, error) {
	gs, err := h.store.ClassGradesOf(ctx, a.ClassID, a.UserID)
	if err != nil {
		return store.Grade{}, err
	}
	g, ok := gs[a.Quiz]
	if !ok {
		return store.Grade{}, store.ErrNotFound
	}
	return g, nil
}
