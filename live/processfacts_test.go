package live

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

func TestMaskHost(t *testing.T) {
	tests := []struct{ host, want string }{
		{"ec2-3-215-57-87.compute-1.amazonaws.com", "*****.amazonaws.com"},
		{"c5hilnj7pn10vb.cluster-czrs8kj4isg7.us-east-1.rds.amazonaws.com", "*****.amazonaws.com"},
		{"db.internal", "*****.internal"},
		{"postgres", "*****"},
		{"10.1.2.3", "***** (an IP address)"},
		{"2001:db8::1", "***** (an IP address)"},
		{"127.0.0.1", "127.0.0.1"},
		{"::1", "::1"},
		{"localhost", "localhost"},
		{"/var/run/postgresql", "local socket"},
		{"", "local socket"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := maskHost(tt.host); got != tt.want {
				t.Errorf("maskHost(%q) = %q, want %q", tt.host, got, tt.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{420 * time.Microsecond, "0.42 ms"},
		{38 * time.Millisecond, "38 ms"},
		{4200 * time.Millisecond, "4.2 s"},
		{185 * time.Second, "3 min 5 s"},
		{130 * time.Minute, "2 h 10 min"},
		{76 * time.Hour, "3 d 4 h"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.d); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestProcessFactsFromBuildInfo(t *testing.T) {
	info := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/twelve-course/twelve"},
		Deps: []*debug.Module{
			{Path: "github.com/labstack/echo/v5", Version: "v5.4.4"},
			{Path: "example.com/forked", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1"}},
		},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-20T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		rev  string
		want processFacts
	}{
		{
			name: "stamped by go build",
			info: info,
			rev:  "abc123+dirty",
			want: processFacts{
				goVersion: "go1.26.8", mainModule: "github.com/twelve-course/twelve",
				revisionSource: "go build, from the Git checkout (vcs.revision in the binary's build information)",
				vcsModified:    "true", buildTime: "2026-11-20T10:00:00Z",
				modules: []views.FactRow{
					{Key: "github.com/labstack/echo/v5", Cells: []string{"github.com/labstack/echo/v5", "v5.4.4"}},
					{Key: "example.com/forked", Cells: []string{"example.com/forked", "v1.0.0 => example.com/fork v1.0.1"}},
				},
			},
		},
		{
			name: "set by the linker",
			info: &debug.BuildInfo{GoVersion: "go1.26.8"},
			rev:  "f00d",
			want: processFacts{goVersion: "go1.26.8", revisionSource: "the linker (-X main.revision), as Heroku's Go buildpack sets it from GO_LINKER_SYMBOL and GO_LINKER_VALUE"},
		},
		{
			name: "not recorded",
			info: nil,
			want: processFacts{goVersion: runtime.Version(), revisionSource: "nothing: this binary was built without VCS stamping (-buildvcs=false) and without a linker-set revision"},
		},
	}
	latest, err := store.LatestVersion()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newProcessFacts(Options{Process: Process{Revision: tt.rev}}, tt.info)
			tt.want.dbHost, tt.want.latestSchema = "none attached", latest
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(processFacts{})); diff != "" {
				t.Errorf("newProcessFacts (-want +got):\n%s", diff)
			}
		})
	}
}
