package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/content"
	"github.com/twelve-course/twelve/store"
)

// factValue is the value of the fact with data-key=key in a panel.
func factValue(t *testing.T, panel *html.Node, key string) string {
	t.Helper()
	for _, f := range byTestID(panel, "fact") {
		if nodeAttr(f, "data-key") == key {
			return nodeText(elements(f, "dd")[0])
		}
	}
	t.Fatalf("panel %s has no fact %q", nodeAttr(panel, "data-factor"), key)
	return ""
}

// tableRow is the text of the cells of a panel's table row with data-key=key.
func tableRow(panel *html.Node, key string) ([]string, bool) {
	for _, tr := range elements(panel, "tr") {
		if nodeAttr(tr, "data-key") == key {
			var cells []string
			for c := tr.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode {
					cells = append(cells, nodeText(c))
				}
			}
			return cells, true
		}
	}
	return nil, false
}

// panels maps numeral → panel on the /factors page, checking there are
// twelve in course order.
func panels(t *testing.T, doc testDoc) map[string]*html.Node {
	t.Helper()
	all := doc.all("factor-panel")
	course, _ := content.Load(content.Embedded())
	if len(all) != 12 {
		t.Fatalf("/factors has %d panels, want 12", len(all))
	}
	out := map[string]*html.Node{}
	for i, l := range course.Lessons() {
		if got := nodeAttr(all[i], "data-factor"); got != l.Numeral {
			t.Errorf("panel %d is factor %q, want %q", i+1, got, l.Numeral)
		}
		out[l.Numeral] = all[i]
	}
	return out
}

func TestFactorsShowLiveValues(t *testing.T) {
	app := newCourseApp(t, map[string]string{"HEROKU_RELEASE_VERSION": "v77"}, nil)
	ctx := context.Background()
	st := store.New(app.pool)
	other := store.Process{ID: "web.2.ab", Kind: "web", Host: "web.2", PID: 7, StartedAt: time.Now().Add(-time.Hour)}
	if err := st.Beat(ctx, other); err != nil {
		t.Fatal(err)
	}
	version, err := st.ServerVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}

	latest, err := store.LatestVersion()
	if err != nil {
		t.Fatal(err)
	}
	w, doc := app.get(t, "/factors", "X-Request-Id", "req-factors-1")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /factors = %d, want 200", w.Code)
	}
	p := panels(t, doc)
	// Database facts come from the process's readings shared by every page
	// (live's TestFactorsFloodCostsTheDatabaseLittle), and the page says
	// when they were taken.
	if got := nodeText(doc.one(t, "database-read")); !strings.HasPrefix(got, "at ") || !strings.Contains(got, "reuses what the database said") {
		t.Errorf("database-read = %q, want when the shared reading was taken", got)
	}
	tests := []struct {
		factor, key string
		want        string
	}{
		{"I", "revision", testProcess.Revision},
		{"II", "go-version", runtime.Version()},
		{"III", "settings-set", "2"},
		{"IV", "database-host", "127.0.0.1, port " + strconv.Itoa(int(app.pool.Config().ConnConfig.Port))},
		{"IV", "database-version", "version " + version},
		{"IV", "issuer", "none: OIDC_ISSUER_URL is not set, so sign-in is off"},
		{"V", "release", "v77"},
		{"V", "schema", fmt.Sprintf("%d (this release's latest)", latest)},
		{"VI", "process-id", testProcess.ID},
		{"VI", "pid", "4242"},
		{"VI", "session", "none: no session was looked up; this app keeps no session store"},
		{"VII", "bound-address", "[::]:54321"},
		{"VIII", "formation", "web ×1"},
		{"IX", "startup", "12 ms, from twelve web starting to its port being bound"},
		{"IX", "drain-timeout", "25s"},
		{"X", "database-version", "version " + version},
		{"X", "database-location", "on this machine"},
		{"XI", "request_id", "req-factors-1"},
		{"XI", "path", "/factors"},
		{"XI", "remote_ip", "192.0.2.1"}, // httptest's client address
		{"XI", "status", "filled in when the response completes"},
		{"XII", "last-migration", fmt.Sprintf("version %d, applied ", latest)},
	}
	for _, tt := range tests {
		t.Run(tt.factor+"/"+tt.key, func(t *testing.T) {
			got := factValue(t, p[tt.factor], tt.key)
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("factor %s %s = %q, want %q", tt.factor, tt.key, got, tt.want)
			}
		})
	}
	if got, want := factValue(t, p["IX"], "uptime"), ", since "+testProcess.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"); !strings.Contains(got, " min ") || !strings.HasSuffix(got, want) {
		t.Errorf("uptime = %q, want minutes%s", got, want)
	}
	if _, ok := tableRow(p["VIII"], other.ID); !ok {
		t.Errorf("formation lacks the process %s that beat a moment ago", other.ID)
	}
	for _, cmd := range []string{"check", "config", "content-check"} {
		if row, ok := tableRow(p["XII"], cmd); !ok || row[0] != "twelve admin "+cmd {
			t.Errorf("admin commands row %q = %v, %v", cmd, row, ok)
		}
	}

	// The event the XI panel announced is the one the logger then wrote.
	var ev map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(app.logs.String())), &ev); err != nil {
		t.Fatalf("one JSON event per request: %v\n%s", err, app.logs)
	}
	for _, key := range []string{"method", "path", "request_id", "remote_ip"} {
		if got := factValue(t, p["XI"], key); ev[key] != got {
			t.Errorf("panel XI %s = %q, but the event says %v", key, got, ev[key])
		}
	}

	// A second request is computed afresh.
	_, again := app.get(t, "/factors", "X-Request-Id", "req-factors-2")
	if got := factValue(t, panels(t, again)["XI"], "request_id"); got != "req-factors-2" {
		t.Errorf("second request's request_id = %q, want req-factors-2", got)
	}
}

