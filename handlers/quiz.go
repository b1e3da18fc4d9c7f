package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/classes"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// Pages for attempts that cannot be used. Each says what happened; none
// writes anything.
var (
	errTokenBad = &Error{Status: http.StatusBadRequest, Heading: "This quiz form cannot be used",
		Message: "The form was changed or did not come from this site, so nothing was saved. Open the quiz again to start a fresh attempt."}
	errTokenExpired = &Error{Status: http.StatusGone, Heading: "This attempt has expired",
		Message: "Attempts stay open for 14 days and this one is older, so nothing was saved. Open the quiz again to start a fresh attempt."}
	errTokenNotYours = &Error{Status: http.StatusForbidden, Heading: "This attempt belongs to another account",
		Message: "The quiz was started while someone else was signed in, so nothing was saved. Open the quiz again to start an attempt of your own."}
	errForeignAnswer = &Error{Status: http.StatusBadRequest, Heading: "These answers do not fit this attempt",
		Message: "The form answered a question or chose an option that is not part of this attempt, so nothing was saved. Open the quiz again and submit from the page."}
	errAttemptLimit = &Error{Status: http.StatusConflict, Heading: "No attempts left",
		Message: "You have used every attempt this quiz allows, so this one was not saved. Your graded result is on My progress."}
	errNoAttemptLeft = &Error{Status: http.StatusConflict, Heading: "No attempts left",
		Message: "You have started every attempt this quiz allows; an attempt whose time ran out counts as used. Your graded result is on My progress."}
)

func errLate(deadline time.Time) error {
	return &Error{Status: http.StatusConflict, Heading: "Time is up for this attempt",
		Message: fmt.Sprintf("This attempt had to be submitted by %s (with a short grace period), so it was not saved. Open the quiz again to start a new attempt.", deadline.UTC().Format("15:04 UTC on 2 Jan"))}
}

// lessonQuiz finds the lesson and its quiz for a :slug route.
func (h *Handler) lessonQuiz(c *echo.Context) (*content.Lesson, *quiz.Quiz, error) {
	slug := c.Param("slug")
	l, ok := h.views.course.Lesson(slug)
	if !ok {
		return nil, nil, errNotFound
	}
	q, ok := h.quizzes.Current(slug)
	if !ok {
		return nil, nil, errNotFound
	}
	return l, q, nil
}

func quizPath(slug string) string { return "/lessons/" + slug + "/quiz" }

// startQuiz shows an attempt's form. The first visit gets an attempt token
// and is redirected to the form's own address, so a reload shows the same
// questions and the browser's saved draft fits them. Starting a quiz with
// neither an attempt limit nor a time limit writes nothing and reads no
// database; starting one with either is recorded once (beginAttempt).
func (h *Handler) startQuiz(c *echo.Context) error {
	l, q, err := h.lessonQuiz(c)
	if err != nil {
		return err
	}
	id := identityOf(c)
	now := time.Now()
	raw := c.QueryParam("attempt")
	tok, err := h.tokens.Decode(raw, now)
	if raw == "" || err != nil || tok.UserID != id.UserID || tok.Quiz != q.Slug || q.Settings.Late(tok.Deadline, now) {
		if !h.classes.Loaded() {
			return errClassesLoading
		}
		class, answered, err := h.attemptClass(c, l, id.UserID)
		if err != nil || answered {
			return err
		}
		rules := h.classes.Rules(class.ID, id.UserID, q)
		if err := rules.CanStart(now); err != nil {
			return quizDatesError(err, class)
		}
		fresh, err := h.beginAttempt(c, q, rules, id.UserID, now)
		if err != nil {
			return err
		}
		encoded, err := h.tokens.Encode(fresh)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.Redirect(http.StatusSeeOther, quizPath(q.Slug)+"?attempt="+url.QueryEscape(encoded))
	}
	note, reviewID, err := h.attemptNote(c, q, tok)
	if err != nil {
		return err
	}
	if reviewID != "" {
		return c.Redirect(http.StatusSeeOther, "/attempts/"+reviewID)
	}
	version, err := h.quizzes.Version(c.Request().Context(), tok.Version)
	if err != nil {
		return err
	}
	v := h.quizView(l, version, tok, raw, nil, nil)
	v.AttemptNote = note
	return h.renderQuiz(c, http.StatusOK, l, v)
}

