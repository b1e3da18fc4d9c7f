package live

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// byNumeral is the /factors page's panels by numeral, checking there are
// twelve in course order.
func byNumeral(t *testing.T, v views.FactorsView) map[string]views.FactorPanel {
	t.Helper()
	if len(v.Panels) != 12 {
		t.Fatalf("%d panels, want 12", len(v.Panels))
	}
	out := map[string]views.FactorPanel{}
	for i, l := range testCourse.Lessons() {
		if got := v.Panels[i].Numeral; got != l.Numeral {
			t.Errorf("panel %d is factor %q, want %q", i+1, got, l.Numeral)
		}
		out[l.Numeral] = v.Panels[i]
	}
	return out
}

func row(p views.FactorPanel, key string) ([]string, bool) {
	if p.Table == nil {
		return nil, false
	}
	for _, r := range p.Table.Rows {
		if r.Key == key {
			return r.Cells, true
		}
	}
	return nil, false
}

func TestPanelsShowTheProcess(t *testing.T) {
	st := &fakeStore{}
	other := store.Process{ID: "web.2.ab", Kind: "web", Host: "web.2", PID: 7, StartedAt: time.Now().Add(-time.Hour), LastSeen: time.Now()}
	st.beat(other)
	st.beat(store.Process{ID: "worker.1.cd", Kind: "worker", Host: "worker.1", PID: 8, StartedAt: time.Now(), LastSeen: time.Now()})
	p := newPanels(t, st, map[string]string{"HEROKU_RELEASE_VERSION": "v77", "PORT": "5000"})
	latest, err := store.LatestVersion()
	if err != nil {
		t.Fatal(err)
	}
	r := anonymous
	r.ID, r.Path, r.SignedIn, r.UserID = "req-factors-1", "/factors", true, 42
	panels := byNumeral(t, p.Page(context.Background(), r))
	tests := []struct {
		factor, key string
		want        string
	}{
		{"I", "revision", testProcess.Revision},
		{"II", "go-version", runtime.Version()},
		{"III", "settings-set", "3"},
		{"IV", "database-host", "127.0.0.1, port 5432"},
		{"IV", "database-version", "version 15.18"},
		{"IV", "issuer", "none: OIDC_ISSUER_URL is not set, so sign-in is off"},
		{"V", "release", "v77"},
		{"V", "schema", fmt.Sprintf("%d (this release's latest)", latest)},
		{"VI", "process-id", testProcess.ID},
		{"VI", "pid", "4242"},
		{"VI", "session", "none: no session was looked up; this app keeps no session store"},
		{"VI", "identity", "read from the signed cookie this request carried"},
		{"VII", "bound-address", "[::]:54321"},
		{"VII", "port-setting", "set"},
		{"VII", "request-host", "twelve.example"},
		{"VII", "scheme", "https"},
		{"VIII", "formation", "web ×1, worker ×1"},
		{"VIII", "worker", "1 worker process sends grades to LMSs"},
		{"IX", "startup", "12 ms, from twelve web starting to its port being bound"},
		{"IX", "drain-timeout", "25s"},
		{"X", "database-version", "version 15.18"},
		{"X", "database-location", "on this machine"},
		{"XI", "request_id", "req-factors-1"},
		{"XI", "method", "GET"},
		{"XI", "path", "/factors"},
		{"XI", "remote_ip", "192.0.2.1"},
		{"XI", "user_id", "42"},
		{"XI", "status", pending},
		{"XII", "last-migration", fmt.Sprintf("version %d, applied ", latest)},
	}
	for _, tt := range tests {
		t.Run(tt.factor+"/"+tt.key, func(t *testing.T) {
			if got := fact(t, panels[tt.factor], tt.key); !strings.HasPrefix(got, tt.want) {
				t.Errorf("factor %s %s = %q, want %q", tt.factor, tt.key, got, tt.want)
			}
		})
	}
	if got, want := fact(t, panels["IX"], "uptime"), ", since "+testProcess.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"); !strings.Contains(got, " min ") || !strings.HasSuffix(got, want) {
		t.Errorf("uptime = %q, want minutes%s", got, want)
	}
	if cells, ok := row(panels["VIII"], other.ID); !ok || cells[1] != "web.2" {
		t.Errorf("formation row %s = %v, %v", other.ID, cells, ok)
	}
	for _, cmd := range []string{"check", "config", "content-check"} {
		if cells, ok := row(panels["XII"], cmd); !ok || cells[0] != "twelve admin "+cmd {
			t.Errorf("admin commands row %q = %v, %v", cmd, cells, ok)
		}
	}
}

