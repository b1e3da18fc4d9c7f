// Package browser holds Twelve's end-to-end tests: whole journeys through the
// real `twelve web` binary, a fresh PostgreSQL database and the development
// OpenID provider, driven in Debian's chromium with chromedp. The journeys
// answer quizzes with the keyboard only, sign out in another tab mid-quiz,
// read the instructor reports, check phone-sized pages, and launch Twelve
// from the test LMS (internal/ltiplatform) inside its iframe, on another
// site, with and without the browser keeping Twelve's cookies there (see
// docs/lti.md, "In an iframe", "Which browser does what"); every page they
// visit is checked with axe-core (WCAG 2.2 A and AA, light and dark) and
// screenshotted into artifacts/screenshots/.
//
// The tests need /usr/bin/chromium (or chromium on PATH) and npm, which
// installs the axe-core pinned by package-lock.json into node_modules; they
// are skipped, loudly, only when no chromium can be found. Run them with
// `make test`, or `go test ./browser` with TEST_DATABASE_URL set.
package browser
