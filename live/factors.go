package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// The twelve panels, one method each, in course order; factors (panels.go)
// lists them with what each shows.

// I. Codebase
func (r *request) codebase(p *views.FactorPanel) {
	f := &r.p.facts
	if rev := r.p.process.Revision; rev != "" {
		p.Facts = append(p.Facts, factCode("revision", "Revision", rev))
	} else {
		p.Facts = append(p.Facts, views.Fact{Key: "revision", Label: "Revision", Value: "not recorded", State: "bad"})
	}
	p.Facts = append(p.Facts, factText("revision-source", "Recorded by", f.revisionSource))
	switch f.vcsModified {
	case "true":
		p.Facts = append(p.Facts, views.Fact{Key: "modified", Label: "Uncommitted changes", Value: "yes: this binary matches no commit", State: "bad"})
	case "false":
		p.Facts = append(p.Facts, views.Fact{Key: "modified", Label: "Uncommitted changes", Value: "none", State: "ok"})
	}
	if f.mainModule != "" {
		p.Facts = append(p.Facts, factCode("module", "Built from module", f.mainModule))
	}
}

// II. Dependencies
func (r *request) dependencies(p *views.FactorPanel) {
	f := &r.p.facts
	p.Facts = append(p.Facts,
		factText("module-count", "Modules compiled in", strconv.Itoa(len(f.modules))),
		factCode("go-version", "Go toolchain", f.goVersion),
	)
	p.Table = &views.FactTable{
		Caption: "Modules in this binary, from its build information",
		Columns: []string{"Module", "Version"},
		Rows:    f.modules,
		Empty:   "This binary's build information lists no modules (test binaries list none).",
	}
	p.Note = "The same list as go version -m bin/twelve: read from the running binary, not from go.mod."
}

// III. Config
func (r *request) config(p *views.FactorPanel) {
	var set, def, unset int
	rows := make([]views.FactRow, 0, len(config.Settings))
	for _, s := range config.Settings {
		var state string
		switch {
		case r.p.cfg.IsSet(s.Name):
			state, set = "set", set+1
		case s.Default != "":
			state, def = "default", def+1
		default:
			state, unset = "unset", unset+1
		}
		var kind []string
		if s.Required {
			kind = append(kind, "required")
		}
		if s.Secret {
			kind = append(kind, "secret")
		}
		rows = append(rows, views.FactRow{Key: s.Name, Cells: []string{s.Name, state, strings.Join(kind, ", ")}})
	}
	p.Facts = append(p.Facts,
		factText("settings-set", "Set in the environment", strconv.Itoa(set)),
		factText("settings-default", "Using their default", strconv.Itoa(def)),
		factText("settings-unset", "Unset, no default", strconv.Itoa(unset)),
	)
	p.Table = &views.FactTable{
		Caption: "Settings this process reads (names only, never values)",
		Columns: []string{"Variable", "State", "Kind"},
		Rows:    rows,
	}
}

// IV. Backing services
func (r *request) backingServices(p *views.FactorPanel) {
	f := &r.p.facts
	p.Facts = append(p.Facts, factCode("database-host", "Database host (masked)", f.dbHost))
	if r.reachable() {
		p.Facts = append(p.Facts, views.Fact{Key: "database-ping", Label: "Ping", Value: formatDuration(r.ping), State: "ok"})
	} else {
		p.Facts = append(p.Facts, r.unreachable("database-ping", "Ping"))
	}
	p.Facts = append(p.Facts, r.databaseVersionFact(), r.issuerFact())
	p.Note = "Only the end of the database's host name is shown. The ping includes opening a connection when the pool had none idle."
}

// V. Build, release, run
func (r *request) buildReleaseRun(p *views.FactorPanel) {
	f := &r.p.facts
	p.Facts = append(p.Facts, factCode("go-version", "Compiled with", f.goVersion))
	if rev := r.p.process.Revision; rev != "" {
		p.Facts = append(p.Facts, factCode("revision", "Revision", rev))
	} else {
		p.Facts = append(p.Facts, factText("revision", "Revision", "not recorded"))
	}
	if t, err := time.Parse(time.RFC3339, f.buildTime); err == nil {
		p.Facts = append(p.Facts, factText("build-time", "Commit time (vcs.time)", formatTime(t, r.now)))
	} else {
		p.Facts = append(p.Facts, factText("build-time", "Commit time (vcs.time)", "not recorded in this binary"))
	}
	if rel := r.p.cfg.Platform.ReleaseVersion; rel != "" {
		p.Facts = append(p.Facts, factCode("release", "Heroku release", rel))
	} else {
		p.Facts = append(p.Facts, factText("release", "Heroku release", "none: HEROKU_RELEASE_VERSION is not set (not on Heroku, or dyno metadata is off)"))
	}
	if !r.reachable() {
		p.Facts = append(p.Facts, r.unreachable("schema", "Schema version"))
		return
	}
	// The version goose last applied, against the newest migration embedded
	// in this binary (read once per process).
	m, err := r.lastMigration()
	if errors.Is(err, store.ErrNotFound) {
		m, err = store.Migration{}, nil
	}
	current, latest := m.Version, r.p.facts.latestSchema
	switch {
	case err != nil:
		p.Facts = append(p.Facts, views.Fact{Key: "schema", Label: "Schema version", Value: "unknown: the version table could not be read", State: "bad"})
	case current < latest:
		p.Facts = append(p.Facts, views.Fact{Key: "schema", Label: "Schema version", Value: fmt.Sprintf("%d, behind this release's %d: run twelve migrate", current, latest), State: "bad"})
	default:
		p.Facts = append(p.Facts, views.Fact{Key: "schema", Label: "Schema version", Value: fmt.Sprintf("%d (this release's latest)", current), State: "ok"})
	}
}

