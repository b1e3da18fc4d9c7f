package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// LTIChannel is the PostgreSQL NOTIFY channel on which every change to the
// LTI platforms, their deployments and their origins is announced, in the
// writing transaction: the payload is the platform's id. Web processes
// reload their platforms (and the CSP frame-ancestors origins) on it.
const LTIChannel = "twelve_lti"

// How an LTI platform was registered.
const (
	LTIViaAdmin   = "admin"   // twelve admin lti-add
	LTIViaDynamic = "dynamic" // LTI Dynamic Registration
)

// LTI errors.
var (
	// ErrLTIPlatformExists is a platform whose (issuer, client id) is
	// registered already.
	ErrLTIPlatformExists = errors.New("store: LTI platform already registered")
	// ErrNonceUsed is a single-use value (a launch nonce, a continue
	// ticket, a registration token) seen before.
	ErrNonceUsed = errors.New("store: already used")
)

// LTIPlatform is an LMS registered with Twelve (lti.Platform's fields,
// plus how it was registered and the origins that may frame Twelve).
type LTIPlatform struct {
	ID       int64
	Issuer   string
	ClientID string
	Name     string
	AuthURL  string // OIDC authorization endpoint
	TokenURL string // OAuth 2 token endpoint
	JWKSURL  string
	// TokenAudience is the aud of client assertions when the platform
	// names one (Brightspace's OAuth2 Audience); "" means TokenURL.
	TokenAudience string
	// LearnsDeployments: the platform's dynamic registration named no
	// deployment, so those its signed launches name are accepted and
	// added (AddLTIDeployment).
	LearnsDeployments bool
	Via               string // LTIViaAdmin or LTIViaDynamic
	// Deployments are the deployment ids that may launch Twelve.
	Deployments []string
	// Origins may frame Twelve: the issuer's and the auth URL's, and
	// those of launches seen (AddLTIOrigin).
	Origins   []string
	CreatedAt time.Time
}

// notifyLTISQL announces a change to platform $1.
const notifyLTISQL = `SELECT pg_notify('` + LTIChannel + `', $1::bigint::text)`

const (
	addLTIPlatformSQL = `
INSERT INTO lti_platforms (issuer, client_id, name, auth_url, token_url, jwks_url, via, token_audience, learns_deployments)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id, created_at`
	addLTIDeploymentsSQL = `
INSERT INTO lti_deployments (platform_id, deployment_id)
SELECT $1, d FROM unnest($2::text[]) AS d
ON CONFLICT DO NOTHING`
	addLTIOriginsSQL = `
INSERT INTO lti_origins (platform_id, origin)
SELECT $1, o FROM unnest($2::text[]) AS o
ON CONFLICT DO NOTHING`
)