// beginAttempt is the token a start gets. A quiz with neither an attempt
// limit nor a time limit gets a fresh one and nothing is written. A quiz
// with either gets the student's open attempt — the same id, paper and
// deadline on every start until it is submitted or expires — or a new one,
// recorded once, while attempts are left: so starting again can neither
// preview more of the bank nor reset the clock.
//
// In a class, the rules are the class's (classes.Resolve) and the token
// carries them (classes.Rules.Token).
func (h *Handler) beginAttempt(c *echo.Context, q *quiz.Quiz, rules classes.Rules, userID int64, now time.Time) (quiz.Token, error) {
	if !rules.Settings.StartCounts() {
		return rules.Token(quiz.NewToken(q, userID, now)), nil
	}
	body, err := q.Body()
	if err != nil {
		return quiz.Token{}, err
	}
	ctx := c.Request().Context()
	tok, created, err := h.store.StartAttempt(ctx, store.NewStart{
		UserID: userID, Quiz: q.Slug, ClassID: rules.Class, Settings: rules.Settings, Now: now, VersionBody: body,
		Make: func(no int) quiz.Token { return rules.Token(h.tokens.StartToken(q, userID, no, now)) },
	})
	switch {
	case errors.Is(err, store.ErrAttemptLimit):
		return quiz.Token{}, errNoAttemptLeft
	case err != nil:
		return quiz.Token{}, err
	}
	if created {
		h.logger.InfoContext(ctx, "attempt started", "attempt_id", tok.AttemptID, "quiz", q.Slug, "user_id", userID, "attempt_no", tok.No, "class_id", rules.Class)
	}
	return tok, nil
}

// attemptNote says which attempt this is, when the quiz limits attempts;
// only then does showing the form read the database. An attempt already
// submitted (the back button after submitting) gives its id instead, for
// its review.
func (h *Handler) attemptNote(c *echo.Context, q *quiz.Quiz, tok quiz.Token) (note, reviewID string, err error) {
	limit := q.Settings.AttemptLimit
	if tok.Class != 0 {
		limit = tok.Limit
	}
	if limit <= 0 {
		return "", "", nil
	}
	all, err := h.store.AttemptsOf(c.Request().Context(), tok.UserID, q.Slug)
	if err != nil {
		return "", "", err
	}
	var as []store.Attempt // this class's
	for _, a := range all {
		if a.ClassID == tok.Class {
			as = append(as, a)
		}
	}
	for _, a := range as {
		if a.ID == tok.AttemptID {
			return "", a.ID, nil
		}
	}
	no := tok.No
	if no == 0 { // a start that was not recorded: the next number, if any
		if limit-len(as) <= 0 {
			return "", "", errNoAttemptLeft
		}
		no = len(as) + 1
	}
	if no > limit {
		return "", "", errNoAttemptLeft
	}
	return fmt.Sprintf("attempt %d of %d", no, limit), "", nil
}

// submitAttempt grades an attempt against the version its student saw and
// stores it with every response in one transaction, idempotent on the
// attempt id: a double click or a retry stores one attempt and shows it.
func (h *Handler) submitAttempt(c *echo.Context) error {
	l, q, err := h.lessonQuiz(c)
	if err != nil {
		return err
	}
	form, err := c.FormValues()
	if err != nil {
		return badRequest("The form could not be read, so nothing was saved. Go back and submit it again.")
	}
	now := time.Now()
	raw := form.Get("attempt")
	tok, err := h.tokens.Decode(raw, now)
	switch {
	case errors.Is(err, quiz.ErrExpiredToken):
		return errTokenExpired
	case err != nil || tok.Quiz != q.Slug:
		return errTokenBad
	}
	version, err := h.quizzes.Version(c.Request().Context(), tok.Version)
	if errors.Is(err, store.ErrNotFound) {
		return errTokenBad
	}
	if err != nil {
		return err
	}
	paper := version.Paper(tok.Seed)
	answers, err := quiz.DecodeAnswers(paper, form)
	var fixable quiz.AnswerErrors
	switch {
	case errors.As(err, &fixable):
		v := h.quizView(l, version, tok, raw, answers.Form(), fixable)
		overlay(&v, form)
		return h.renderQuiz(c, http.StatusUnprocessableEntity, l, v)
	case err != nil:
		return errForeignAnswer
	}

	id := identityOf(c)
	if id == nil {
		return h.holdForSignIn(c, l, version, tok, raw, answers)
	}
	if tok.UserID != id.UserID {
		return errTokenNotYours
	}
	if q.Settings.Late(tok.Deadline, now) {
		return errLate(tok.Deadline)
	}
	settings := q.Settings
	if tok.Class != 0 {
		if !h.classes.Loaded() {
			return errClassesLoading
		}
		// The class's rules as they are now, but the limit its token holds.
		settings = h.classes.Rules(tok.Class, tok.UserID, q).Settings
		settings.AttemptLimit = tok.Limit
		if err := classes.CanSubmit(tok, settings.Grace, now); err != nil {
			class, _ := h.classes.Class(tok.Class)
			return quizDatesError(err, class)
		}
	}
	result := quiz.Grade(paper, answers)
	na, err := newAttempt(tok, version, result)
	if err != nil {
		return err
	}
	na.ClassID, na.CourseSettings = tok.Class, q.Settings
	na.Late, na.Penalty = classes.Lateness(tok, now)
	stored, created, err := h.store.SaveAttempt(c.Request().Context(), na, settings)
	switch {
	case errors.Is(err, store.ErrAttemptLimit):
		return errAttemptLimit
	case errors.Is(err, store.ErrNotYours):
		return errTokenNotYours
	case errors.Is(err, store.ErrStartMismatch):
		return errTokenBad
	case err != nil:
		return err
	}
	h.clearCookie(c, pendingCookie, quizPath(q.Slug))
	h.logger.InfoContext(c.Request().Context(), "attempt submitted", "attempt_id", stored.ID, "quiz", q.Slug, "user_id", id.UserID,
		"created", created, "score", stored.Score, "max_score", stored.MaxScore, "class_id", tok.Class, "late", na.Late)
	return c.Redirect(http.StatusSeeOther, "/attempts/"+stored.ID)
}