// VI. Processes
func (r *request) processes(p *views.FactorPanel) {
	pr := r.p.process
	p.Facts = append(p.Facts,
		factCode("process-id", "Served by process", pr.ID),
		factText("process-kind", "Process type", pr.Kind),
		factCode("host", "Host (dyno)", pr.Host),
		factText("pid", "PID", strconv.Itoa(pr.PID)),
		views.Fact{Key: "session", Label: "Sessions looked up", Value: "none: no session was looked up; this app keeps no session store", State: "ok"},
	)
	if r.req.SignedIn {
		p.Facts = append(p.Facts, factText("identity", "Who you are", "read from the signed cookie this request carried"))
	} else {
		p.Facts = append(p.Facts, factText("identity", "Who you are", "signed out: no valid identity cookie came with this request"))
	}
	if c := r.p.classes; c != nil {
		classes, members, at := c.Held()
		if at.IsZero() {
			p.Facts = append(p.Facts, views.Fact{Key: "classes", Label: "Classes in memory", Value: "not read yet: quiz starts wait until they are", State: "bad"})
		} else {
			p.Facts = append(p.Facts, factText("classes", "Classes in memory",
				fmt.Sprintf("%d classes, %d memberships, all read %s ago; a class is read again when PostgreSQL announces a change to it", classes, members, r.now.Sub(at).Round(time.Second))))
		}
	}
}

// VII. Port binding
func (r *request) portBinding(p *views.FactorPanel) {
	addr := r.p.process.Addr
	if addr == "" {
		p.Facts = append(p.Facts, views.Fact{Key: "bound-address", Label: "Bound address", Value: "not recorded", State: "bad"})
	} else {
		p.Facts = append(p.Facts, factCode("bound-address", "Bound address", addr))
	}
	port := "default"
	if r.p.cfg.IsSet("PORT") {
		port = "set"
	}
	p.Facts = append(p.Facts,
		factText("port-setting", "PORT", port),
		factCode("request-host", "Your request named", r.req.Host),
		factText("scheme", "Scheme seen by the app", r.req.Scheme),
	)
	p.Note = "Behind a router the address your browser used and the port this process bound differ; the router forwards between them."
}