// AddLTIPlatform registers p (its ID, Origins and CreatedAt are ignored)
// with its deployments, and the origins of its issuer and auth URL, in
// one transaction, and returns it as stored. A Via of "" is LTIViaAdmin.
// It returns ErrLTIPlatformExists when (issuer, client id) is registered,
// and ErrInvalid for an empty issuer, client id or deployment id, a URL
// with no origin or an unknown via. The URLs' schemes are the caller's
// to check (lti.CheckURL).
func (s *Store) AddLTIPlatform(ctx context.Context, p LTIPlatform) (LTIPlatform, error) {
	if p.Via == "" {
		p.Via = LTIViaAdmin
	}
	origins, err := platformOrigins(p)
	if err != nil {
		return LTIPlatform{}, err
	}
	p.Origins = origins
	p.Deployments = uniqueStrings(p.Deployments)
	err = s.ltiTx(ctx, func(tx pgx.Tx) (int64, error) {
		err := tx.QueryRow(ctx, addLTIPlatformSQL, p.Issuer, p.ClientID, p.Name, p.AuthURL, p.TokenURL, p.JWKSURL, p.Via, p.TokenAudience, p.LearnsDeployments).
			Scan(&p.ID, &p.CreatedAt)
		if err != nil {
			return 0, err
		}
		b := &pgx.Batch{}
		b.Queue(addLTIDeploymentsSQL, p.ID, p.Deployments)
		b.Queue(addLTIOriginsSQL, p.ID, p.Origins)
		return p.ID, tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return LTIPlatform{}, ltiWriteError("add LTI platform", err)
	}
	return p, nil
}

// platformOrigins returns the origins of p's issuer and auth URL, and
// ErrInvalid when either has none.
func platformOrigins(p LTIPlatform) ([]string, error) {
	var out []string
	for _, raw := range []string{p.Issuer, p.AuthURL} {
		o, err := Origin(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return uniqueStrings(out), nil
}

// Origin returns the origin (scheme://host[:port], lowercase) of an
// absolute http(s) URL, and ErrInvalid for anything else.
func Origin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%w: %q is not an http(s) URL with a host", ErrInvalid, raw)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// uniqueStrings returns the strings of list, each once, in order.
func uniqueStrings(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// AddLTIDeployment lets deploymentID of platform platformID launch
// Twelve; adding one already there does nothing. ErrNotFound when there
// is no such platform, ErrInvalid for an empty id.
func (s *Store) AddLTIDeployment(ctx context.Context, platformID int64, deploymentID string) error {
	err := s.ltiTx(ctx, func(tx pgx.Tx) (int64, error) {
		tag, err := tx.Exec(ctx, addLTIDeploymentsSQL, platformID, []string{deploymentID})
		if err == nil && tag.RowsAffected() == 0 {
			return 0, nil // there already: nothing to announce
		}
		return platformID, err
	})
	if err != nil {
		return ltiWriteError("add LTI deployment", err)
	}
	return nil
}

// AddLTIOrigin lets origin (scheme://host[:port]) frame Twelve for
// platform platformID; adding one already there does nothing, and
// announces nothing. ErrNotFound when there is no such platform,
// ErrInvalid for a value that is not an origin.
func (s *Store) AddLTIOrigin(ctx context.Context, platformID int64, origin string) error {
	o, err := Origin(origin)
	if err != nil {
		return err
	}
	if o != strings.ToLower(origin) {
		return fmt.Errorf("%w: %q is not an origin", ErrInvalid, origin)
	}
	err = s.ltiTx(ctx, func(tx pgx.Tx) (int64, error) {
		tag, err := tx.Exec(ctx, addLTIOriginsSQL, platformID, []string{o})
		if err == nil && tag.RowsAffected() == 0 {
			return 0, nil
		}
		return platformID, err
	})
	if err != nil {
		return ltiWriteError("add LTI origin", err)
	}
	return nil
}

const ltiPlatformsSQL = `
SELECT p.id, p.issuer, p.client_id, p.name, p.auth_url, p.token_url, p.jwks_url, p.token_audience, p.learns_deployments, p.via,
       coalesce((SELECT array_agg(d.deployment_id ORDER BY d.deployment_id) FROM lti_deployments d WHERE d.platform_id = p.id), '{}'),
       coalesce((SELECT array_agg(o.origin ORDER BY o.origin) FROM lti_origins o WHERE o.platform_id = p.id), '{}'),
       p.created_at
FROM lti_platforms p`

func scanLTIPlatform(row pgx.CollectableRow) (LTIPlatform, error) {
	var p LTIPlatform
	err := row.Scan(&p.ID, &p.Issuer, &p.ClientID, &p.Name, &p.AuthURL, &p.TokenURL, &p.JWKSURL, &p.TokenAudience, &p.LearnsDeployments, &p.Via,
		&p.Deployments, &p.Origins, &p.CreatedAt)
	return p, err
}

// LTIPlatforms returns every registered platform, with its deployments
// and origins, by id.
func (s *Store) LTIPlatforms(ctx context.Context) ([]LTIPlatform, error) {
	rows, _ := s.pool.Query(ctx, ltiPlatformsSQL+` ORDER BY p.id`)
	ps, err := pgx.CollectRows(rows, scanLTIPlatform)
	if err != nil {
		return nil, opError("LTI platforms", err)
	}
	return ps, nil
}

// LTIPlatform returns the platform registered as (issuer, clientID), or
// ErrNotFound.
func (s *Store) LTIPlatform(ctx context.Context, issuer, clientID string) (LTIPlatform, error) {
	return s.ltiPlatformWhere(ctx, `p.issuer = $1 AND p.client_id = $2`, issuer, clientID)
}

// LTIPlatformByID returns platform id, or ErrNotFound.
func (s *Store) LTIPlatformByID(ctx context.Context, id int64) (LTIPlatform, error) {
	return s.ltiPlatformWhere(ctx, `p.id = $1`, id)
}

func (s *Store) ltiPlatformWhere(ctx context.Context, where string, args ...any) (LTIPlatform, error) {
	rows, _ := s.pool.Query(ctx, ltiPlatformsSQL+` WHERE `+where, args...)
	p, err := pgx.CollectExactlyOneRow(rows, scanLTIPlatform)
	if errors.Is(err, pgx.ErrNoRows) {
		return LTIPlatform{}, ErrNotFound
	}
	if err != nil {
		return LTIPlatform{}, opError("LTI platform", err)
	}
	return p, nil
}

// RemoveLTIPlatform unregisters platform id: its deployments, origins,
// contexts and links go with it, so its launches stop. The classes its
// launches made stay, with their members and grades, as ordinary
// classes. ErrNotFound when there is no such platform.
func (s *Store) RemoveLTIPlatform(ctx context.Context, id int64) error {
	err := s.ltiTx(ctx, func(tx pgx.Tx) (int64, error) {
		tag, err := tx.Exec(ctx, `DELETE FROM lti_platforms WHERE id = $1`, id)
		if err == nil && tag.RowsAffected() == 0 {
			err = ErrNotFound
		}
		return id, err
	})
	if err != nil {
		return ltiWriteError("remove LTI platform", err)
	}
	return nil
}

// ltiTx runs fn in a transaction and then announces a change to the
// platform whose id fn returns (none when 0), in the same transaction.
func (s *Store) ltiTx(ctx context.Context, fn func(tx pgx.Tx) (platformID int64, err error)) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		id, err := fn(tx)
		if err != nil || id == 0 {
			return err
		}
		_, err = tx.Exec(ctx, notifyLTISQL, id)
		return err
	})
}

// ltiWriteError maps the schema's refusals of an LTI write to the store's
// errors, as classWriteError does for classes. A text PostgreSQL cannot
// hold (a NUL, bytes that are not UTF-8: an LMS sent them) is ErrInvalid.
func ltiWriteError(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505" && pgErr.ConstraintName == "lti_platforms_issuer_client_id_key":
			return ErrLTIPlatformExists
		case pgErr.Code == "22021" || pgErr.Code == "22P05":
			return fmt.Errorf("%w: a text that is not valid UTF-8 or holds a NUL", ErrInvalid)
		}
	}
	return classWriteError(op, err)
}