// newAttempt is the row to store for a graded attempt.
func newAttempt(tok quiz.Token, version *quiz.Quiz, r quiz.Result) (store.NewAttempt, error) {
	body, err := version.Body()
	if err != nil {
		return store.NewAttempt{}, err
	}
	na := store.NewAttempt{
		Attempt: store.Attempt{
			ID: tok.AttemptID, UserID: tok.UserID, Quiz: tok.Quiz, Version: tok.Version,
			Seed: int64(tok.Seed), StartedAt: tok.Started, Score: r.Score, MaxScore: r.Max,
		},
		VersionBody: body,
		StartNo:     tok.No,
		Deadline:    tok.Deadline,
		Rules:       store.RulesOf(tok),
	}
	for i, it := range r.Items {
		answer, err := json.Marshal(it.Answer)
		if err != nil {
			return store.NewAttempt{}, err
		}
		na.Responses = append(na.Responses, store.Response{
			Position: i, Question: it.QuestionID, Answer: answer, Score: it.Score, MaxScore: it.Max,
		})
	}
	return na, nil
}

// quizView builds the form for tok, filled with values when given.
func (h *Handler) quizView(l *content.Lesson, version *quiz.Quiz, tok quiz.Token, raw string, values url.Values, errs quiz.AnswerErrors) views.QuizView {
	paper := version.Paper(tok.Seed)
	v := views.QuizView{
		Slug: l.Slug, Numeral: l.Numeral, Title: l.Title,
		Action: quizPath(l.Slug), Token: raw, AttemptID: tok.AttemptID,
		PassMark:     int(version.Settings.PassMark*100 + 0.5),
		RestoreDraft: values == nil,
	}
	if tok.Class != 0 {
		// The pass mark is the class's rules', as the submit grades by.
		if q, ok := h.quizzes.Current(l.Slug); ok {
			v.PassMark = int(h.classes.Rules(tok.Class, tok.UserID, q).Settings.PassMark*100 + 0.5)
		}
		if class, ok := h.classes.Class(tok.Class); ok {
			v.ClassDates = classDatesLine(class, tok)
		}
	}
	if !tok.Deadline.IsZero() {
		v.Deadline = tok.Deadline.UTC().Format("15:04 UTC")
		// The attempt's own time, extra time included: what its token
		// allows, not the quiz's default.
		v.TimeAllowed = plural(int(tok.Deadline.Sub(tok.Started).Round(time.Minute)/time.Minute), "minute", "minutes")
	}
	byID := map[string]string{}
	for _, e := range errs {
		byID[e.QuestionID] = e.Msg
		v.Errors = append(v.Errors, views.FieldError{Number: e.Position + 1, Anchor: "q-" + e.QuestionID, Msg: e.Msg})
	}
	for i, it := range paper.Items {
		qu := it.Question
		field := quiz.FieldPrefix + qu.ID
		qv := views.QuestionView{
			Number: i + 1, ID: qu.ID, Type: string(qu.Type), Prompt: qu.Prompt,
			Points: pointsText(qu.Points), Unit: qu.Unit, Error: byID[qu.ID], MaxLen: quiz.MaxTextAnswer,
			Truth: values.Get(field), Value: values.Get(field), Field: field,
		}
		for _, o := range it.Options {
			qv.Options = append(qv.Options, views.OptionView{ID: o.ID, Text: o.Text, Checked: slices.Contains(values[field], o.ID)})
		}
		v.Questions = append(v.Questions, qv)
	}
	return v
}

// overlay shows what the student typed, even where it did not decode.
func overlay(v *views.QuizView, form url.Values) {
	for i := range v.Questions {
		q := &v.Questions[i]
		if q.Type == "numeric" || q.Type == "text" {
			q.Value = form.Get(q.Field)
		}
	}
}

func (h *Handler) renderQuiz(c *echo.Context, status int, l *content.Lesson, v views.QuizView) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.render(c, status, views.QuizPage(h.page(c, "Quiz: "+l.Title), v))
}

func pointsText(p float64) string {
	s := strconv.FormatFloat(p, 'f', -1, 64)
	if p == 1 {
		return s + " point"
	}
	return s + " points"
}