func TestPanelsWhereNothingIsSet(t *testing.T) {
	p := newPanels(t, &fakeStore{}, nil)
	panels := byNumeral(t, p.Page(context.Background(), anonymous))
	for _, tt := range []struct{ factor, key, want string }{
		{"V", "release", "none: HEROKU_RELEASE_VERSION is not set"},
		{"VI", "identity", "signed out"},
		{"VII", "port-setting", "default"},
	} {
		if got := fact(t, panels[tt.factor], tt.key); !strings.HasPrefix(got, tt.want) {
			t.Errorf("factor %s %s = %q, want %q", tt.factor, tt.key, got, tt.want)
		}
	}
	for _, f := range panels["XI"].Facts {
		if f.Key == "user_id" || f.Key == "written" {
			t.Errorf("a signed-out request at level info shows %s = %q", f.Key, f.Value)
		}
	}
	quiet := newPanels(t, &fakeStore{}, nil)
	quiet.logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if got := fact(t, byNumeral(t, quiet.Page(context.Background(), anonymous))["XI"], "written"); !strings.HasPrefix(got, "no:") {
		t.Errorf("at level warn the logs panel says written = %q", got)
	}
}

func TestConfigPanelFollowsTheSettingsGiven(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		wantGroup string
		wantLevel string
		wantSet   string
	}{
		{"group unset", nil, "unset", "default", "2"},
		{"group set", map[string]string{"INSTRUCTOR_GROUP": "course-staff"}, "set", "default", "3"},
		{"default overridden", map[string]string{"LOG_LEVEL": "debug"}, "unset", "set", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			panel := compute1(context.Background(), newPanels(t, nil, tt.env), time.Now(), 3)
			if cells, ok := row(panel, "INSTRUCTOR_GROUP"); !ok || cells[1] != tt.wantGroup {
				t.Errorf("INSTRUCTOR_GROUP row = %v, want state %q", cells, tt.wantGroup)
			}
			if cells, ok := row(panel, "LOG_LEVEL"); !ok || cells[1] != tt.wantLevel {
				t.Errorf("LOG_LEVEL row = %v, want state %q", cells, tt.wantLevel)
			}
			if cells, _ := row(panel, "SECRET_KEY"); cells[2] != "required, secret" {
				t.Errorf("SECRET_KEY row = %v, want it marked required, secret", cells)
			}
			if got := fact(t, panel, "settings-set"); got != tt.wantSet {
				t.Errorf("settings set = %q, want %q", got, tt.wantSet)
			}
		})
	}
}

func TestIssuerIsShownWithoutItsSecrets(t *testing.T) {
	p := newPanels(t, nil, map[string]string{
		"OIDC_ISSUER_URL": "https://user:pw@idp.example.test/realms/course?x=1#f", "OIDC_CLIENT_ID": "c",
	})
	panel := compute1(context.Background(), p, time.Now(), 4)
	if got := fact(t, panel, "issuer"); got != "https://idp.example.test/realms/course" {
		t.Errorf("issuer = %q, want the issuer without user, query or fragment", got)
	}
}

type samlIdP string

func (s samlIdP) IDPEntityID() string { return string(s) }

func TestSAMLIssuer(t *testing.T) {
	for _, tt := range []struct {
		entityID, want string
	}{
		{"https://idp.example.test/saml", "https://idp.example.test/saml"},
		{"", "metadata not loaded yet"},
	} {
		p := newPanels(t, nil, nil)
		p.saml = samlIdP(tt.entityID)
		if got := fact(t, compute1(context.Background(), p, time.Now(), 10), "issuer"); got != tt.want {
			t.Errorf("SAML issuer %q shown as %q, want %q", tt.entityID, got, tt.want)
		}
	}
}

type heldClasses struct {
	classes, members int
	at               time.Time
}

func (h heldClasses) Held() (int, int, time.Time) { return h.classes, h.members, h.at }

// The processes panel says what the process holds of the classes, and
// says so when it holds nothing yet.
func TestProcessesPanelShowsTheClassesHeld(t *testing.T) {
	for _, tc := range []struct {
		held heldClasses
		want string
	}{
		{heldClasses{3, 120, time.Now().Add(-12 * time.Second)}, "3 classes, 120 memberships, all read 12s ago"},
		{heldClasses{}, "not read yet"},
	} {
		p := newPanels(t, nil, nil)
		p.classes = tc.held
		panels := byNumeral(t, p.Page(context.Background(), anonymous))
		if got := fact(t, panels["VI"], "classes"); !strings.Contains(got, tc.want) {
			t.Errorf("classes fact = %q, want it to say %q", got, tc.want)
		}
	}
}
