package handlers

import "github.com/labstack/echo/v5"

// routes lists every route of the app, top to bottom.
func (h *Handler) routes(e *echo.Echo) {
	// Course
	e.GET("/", h.showHome)
	e.GET("/lessons/:slug", h.showLesson)
	e.GET("/factors", h.showFactors)

	// Quizzes: starting writes nothing; submitting stores one attempt
	e.GET("/lessons/:slug/quiz", h.startQuiz, h.requireSignIn)
	e.POST("/lessons/:slug/quiz", h.submitAttempt)
	e.GET("/lessons/:slug/quiz/resume", h.resumeAttempt, h.requireSignIn)
	e.GET("/attempts/:id", h.showAttempt, h.requireSignIn)
	e.GET("/me", h.showMe, h.requireSignIn)

	// Sign-in (OpenID Connect); identity then travels in a signed cookie
	e.GET("/login", h.startSignIn)
	e.GET("/auth/callback", h.finishSignIn)
	e.GET("/logout", h.confirmSignOut)
	e.POST("/logout", h.signOut)

	// Operations
	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)

	// Assets
	e.GET("/static/:name", h.serveAsset)
	e.GET("/favicon.ico", h.serveFavicon)

	drillRoutes(e)
	e.RouteNotFound("/*", func(c *echo.Context) error { return errNotFound })
}
