package handlers

import "github.com/labstack/echo/v5"

// routes lists every route of the app, top to bottom.
func (h *Handler) routes(e *echo.Echo) {
	signIn := h.limited(h.limits.signIn, "sign-ins", "")
	submit := h.limited(h.limits.submit, "quiz submissions",
		"Your answers were not submitted: go back one page, where they are still filled in, and submit again.")

	// Course
	e.GET("/", h.showHome)
	e.GET("/lessons/:slug", h.showLesson)
	e.GET("/factors", h.showFactors)

	// Quizzes: starting writes nothing unless the quiz is timed or limits
	// attempts (then the start is recorded once); submitting stores one attempt
	e.GET("/lessons/:slug/quiz", h.startQuiz, h.requireSignIn)
	e.POST("/lessons/:slug/quiz", h.submitAttempt, submit)
	e.GET("/lessons/:slug/quiz/resume", h.resumeAttempt, h.requireSignIn)
	e.GET("/attempts/:id", h.showAttempt, h.requireSignIn)
	e.GET("/me", h.showMe, h.requireSignIn)

	// Classes: students. A join link shows its class and joins it (codes
	// are long and random; the sign-in budget still stops anyone trying
	// many); the calendar feed needs no cookie, its signed link is the key
	e.GET("/join/:code", h.showJoin, signIn, h.requireSignIn)
	e.POST("/join/:code", h.joinClass, signIn, h.requireSignIn)
	e.GET("/me/calendar.ics", h.serveCalendar)
	e.POST("/me/calendar/reset", h.resetCalendar, h.requireSignIn)

	// Instructor reports: the role is re-checked on every request
	e.GET("/instructor", h.showOverview, h.requireInstructor)
	e.GET("/instructor/gradebook", h.showGradebook, h.requireInstructor)
	e.GET("/instructor/gradebook.csv", h.exportGradebook, h.requireInstructor)
	e.GET("/instructor/gradebook-canvas.csv", h.exportCanvas, h.requireInstructor)
	e.GET("/instructor/gradebook-moodle.csv", h.exportMoodle, h.requireInstructor)
	e.GET("/instructor/quizzes/:slug", h.showQuizStatistics, h.requireInstructor)
	e.GET("/instructor/students/:id", h.showStudent, h.requireInstructor)

	// Classes: instructor pages. The list is for anyone who teaches or
	// assists in a class; creating one is for course staff. A class's
	// pages take requireClass: readClass lets its TAs in, manageClass
	// only its instructors (and course staff).
	read, manage := h.requireClass(readClass), h.requireClass(manageClass)
	e.GET("/instructor/classes", h.showClasses, h.requireClassStaff)
	e.POST("/instructor/classes", h.createClass, h.requireSignIn)
	e.GET("/instructor/classes/:slug", h.showClass, read)
	e.POST("/instructor/classes/:slug", h.updateClass, manage)
	e.POST("/instructor/classes/:slug/archive", h.archiveClass, manage)
	e.POST("/instructor/classes/:slug/join-link", h.setJoinLink, manage)
	e.POST("/instructor/classes/:slug/staff", h.addStaff, manage)
	e.POST("/instructor/classes/:slug/members/remove", h.removeMember, manage)
	e.POST("/instructor/classes/:slug/invites/withdraw", h.withdrawInvite, manage)
	e.GET("/instructor/classes/:slug/roster", h.showRoster, manage)
	e.POST("/instructor/classes/:slug/roster", h.uploadRoster, manage)
	e.GET("/instructor/classes/:slug/quizzes", h.showQuizSettings, manage)
	e.POST("/instructor/classes/:slug/quizzes", h.saveQuizSettings, manage)
	e.POST("/instructor/classes/:slug/lms/roster", h.syncLTIRoster, manage)
	e.GET("/instructor/classes/:slug/accommodations", h.showAccommodations, read)
	e.POST("/instructor/classes/:slug/accommodations", h.saveAccommodation, read)
	e.POST("/instructor/classes/:slug/accommodations/delete", h.deleteAccommodation, read)

	// A class's reports: the instructor reports over one class
	e.GET("/instructor/classes/:slug/gradebook", h.showClassGradebook, read)
	e.GET("/instructor/classes/:slug/gradebook.csv", h.exportClassGradebook, read)
	e.GET("/instructor/classes/:slug/gradebook-canvas.csv", h.exportClassCanvas, read)
	e.GET("/instructor/classes/:slug/gradebook-moodle.csv", h.exportClassMoodle, read)
	e.GET("/instructor/classes/:slug/quizzes/:quiz", h.showClassQuizStatistics, read)
	e.GET("/instructor/classes/:slug/students/:id", h.showClassStudent, read)

	// A class that is an LMS course: its grades at the LMS (handlers/ltisync.go)
	e.GET("/instructor/classes/:slug/lms", h.showLMSSync, read)
	e.POST("/instructor/classes/:slug/lms/retry", h.retryLMSSync, manage)

	// Sign-in (OpenID Connect); identity then travels in a signed cookie
	e.GET("/login", h.startSignIn, signIn)
	e.GET("/auth/callback", h.finishSignIn, signIn)
	e.GET("/logout", h.confirmSignOut)
	e.POST("/logout", h.signOut)
	e.GET("/signed-out", h.showSignedOut)

	// Sign-in (SAML 2.0): this site's metadata, the assertion consumer
	// (HTTP-POST) and single logout; same identity cookie afterwards
	e.GET("/saml/metadata", h.showSAMLMetadata)
	e.POST("/saml/acs", h.finishSAMLSignIn, signIn)
	e.GET("/saml/slo", h.finishSAMLSignOut)
	e.POST("/saml/slo", h.finishSAMLSignOut)

	// LTI 1.3 launches (handlers/ltilaunch*.go): the LMS's login
	// initiation and its id_token post come from the LMS's pages, so they
	// are exempt from the cross-origin check (crossSitePOSTs) and carry
	// their own proof; the landing checks the identity cookie arrived
	register := h.limited(h.limits.register, "LTI launches", "Launch Twelve from your LMS again.")
	e.GET("/lti/login", h.startLTILogin, register)
	e.POST("/lti/login", h.startLTILogin, register)
	e.POST("/lti/launch", h.launchLTI, register)
	e.GET("/lti/landed", h.showLTILanded)
	e.GET("/lti/continue", h.continueLTI, register)
	e.GET("/lti/jwks", h.serveJWKS)

	// Dynamic Registration, opened by an LMS for its administrator; the
	// lesson picker, opened by a verified deep-linking launch with its
	// sealed request (which its form posts back: the page works where the
	// LMS's frame gets no identity cookie)
	e.GET("/lti/register", h.registerTool, h.limited(h.limits.register, "LMS registrations", ""))
	e.GET(ltiDeepLinkPath, h.showDeepLink)
	e.POST(ltiDeepLinkPath, h.sendDeepLinks)

	// Operations
	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)

	// Assets
	e.GET("/static/:name", h.serveAsset)
	e.GET("/favicon.ico", h.serveFavicon)

	drillRoutes(e)
	e.RouteNotFound("/*", func(c *echo.Context) error { return errNotFound })
}
