package live

import (
	"fmt"
	"net"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// processFacts are the live panels' facts that cannot change while the
// process runs. New reads them once; requests only format them.
type processFacts struct {
	goVersion  string
	mainModule string
	// revisionSource says where Process.Revision came from.
	revisionSource string
	vcsModified    string // "true", "false", or "" when not recorded
	buildTime      string // vcs.time (RFC 3339), or ""
	modules        []views.FactRow
	adminCommands  []string
	// latestSchema is the schema version this release needs (0: unknown).
	latestSchema int64
	// dbHost is the attached database's host, masked, with its port.
	dbHost  string
	dbLocal bool
}

// newProcessFacts reads the facts from o and info, this binary's build
// information (nil when it has none).
func newProcessFacts(o Options, info *debug.BuildInfo) processFacts {
	f := processFacts{goVersion: runtime.Version(), adminCommands: slices.Clone(o.AdminCommands)}
	f.latestSchema, _ = store.LatestVersion()
	vcsRevision := false
	if info != nil {
		f.goVersion = info.GoVersion
		f.mainModule = info.Main.Path
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				vcsRevision = s.Value != ""
			case "vcs.modified":
				f.vcsModified = s.Value
			case "vcs.time":
				f.buildTime = s.Value
			}
		}
		for _, m := range info.Deps {
			version := m.Version
			if r := m.Replace; r != nil {
				version += " => " + strings.TrimSpace(r.Path+" "+r.Version)
			}
			f.modules = append(f.modules, views.FactRow{Key: m.Path, Cells: []string{m.Path, version}})
		}
	}
	switch {
	case vcsRevision:
		f.revisionSource = "go build, from the Git checkout (vcs.revision in the binary's build information)"
	case o.Process.Revision != "":
		f.revisionSource = "the linker (-X main.revision), as Heroku's Go buildpack sets it from GO_LINKER_SYMBOL and GO_LINKER_VALUE"
	default:
		f.revisionSource = "nothing: this binary was built without VCS stamping (-buildvcs=false) and without a linker-set revision"
	}
	f.dbHost, f.dbLocal = "none attached", false
	if o.Store != nil {
		db := o.Database
		f.dbHost, f.dbLocal = maskHost(db.Host), isLocalHost(db.Host)
		if !strings.HasPrefix(db.Host, "/") && db.Port != 0 {
			f.dbHost += ", port " + strconv.Itoa(int(db.Port))
		}
	}
	return f
}

// maskHost hides which machine a database runs on while keeping what a
// student can learn from it. Local hosts are shown as they are (they name
// nothing outside this machine); a socket becomes "local socket"; an IP
// address is hidden entirely; a DNS name keeps only its last two labels,
// the provider's domain: "ec2-3-1-2-3.compute-1.amazonaws.com" becomes
// "*****.amazonaws.com". The stars do not vary with the hidden length.
func maskHost(host string) string {
	const stars = "*****"
	switch {
	case host == "" || strings.HasPrefix(host, "/"):
		return "local socket"
	case isLocalHost(host):
		return host
	case net.ParseIP(strings.Trim(host, "[]")) != nil:
		return stars + " (an IP address)"
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	switch {
	case len(labels) >= 3:
		return stars + "." + strings.Join(labels[len(labels)-2:], ".")
	case len(labels) == 2:
		return stars + "." + labels[1]
	default:
		return stars
	}
}

func isLocalHost(host string) bool {
	if host == "" || strings.HasPrefix(host, "/") || host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// formatDuration writes d for people: "0.42 ms", "38 ms", "4.2 s", "3 min 5 s", "2 h 10 min", "3 d 4 h".
func formatDuration(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// formatTime writes t in UTC with how long ago it was.
func formatTime(t, now time.Time) string {
	stamp := t.UTC().Format("2006-01-02 15:04:05 UTC")
	ago := now.Sub(t)
	if ago < time.Second {
		return stamp + " (just now)"
	}
	return stamp + " (" + formatDuration(ago.Truncate(time.Second)) + " ago)"
}