// Single-use values.

const (
	useLTINonceSQL = `INSERT INTO lti_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	// Expired rows go a batch at a time, skipping rows another process is
	// deleting, so that two processes pruning at once never wait.
	pruneLTINoncesSQL = `
DELETE FROM lti_nonces WHERE nonce IN (
	SELECT nonce FROM lti_nonces WHERE expires_at < now() LIMIT 1000 FOR UPDATE SKIP LOCKED)`
	// pruneOneIn is how often UseLTINonce prunes: once in this many uses.
	pruneOneIn = 64
)

// UseLTINonce records the single-use value key (a launch nonce as
// "PLATFORM_ID:NONCE", a continue ticket as "ticket:ID") until expires,
// across every process. ErrNonceUsed when it was recorded before. Now
// and then it also deletes values past their expiry (PruneLTINonces):
// a value is only refused while its token is still valid anyway.
func (s *Store) UseLTINonce(ctx context.Context, key string, expires time.Time) error {
	if key == "" {
		return fmt.Errorf("%w: empty nonce", ErrInvalid)
	}
	tag, err := s.pool.Exec(ctx, useLTINonceSQL, key, expires)
	if err != nil {
		return ltiWriteError("use LTI nonce", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNonceUsed
	}
	if rand.N(pruneOneIn) == 0 {
		if _, err := s.PruneLTINonces(ctx); err != nil {
			return err
		}
	}
	return nil
}

// PruneLTINonces deletes up to 1,000 single-use values past their
// expiry, and returns how many it deleted.
func (s *Store) PruneLTINonces(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, pruneLTINoncesSQL)
	if err != nil {
		return 0, opError("prune LTI nonces", err)
	}
	return tag.RowsAffected(), nil
}

// UseRegistrationToken records a dynamic registration token by its
// SHA-256 hash (32 bytes, ErrInvalid otherwise): ErrNonceUsed when it was
// recorded before, so a token registers Twelve once.
func (s *Store) UseRegistrationToken(ctx context.Context, tokenHash []byte) error {
	if len(tokenHash) != 32 {
		return fmt.Errorf("%w: a registration token hash is 32 bytes, not %d", ErrInvalid, len(tokenHash))
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO lti_registrations (token_hash) VALUES ($1) ON CONFLICT DO NOTHING`, tokenHash)
	if err != nil {
		return opError("use registration token", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNonceUsed
	}
	return nil
}

// LTIListener hears changes to LTI platforms announced on LTIChannel, on
// a connection of its own (a pooled connection cannot wait for
// notifications).
type LTIListener struct {
	conn *pgx.Conn
}

// ListenLTI opens a connection to the pool's database and listens for
// changes to LTI platforms. Notifications sent from now on are kept for
// Next, so a caller that loads LTIPlatforms after this call misses none.
func (s *Store) ListenLTI(ctx context.Context) (*LTIListener, error) {
	conn, err := s.listen(ctx, LTIChannel, "twelve lti listener")
	if err != nil {
		return nil, opError("listen for LTI platforms", err)
	}
	return &LTIListener{conn: conn}, nil
}

// Next waits for the next change and returns the id of the platform
// changed (or removed). An error means the connection is lost (or ctx
// ended): close the listener, listen again and reload every platform.
func (l *LTIListener) Next(ctx context.Context) (platformID int64, err error) {
	for {
		n, err := l.conn.WaitForNotification(ctx)
		if err != nil {
			return 0, opError("wait for LTI platforms", err)
		}
		if id, err := strconv.ParseInt(n.Payload, 10, 64); err == nil && id > 0 {
			return id, nil
		}
		// Not ours (someone else's NOTIFY on the channel): skip it.
	}
}

// Close closes the listener's connection.
func (l *LTIListener) Close(ctx context.Context) error { return l.conn.Close(ctx) }