// VIII. Concurrency
func (r *request) concurrency(p *views.FactorPanel) {
	if !r.reachable() {
		p.Facts = append(p.Facts, r.unreachable("formation", "Formation"))
		return
	}
	ps, err := read(r, &r.cache.formation, func(ctx context.Context) ([]store.Process, error) {
		return r.p.store.Formation(ctx, formationWindow)
	})
	if err != nil {
		p.Facts = append(p.Facts, views.Fact{Key: "formation", Label: "Formation", Value: "unknown: the processes table could not be read", State: "bad"})
		return
	}
	count := map[string]int{}
	rows := make([]views.FactRow, 0, len(ps))
	for _, pr := range ps {
		count[pr.Kind]++
		rows = append(rows, views.FactRow{
			Key:     pr.ID,
			Cells:   []string{pr.Kind, pr.Host, strconv.Itoa(pr.PID), formatTime(pr.StartedAt, r.now), formatTime(pr.LastSeen, r.now)},
			Current: pr.ID == r.p.process.ID,
		})
	}
	kinds := make([]string, 0, len(count))
	for k := range count {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var summary []string
	for _, k := range kinds {
		summary = append(summary, fmt.Sprintf("%s ×%d", k, count[k]))
	}
	value := "no process has beaten recently"
	if len(summary) > 0 {
		value = strings.Join(summary, ", ")
	}
	p.Facts = append(p.Facts, factText("formation", "Running now", value))
	p.Facts = append(p.Facts, workerFact(count["worker"]))
	p.Table = &views.FactTable{
		Caption: "Processes that beat in the last " + formationWindow.String() + " (this one highlighted)",
		Columns: []string{"Type", "Host", "PID", "Started", "Last beat"},
		Rows:    rows,
		Empty:   "No process has beaten in the last " + formationWindow.String() + ".",
	}
}

// workerFact says whether a worker process (twelve worker) runs the
// background jobs: without one, grades for LMSs wait.
func workerFact(workers int) views.Fact {
	if workers == 0 {
		return views.Fact{Key: "worker", Label: "Background jobs", Value: NoWorkerWarning, State: "bad"}
	}
	value := fmt.Sprintf("%d worker processes send grades to LMSs", workers)
	if workers == 1 {
		value = "1 worker process sends grades to LMSs"
	}
	return views.Fact{Key: "worker", Label: "Background jobs", Value: value, State: "ok"}
}

// NoWorkerWarning is what pages say when no worker process has beaten
// recently.
const NoWorkerWarning = "No worker is running: grades wait until one starts"

// IX. Disposability
func (r *request) disposability(p *views.FactorPanel) {
	pr := r.p.process
	if pr.StartupDuration > 0 {
		p.Facts = append(p.Facts, factText("startup", "Start-up", formatDuration(pr.StartupDuration)+", from twelve web starting to its port being bound"))
	} else {
		p.Facts = append(p.Facts, factText("startup", "Start-up", "not measured by this process"))
	}
	if !pr.StartedAt.IsZero() {
		p.Facts = append(p.Facts, factText("uptime", "Up for", formatDuration(r.now.Sub(pr.StartedAt).Truncate(time.Second))+", since "+pr.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC")))
	}
	p.Facts = append(p.Facts, factText("drain-timeout", "Drain timeout", r.p.cfg.DrainTimeout.String()))
	p.Note = "On SIGTERM the process stops accepting connections and gives requests in flight up to the drain timeout to finish; Heroku sends SIGKILL 30 s after SIGTERM."
}

// X. Dev/prod parity
func (r *request) devProdParity(p *views.FactorPanel) {
	where := "on another machine"
	if r.p.facts.dbLocal {
		where = "on this machine"
	}
	p.Facts = append(p.Facts, r.databaseVersionFact(), factText("database-location", "Database runs", where), r.issuerFact())
	p.Note = "make dev and make test run a real PostgreSQL cluster and a real OpenID Connect provider (internal/cmd/devidp); nothing stands in for them. Compare the server version here with production's."
}

// XI. Logs
func (r *request) logs(p *views.FactorPanel) {
	p.Facts = append(p.Facts,
		factText("time", "time", pending),
		factCode("level", "level", "INFO"),
		factCode("msg", "msg", "request"),
		factCode("method", "method", r.req.Method),
		factCode("path", "path", r.req.Path),
		factText("status", "status", pending),
		factText("duration_ms", "duration_ms", pending),
		factText("bytes", "bytes", pending),
		factCode("remote_ip", "remote_ip", r.req.RemoteIP),
	)
	if r.req.SignedIn {
		p.Facts = append(p.Facts, factCode("user_id", "user_id", strconv.FormatInt(r.req.UserID, 10)))
	}
	p.Facts = append(p.Facts, factCode("request_id", "request_id", r.req.ID))
	if !r.p.logger.Enabled(r.ctx, slog.LevelInfo) {
		p.Facts = append(p.Facts, views.Fact{Key: "written", Label: "Written", Value: "no: this process logs only warnings and errors", State: "bad"})
	}
	p.Note = "The request logger writes this event, one line on standard output, once the response is complete: after this page was written, so status and duration cannot be shown here. Reload for a new event with a new request id."
}

// XII. Admin processes
func (r *request) adminProcesses(p *views.FactorPanel) {
	rows := make([]views.FactRow, 0, len(r.p.facts.adminCommands))
	for _, name := range r.p.facts.adminCommands {
		rows = append(rows, views.FactRow{Key: name, Cells: []string{"twelve admin " + name}})
	}
	p.Table = &views.FactTable{
		Caption: "Admin commands in this binary",
		Columns: []string{"Command"},
		Rows:    rows,
		Empty:   "No admin commands were passed to this process.",
	}
	if !r.reachable() {
		p.Facts = append(p.Facts, r.unreachable("last-migration", "Last migration"))
		return
	}
	m, err := r.lastMigration()
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.Facts = append(p.Facts, views.Fact{Key: "last-migration", Label: "Last migration", Value: "none has run: run twelve migrate", State: "bad"})
	case err != nil:
		p.Facts = append(p.Facts, views.Fact{Key: "last-migration", Label: "Last migration", Value: "unknown: the version table could not be read", State: "bad"})
	default:
		p.Facts = append(p.Facts, factText("last-migration", "Last migration", fmt.Sprintf("version %d, applied %s", m.Version, formatTime(m.AppliedAt, r.now))))
	}
	p.Note = "twelve migrate, the release phase, is an admin process too: it runs from the same binary with the same config."
}