func TestLessonPanelIsItsFactor(t *testing.T) {
	app := newCourseApp(t, nil, nil)
	_, doc := app.get(t, "/lessons/port-binding")
	panel := doc.one(t, "factor-panel")
	if got := factValue(t, panel, "bound-address"); got != testProcess.Addr {
		t.Errorf("bound address = %q, want %q", got, testProcess.Addr)
	}
	if got := nodeText(doc.one(t, "computed-at")); !strings.HasSuffix(got, " UTC") {
		t.Errorf("computed-at = %q", got)
	}
	// Lesson pages share the process's recent database readings, which
	// bounds what a flood of them costs the database (live's
	// TestLessonFloodCostsTheDatabaseLittle), and say when they were read.
	_, doc = app.get(t, "/lessons/backing-services")
	if got := factValue(t, doc.one(t, "factor-panel"), "database-read"); !strings.HasPrefix(got, "at ") || !strings.Contains(got, "reuses what the database said") {
		t.Errorf("database-read = %q, want when the shared reading was taken", got)
	}
}

func TestConfigPanelFollowsEnvironment(t *testing.T) {
	pool := newCourseApp(t, nil, nil).pool
	tests := []struct {
		name      string
		env       map[string]string
		wantGroup string
		wantSet   string
	}{
		{"group unset", nil, "unset", "2"},
		{"group set", map[string]string{"INSTRUCTOR_GROUP": "course-staff"}, "set", "3"},
		{"default overridden", map[string]string{"LOG_LEVEL": "debug"}, "unset", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newCourseApp(t, tt.env, pool)
			_, doc := app.get(t, "/lessons/config")
			panel := doc.one(t, "panel-config")
			row, ok := tableRow(doc.one(t, "factor-panel"), "INSTRUCTOR_GROUP")
			if !ok || row[1] != tt.wantGroup {
				t.Errorf("INSTRUCTOR_GROUP row = %v, want state %q", row, tt.wantGroup)
			}
			if got := factValue(t, panel.Parent, "settings-set"); got != tt.wantSet {
				t.Errorf("settings set = %q, want %q", got, tt.wantSet)
			}
			level, _ := tableRow(doc.one(t, "factor-panel"), "LOG_LEVEL")
			if want := map[bool]string{true: "set", false: "default"}[tt.env["LOG_LEVEL"] != ""]; level[1] != want {
				t.Errorf("LOG_LEVEL row = %v, want %q", level, want)
			}
		})
	}
}

