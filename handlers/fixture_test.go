package handlers

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v5"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/live"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/static"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

// testSecretKey is SECRET_KEY for test apps that do not set their own.
const testSecretKey = "course-test-secret-0123456789abcdef-0123"

// testProcess is the process the test apps claim to be.
var testProcess = live.Process{
	ID: "test-host.4242.18eb", Kind: "web", Host: "test-host", PID: 4242,
	StartedAt: time.Now().Add(-90 * time.Second),
	Revision:  "0123456789abcdef0123456789abcdef01234567",
	Addr:      "[::]:54321", StartupDuration: 12300 * time.Microsecond,
}

// appOptions says how a test app differs from the default one: settings
// DATABASE_URL and SECRET_KEY only, a fresh migrated database, the embedded
// course, testProcess, and its log kept in testApp.logs.
type appOptions struct {
	// env adds or overrides settings; DATABASE_URL defaults to dbURL.
	env map[string]string
	// dbURL is the database to open; "" means a fresh one.
	dbURL string
	// pool is a pool to share with another app; it wins over dbURL.
	pool *pgxpool.Pool
	// poolSize bounds the pool opened on dbURL; default 4.
	poolSize int
	// course is the course to serve; nil means a fresh load of the
	// embedded one, which the test may change through course.Quiz.
	course *content.Course
	// log receives the app's log as well as testApp.logs.
	log io.Writer
	// wire makes last changes to the dependencies, such as SignIn, with
	// the settings and logger already in place.
	wire func(*Deps)
}

// testApp is the real router on real dependencies.
type testApp struct {
	e      *echo.Echo
	deps   Deps
	cfg    config.Config
	pool   *pgxpool.Pool
	store  *store.Store
	course *content.Course
	dbURL  string
	logs   *proctest.Output
}

// newTestApp builds the app o describes: config from a map, an isolated
// database, the real assets and course, then New.
func newTestApp(t testing.TB, o appOptions) *testApp {
	t.Helper()
	a := &testApp{pool: o.pool, dbURL: o.dbURL, course: o.course, logs: &proctest.Output{}}
	if a.pool == nil {
		if a.dbURL == "" {
			a.dbURL = storetest.NewURL(t)
		}
		size := o.poolSize
		if size == 0 {
			size = 4
		}
		pool, err := store.Open(context.Background(), a.dbURL, size)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		a.pool = pool
	}
	a.store = store.New(a.pool)
	env := map[string]string{"DATABASE_URL": a.dbURL, "SECRET_KEY": testSecretKey}
	if env["DATABASE_URL"] == "" {
		env["DATABASE_URL"] = "postgres://twelve@db.example.test:5432/twelve"
	}
	for k, v := range o.env {
		env[k] = v
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	a.cfg = cfg
	assets, err := static.Load()
	if err != nil {
		t.Fatal(err)
	}
	if a.course == nil {
		a.course = embeddedCourse(t)
	}
	var logTo io.Writer = a.logs
	if o.log != nil {
		logTo = io.MultiWriter(a.logs, o.log)
	}
	a.deps = Deps{
		Config: cfg, Store: a.store, Assets: assets, Course: a.course,
		Logger: slog.New(slog.NewJSONHandler(logTo, nil)), Process: testProcess,
		AdminCommands: []string{"check", "config", "content-check"},
	}
	if o.wire != nil {
		o.wire(&a.deps)
	}
	if a.e, err = New(a.deps); err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// handler is a Handler on the app's dependencies, for tests that mount
// routes of their own or look inside.
func (a *testApp) handler(t testing.TB) *Handler {
	t.Helper()
	h, err := newHandler(a.deps)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// embeddedCourse is a fresh load of the course embedded in the binary: a
// test may change its quizzes without touching another test's.
func embeddedCourse(t testing.TB) *content.Course {
	t.Helper()
	course, err := content.Load(content.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	return course
}

// courseQuizzes are the embedded course's quizzes, freshly loaded.
func courseQuizzes(t testing.TB) map[string]*quiz.Quiz {
	t.Helper()
	return embeddedCourse(t).Quizzes()
}

// mustCookies is auth.NewCookies for tests.
func mustCookies(tb testing.TB, keys ...[]byte) *auth.Cookies {
	tb.Helper()
	c, err := auth.NewCookies(keys)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
