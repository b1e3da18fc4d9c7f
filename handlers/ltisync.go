package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/live"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// workerWindow is how recent a worker's heartbeat must be for the LMS page
// not to warn that none runs (three of its beats).
const workerWindow = 30 * time.Second

var errNotLMSClass = &Error{Status: http.StatusNotFound, Heading: "This class is not an LMS course",
	Message: "Only a class made by launching Twelve from an LMS sends its grades to the LMS."}

// lmsStatusLabels say a sync status in words.
var lmsStatusLabels = map[string]string{
	store.LTIScoreSent:    "sent",
	store.LTIScorePending: "waiting to be sent",
	store.LTIScoreFailed:  "refused",
}

// showLMSSync lists whether each student's quiz grades reached the LMS
// gradebook: sent (with the grade and when), waiting, or refused with the
// LMS's reason.
func (h *Handler) showLMSSync(c *echo.Context) error {
	a := classOf(c)
	ctx := c.Request().Context()
	if err := h.requireLMSClass(c, a); err != nil {
		return err
	}
	scores, err := h.store.LTIScores(ctx, a.Class.ID)
	if err != nil {
		return err
	}
	running, err := h.store.WorkerRunning(ctx, workerWindow)
	if err != nil {
		return err
	}
	v := views.LMSSyncView{Header: h.classHeader(a, "lms")}
	v.Header.LMS = true
	if !running {
		v.NoWorker = live.NoWorkerWarning
	}
	if c.QueryParam("done") == "retried" {
		n, _ := strconv.Atoi(c.QueryParam("n"))
		v.Notice = plural(max(n, 0), "refused grade is", "refused grades are") + " waiting to be sent again."
	}
	loc := classes.Location(a.Class.TimeZone)
	for _, s := range scores {
		v.Rows = append(v.Rows, h.lmsSyncRow(s, loc))
		switch s.Status {
		case store.LTIScoreSent:
			v.Sent++
		case store.LTIScorePending:
			v.Pending++
		case store.LTIScoreFailed:
			v.Failed++
		}
	}
	v.CanRetry = a.Manage() && v.Failed > 0
	if a.Manage() {
		v.RosterURL = classURL(a.Class.Slug) + "/lms/roster" // syncLTIRoster
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.render(c, http.StatusOK, views.LMSSyncPage(h.page(c, "LMS grades: "+a.Class.Name), v))
}

func (h *Handler) lmsSyncRow(s store.LTIScore, loc *time.Location) views.LMSSyncRow {
	r := views.LMSSyncRow{
		Student: orUnnamed(s.Name), Email: s.Email, Quiz: s.Quiz, Status: s.Status, Label: lmsStatusLabels[s.Status],
		Grade: "—", GradedAt: classes.FormatAt(s.GradedAt, loc), SentAt: "—", Detail: s.Error,
	}
	if l, ok := h.views.course.Lesson(s.Quiz); ok {
		r.Quiz = l.Numeral + ". " + l.Title
	}
	if s.Grade != nil {
		r.Grade = percent(*s.Grade)
	}
	if s.SentAt != nil {
		r.SentAt = classes.FormatAt(*s.SentAt, loc)
	}
	if s.Status == store.LTIScorePending && s.Error != "" {
		r.Detail = "tried " + plural(s.Tries, "time", "times") + "; last: " + s.Error
	}
	return r
}

// retryLMSSync sends a class's refused grades again (after the LMS was
// fixed): they wait for a worker like new ones.
func (h *Handler) retryLMSSync(c *echo.Context) error {
	a := classOf(c)
	if err := h.requireLMSClass(c, a); err != nil {
		return err
	}
	n, err := h.store.RetryLTIScores(c.Request().Context(), a.Class.ID)
	if err != nil {
		return err
	}
	h.logger.InfoContext(c.Request().Context(), "lms grades retried", "class_id", a.Class.ID, "grades", n, "user_id", identityOf(c).UserID)
	return c.Redirect(http.StatusSeeOther, classURL(a.Class.Slug)+"/lms?done=retried&n="+strconv.Itoa(n))
}

// requireLMSClass answers 404 for a class that is no LMS course.
func (h *Handler) requireLMSClass(c *echo.Context, a classAccess) error {
	ok, err := h.store.LTIClass(c.Request().Context(), a.Class.ID)
	if err != nil {
		return err
	}
	if !ok {
		return errNotLMSClass
	}
	return nil
}