func TestNoSettingValueInAnyPage(t *testing.T) {
	// Distinctive values for every setting whose value is not meant to be
	// shown. OIDC_ISSUER_URL is shown on purpose (an issuer is public), as
	// are the bound address and the drain timeout, which are not set here.
	env := map[string]string{
		"DATABASE_URL":       "postgres://twelve_owner_q7:pw-Zebra-4417@ec2-54-81-19-7.compute-1.amazonaws.com:5432/d9x8y7z6w5",
		"SECRET_KEY":         "sk-Quokka-0123456789abcdef0123456789,sk-Older-Wombat-0123456789abcdef01",
		"BASE_URL":           "https://twelve-secretive-host.example.org",
		"OIDC_ISSUER_URL":    "https://idp.example.test/realms/course",
		"OIDC_CLIENT_ID":     "client-Ibis-553",
		"OIDC_CLIENT_SECRET": "cs-Narwhal-9931",
		"OIDC_SCOPES":        "openid email profile groups-Okapi",
		"OIDC_GROUPS_CLAIM":  "claim-Tapir",
		"INSTRUCTOR_EMAILS":  "ada.Pangolin@example.org,grace.Axolotl@example.org",
		"INSTRUCTOR_GROUP":   "staff-Marmot",
	}
	secrets := []string{
		"twelve_owner_q7", "pw-Zebra-4417", "ec2-54-81-19-7", "d9x8y7z6w5",
		"Quokka", "Wombat", "twelve-secretive-host", "Ibis", "Narwhal", "Okapi", "Tapir",
		"Pangolin", "Axolotl", "Marmot",
	}
	app := newCourseApp(t, env, nil)
	secrets = append(secrets, app.pool.Config().ConnConfig.Database) // the real test database's name
	paths := []string{"/", "/factors", "/lessons/nope"}
	for _, slug := range content.Slugs() {
		paths = append(paths, "/lessons/"+slug)
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			w, _ := app.get(t, path, "Host", "twelve.example.com", "X-Forwarded-Proto", "https")
			body := w.Body.String()
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("GET %s shows %q", path, s)
				}
			}
		})
	}
	_, doc := app.get(t, "/factors", "X-Forwarded-Proto", "https")
	if got := factValue(t, panels(t, doc)["IV"], "issuer"); got != "https://idp.example.test/realms/course" {
		t.Errorf("issuer = %q, want the configured issuer", got)
	}
}

func TestPanelsWithDatabaseDown(t *testing.T) {
	pool, err := store.Open(context.Background(), "postgres://twelve@127.0.0.1:1/twelve", 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	app := newCourseApp(t, nil, pool)
	w, doc := app.get(t, "/factors")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /factors with the database down = %d, want 200", w.Code)
	}
	p := panels(t, doc)
	for _, tt := range []struct{ factor, key string }{
		{"IV", "database-ping"}, {"IV", "database-version"}, {"V", "schema"},
		{"VIII", "formation"}, {"X", "database-version"}, {"XII", "last-migration"},
	} {
		if got := factValue(t, p[tt.factor], tt.key); got != "database unreachable" {
			t.Errorf("factor %s %s = %q, want \"database unreachable\"", tt.factor, tt.key, got)
		}
	}
	if got := factValue(t, p["I"], "revision"); got != testProcess.Revision {
		t.Errorf("revision = %q: facts that need no database must still show", got)
	}
	w, doc = app.get(t, "/lessons/backing-services")
	if w.Code != http.StatusOK || factValue(t, doc.one(t, "factor-panel"), "database-ping") != "database unreachable" {
		t.Errorf("GET /lessons/backing-services with the database down = %d, want 200 saying \"database unreachable\"", w.Code)
	}
}
