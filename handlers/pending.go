package handlers

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/internal/seal"
	"github.com/twelve-course/twelve/quiz"
)

// A submission sent after the sign-in ended is kept in a signed, encrypted,
// short-lived cookie scoped to its quiz while the student signs in again,
// then shown back to them pre-filled to submit: nothing is stored on the
// server and nothing they answered is lost. Answers too large for a cookie
// are shown back at once instead, with a sign-in link that opens a new tab.
const (
	pendingCookie   = "twelve_pending"
	pendingLifetime = time.Hour
	pendingMaxBytes = 3800 // browsers keep cookies up to 4096 bytes
)

type pendingSubmission struct {
	Token   string `json:"t"`
	Answers string `json:"a"` // form-encoded answers
}

// newPendingCodec seals pending submissions with keys of their own,
// derived from SECRET_KEY.
func newPendingCodec(secrets [][]byte) (*seal.Codec[pendingSubmission], error) {
	return seal.New[pendingSubmission](secrets, seal.Spec{
		Purpose:   "pending submission",
		Name:      pendingCookie,
		MaxAge:    pendingLifetime,
		MaxLength: pendingMaxBytes,
	})
}

// holdForSignIn keeps a signed-out student's submission and sends them to
// sign in; resumeAttempt gives it back.
func (h *Handler) holdForSignIn(c *echo.Context, l *content.Lesson, version *quiz.Quiz, tok quiz.Token, raw string, answers quiz.Answers) error {
	value, err := h.pending.Encode(pendingSubmission{Token: raw, Answers: answers.Form().Encode()})
	if err == nil {
		h.setCookie(c, pendingCookie, value, quizPath(l.Slug), pendingLifetime)
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.Redirect(http.StatusSeeOther, signInURL(c, quizPath(l.Slug)+"/resume"))
	}
	v := h.quizView(l, version, tok, raw, answers.Form(), nil)
	v.Notice = "You were signed out while answering, so nothing has been saved yet. Sign in again in a new tab with the link at the top of this page, then come back here and press Submit answers."
	return h.renderQuiz(c, http.StatusUnauthorized, l, v)
}

// resumeAttempt shows a held submission, pre-filled, to its signed-in
// owner. Showing it saves nothing: they press Submit to store it.
func (h *Handler) resumeAttempt(c *echo.Context) error {
	l, _, err := h.lessonQuiz(c)
	if err != nil {
		return err
	}
	ck, err := h.cookie(c, pendingCookie, quizPath(l.Slug))
	if err != nil {
		return c.Redirect(http.StatusSeeOther, quizPath(l.Slug))
	}
	p, err := h.pending.Decode(ck.Value)
	if err != nil {
		h.clearCookie(c, pendingCookie, quizPath(l.Slug))
		return c.Redirect(http.StatusSeeOther, quizPath(l.Slug))
	}
	tok, err := h.tokens.Decode(p.Token, time.Now())
	if err != nil || tok.Quiz != l.Slug {
		h.clearCookie(c, pendingCookie, quizPath(l.Slug))
		return errTokenBad
	}
	if tok.UserID != identityOf(c).UserID {
		h.clearCookie(c, pendingCookie, quizPath(l.Slug))
		return errTokenNotYours
	}
	values, err := url.ParseQuery(p.Answers)
	if err != nil {
		return errTokenBad
	}
	version, err := h.quizzes.Version(c.Request().Context(), tok.Version)
	if err != nil {
		return err
	}
	v := h.quizView(l, version, tok, p.Token, values, nil)
	v.Notice = "You are signed in again. Your answers are below and nothing has been saved yet: check them and press Submit answers."
	return h.renderQuiz(c, http.StatusOK, l, v)
}
