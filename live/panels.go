package live

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/views"
)

// livePanelTimeout bounds the database work of one page's live panels, all
// of them together: with the database unreachable a page is at most this
// much slower, and says "database unreachable" instead of failing.
const livePanelTimeout = time.Second

// formationWindow is how recently a process must have beaten to count as
// running; processes beat every 10 s.
const formationWindow = 30 * time.Second

// pending marks what the request log event only learns once the response
// is complete, after this page has been written.
const pending = "filled in when the response completes"

// factor is one live panel: what it shows and how it is computed.
type factor struct {
	shows string
	build func(r *request, p *views.FactorPanel)
}

// factors are the twelve panels, in course order (DESIGN.md's table).
var factors = [12]factor{
	{"The revision this process was built from.", (*request).codebase},
	{"The modules compiled into this binary, with their versions.", (*request).dependencies},
	{"The settings this process reads: which are set and which use their default. Values are never shown.", (*request).config},
	{"The database this process is attached to and the identity provider it uses for sign-in.", (*request).backingServices},
	{"What this release is made of: the Go version, the revision and build time, the release and the schema version.", (*request).buildReleaseRun},
	{"Which process served this request, and what it had to look up to do so.", (*request).processes},
	{"The address this process bound to serve HTTP.", (*request).portBinding},
	{"The live process formation: every process that has beaten into PostgreSQL recently.", (*request).concurrency},
	{"How quickly this process started, how long it has run and how long it will drain when told to stop.", (*request).disposability},
	{"The backing services here, to compare with other deploys.", (*request).devProdParity},
	{"The log event this request is producing, as the request logger will write it.", (*request).logs},
	{"The admin commands shipped in this binary and the last migration run against its database.", (*request).adminProcesses},
}

// request computes the panels of one request. Database facts are
// taken at most once per request, from readings at most dbFactsTTL old.
type request struct {
	p   *Panels
	req Request
	ctx context.Context
	now time.Time

	pinged  bool
	pingErr error
	ping    time.Duration

	versionDone bool
	version     string
	versionErr  error

	migrationDone bool
	migration     store.Migration
	migrationErr  error

	// cache holds the process's database readings, which every page
	// shares for up to dbFactsTTL (see read). readAt is when the oldest
	// reading used was taken.
	cache  *readings
	readAt time.Time
}

// compute builds the panels of the given factor numbers (1..12) as of now,
// their database facts from the process's recent readings, and says when
// the oldest of those was taken (zero when no panel asked the database).
func (pl *Panels) compute(ctx context.Context, req Request, now time.Time, numbers ...int) ([]views.FactorPanel, time.Time) {
	r := &request{p: pl, req: req, ctx: ctx, now: now, cache: &pl.readings}
	panels := make([]views.FactorPanel, 0, len(numbers))
	for _, n := range numbers {
		p := pl.Frame(n)
		p.ComputedAt = Time(r.now)
		factors[n-1].build(r, &p)
		panels = append(panels, p)
	}
	return panels, r.readAt
}

// reachable pings the database once per request, timing it.
func (r *request) reachable() bool {
	if !r.pinged {
		r.pinged = true
		if r.p.store == nil {
			r.pingErr = errors.New("no database attached")
			return false
		}
		r.ping, r.pingErr = read(r, &r.cache.ping, func(ctx context.Context) (time.Duration, error) {
			start := time.Now()
			err := r.p.store.Ping(ctx)
			if err != nil {
				r.p.logger.WarnContext(r.ctx, "live panel: database unreachable", "error", err.Error())
			}
			return time.Since(start), err
		})
	}
	return r.pingErr == nil
}

// serverVersion asks the database for its version once per request.
func (r *request) serverVersion() (string, error) {
	if !r.versionDone {
		r.versionDone = true
		if !r.reachable() {
			r.versionErr = r.pingErr
		} else {
			r.version, r.versionErr = read(r, &r.cache.version, r.p.store.ServerVersion)
		}
	}
	return r.version, r.versionErr
}

// lastMigration reads the schema's last migration once per request.
func (r *request) lastMigration() (store.Migration, error) {
	if !r.migrationDone {
		r.migrationDone = true
		if !r.reachable() {
			r.migrationErr = r.pingErr
		} else {
			r.migration, r.migrationErr = read(r, &r.cache.migration, r.p.store.LastMigration)
		}
	}
	return r.migration, r.migrationErr
}

// unreachable is the fact shown where a database value could not be had.
func (r *request) unreachable(key, label string) views.Fact {
	if r.p.store == nil {
		return views.Fact{Key: key, Label: label, Value: "no database attached", State: "bad"}
	}
	return views.Fact{Key: key, Label: label, Value: "database unreachable", State: "bad"}
}

func factText(key, label, value string) views.Fact {
	return views.Fact{Key: key, Label: label, Value: value}
}
func factCode(key, label, value string) views.Fact {
	return views.Fact{Key: key, Label: label, Value: value, Code: true}
}

func (r *request) databaseVersionFact() views.Fact {
	v, err := r.serverVersion()
	if err != nil {
		return r.unreachable("database-version", "PostgreSQL server")
	}
	return views.Fact{Key: "database-version", Label: "PostgreSQL server", Value: "version " + v, State: "ok"}
}

func (r *request) issuerFact() views.Fact {
	o := r.p.cfg.OIDC
	if !o.Enabled() && r.p.saml != nil {
		return r.samlIssuerFact()
	}
	if !o.Enabled() {
		return factText("issuer", "Identity provider", "none: OIDC_ISSUER_URL is not set, so sign-in is off")
	}
	u, err := url.Parse(o.IssuerURL)
	if err != nil {
		return factText("issuer", "Identity provider", "configured")
	}
	u.User, u.RawQuery, u.Fragment = nil, "", "" // an issuer is public; anything else in the URL is not ours to show
	return factCode("issuer", "Identity provider (issuer)", u.String())
}

// samlIssuerFact names the SAML identity provider on the backing-services
// panels: its entity ID once its metadata is loaded.
func (r *request) samlIssuerFact() views.Fact {
	if id := r.p.saml.IDPEntityID(); id != "" {
		return factCode("issuer", "Identity provider (SAML entity ID)", id)
	}
	return views.Fact{Key: "issuer", Label: "Identity provider (SAML)", Value: "metadata not loaded yet", State: "bad"}
}
