// Package config reads every setting of Twelve from the environment, once,
// and validates them in one place (factor III). Nothing else in the program
// calls os.Getenv.
package config

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is the validated configuration of one process.
type Config struct {
	Port int
	// DatabaseURL is DATABASE_URL with its sslmode made explicit (see
	// secureDatabaseURL): the URL to dial.
	DatabaseURL string
	// SecretKeys sign and encrypt cookies and tokens: the first signs, all verify.
	SecretKeys [][]byte
	// BaseURL is the public origin, or nil to derive it per request.
	BaseURL *url.URL
	// AllowedHosts are the host names (lower case, no port) this site
	// answers to besides BaseURL's and loopback; empty answers any.
	AllowedHosts []string

	OIDC OIDC
	SAML SAML

	// LTIKeys are the LTI tool's signing keys from LTI_PRIVATE_KEY, in
	// order: the first signs, all are published. Nil when unset: the tool
	// then uses a key it generates once and keeps in the database.
	LTIKeys []*rsa.PrivateKey

	InstructorEmails []string
	InstructorGroup  string

	// SessionIdleTimeout signs out whoever made no request for this long.
	SessionIdleTimeout time.Duration
	// SessionMaxLifetime ends every sign-in this long after it was made,
	// however active; group changes at the provider show within it.
	SessionMaxLifetime time.Duration

	LogLevel  slog.Level
	LogFormat string

	// DatabasePoolSize bounds the connections one process opens.
	DatabasePoolSize int
	// DrainTimeout bounds how long a stopping process waits for requests in flight.
	DrainTimeout time.Duration
	// RequestTimeout bounds one request's handler; it must stay well under the
	// router's 30 s so the user gets a friendly page, not a router error.
	RequestTimeout time.Duration

	// Given holds the names of the settings the environment gave a value
	// (the others take their default, or none): the config panel shows it.
	Given map[string]bool
	// Platform is what the platform and the Go runtime say to this process.
	Platform Platform
}

// IsSet reports whether the environment gave the setting a value.
func (c Config) IsSet(name string) bool { return c.Given[name] }

// Platform is what Heroku and the Go runtime put in the environment beside
// Twelve's own settings. Nobody sets these for Twelve, so they are not in
// Settings, app.json or the README's table.
type Platform struct {
	// Dyno is DYNO, the dyno's name on Heroku ("web.1"), or "".
	Dyno string
	// ReleaseVersion is HEROKU_RELEASE_VERSION ("v42") where Heroku's dyno
	// metadata is on, or "".
	ReleaseVersion string
	// GOGC and GOMEMLIMIT are the Go runtime's own settings as given, or
	// "". The runtime reads them itself; the web process tunes the
	// collector only where they are unset.
	GOGC, GOMEMLIMIT string
}

// OIDC holds the identity provider settings. Sign-in is disabled when
// IssuerURL is empty.
type OIDC struct {
	IssuerURL    string
	ClientID     string
	ClientSecret string
	Scopes       []string
	GroupsClaim  string
}

// Enabled reports whether an OpenID provider is configured.
func (o OIDC) Enabled() bool { return o.IssuerURL != "" }

// SignInEnabled reports whether any identity provider is configured.
func (c Config) SignInEnabled() bool { return c.OIDC.Enabled() || c.SAML.Enabled() }

// Setting describes one environment variable Twelve reads.
type Setting struct {
	Name        string
	Default     string
	Required    bool
	Secret      bool
	Description string
}

// Settings lists every variable Load reads, in the order of the README's table.
// app.json and .env.example are checked against it by tests.
var Settings = []Setting{
	{Name: "PORT", Default: "8080", Description: "Port to bind; 0 binds any free port, which the start-up log names."},
	{Name: "DATABASE_URL", Required: true, Secret: true, Description: "PostgreSQL connection URL; TLS is required unless the host is local or sslmode says otherwise."},
	{Name: "SECRET_KEY", Required: true, Secret: true, Description: "At least 32 random bytes (openssl rand -hex 32); published and guessable keys are refused; a comma-separated list rotates keys: the first signs, all verify."},
	{Name: "BASE_URL", Description: "Public origin, e.g. https://x.herokuapp.com; derived per request when unset."},
	{Name: "ALLOWED_HOSTS", Description: "Comma-separated host names this site answers to (besides BASE_URL's and loopback); other hosts get 421. Any host when unset."},
	{Name: "OIDC_ISSUER_URL", Description: "OpenID Connect issuer; sign-in is disabled when unset."},
	{Name: "OIDC_CLIENT_ID", Description: "Client ID registered with the provider."},
	{Name: "OIDC_CLIENT_SECRET", Secret: true, Description: "Client secret registered with the provider."},
	{Name: "OIDC_SCOPES", Default: "openid email profile", Description: "Scopes requested at sign-in."},
	{Name: "OIDC_GROUPS_CLAIM", Default: "groups", Description: "ID token or userinfo claim holding the user's groups."},
	{Name: "SAML_IDP_METADATA_URL", Description: "SAML identity provider's metadata URL (https); SAML sign-in is off unless this or SAML_IDP_METADATA is set."},
	{Name: "SAML_IDP_METADATA", Description: "The SAML identity provider's metadata XML itself, instead of SAML_IDP_METADATA_URL."},
	{Name: "SAML_SP_KEY", Secret: true, Description: "PEM RSA private key this site signs SAML requests and decrypts assertions with; required with SAML."},
	{Name: "SAML_SP_CERT", Description: "PEM certificate of SAML_SP_KEY, published in this site's SAML metadata; required with SAML."},
	{Name: "SAML_EMAIL_ATTRIBUTE", Default: DefaultSAMLEmailAttributes, Description: "SAML attribute names holding the email, comma-separated, tried in order."},
	{Name: "SAML_NAME_ATTRIBUTE", Default: DefaultSAMLNameAttributes, Description: "SAML attribute names holding the display name, comma-separated, tried in order."},
	{Name: "SAML_GROUPS_ATTRIBUTE", Default: DefaultSAMLGroupsAttributes, Description: "SAML attribute names holding the user's groups, comma-separated; the values of all count."},
	{Name: "SAML_USER_ID_ATTRIBUTE", Description: "SAML attribute holding a lasting user ID (e.g. eduPersonPrincipalName); the NameID when unset."},
	{Name: "SAML_ALLOW_IDP_INITIATED", Default: "false", Description: "true accepts sign-ins started at the identity provider (unsolicited responses)."},
	{Name: "LTI_PRIVATE_KEY", Secret: true, Description: "PEM RSA private keys (2048 bits or more) the LTI tool signs with, the first signs, all are published at /lti/jwks; one generated once and kept in the database when unset."},
	{Name: "INSTRUCTOR_EMAILS", Description: "Comma-separated emails of instructors."},
	{Name: "INSTRUCTOR_GROUP", Description: "Members of this group are instructors."},
	{Name: "SESSION_IDLE_TIMEOUT", Default: "30m", Description: "Sign out whoever made no request for this long (1m to SESSION_MAX_LIFETIME)."},
	{Name: "SESSION_MAX_LIFETIME", Default: "12h", Description: "End every sign-in this long after it was made, however active (at most 168h); group changes at the provider show within it."},
	{Name: "LOG_LEVEL", Default: "info", Description: "debug, info, warn or error."},
	{Name: "LOG_FORMAT", Default: "json", Description: "json or text."},
	{Name: "DATABASE_POOL_SIZE", Default: "5", Description: "Most database connections one process opens."},
	{Name: "DRAIN_TIMEOUT", Default: "25s", Description: "How long a stopping process lets requests in flight finish."},
	{Name: "REQUEST_TIMEOUT", Default: "20s", Description: "Longest time one request may take before a 503 page."},
}

// Load reads and validates the configuration. It reports every problem at
// once, each naming the variable and what was expected.
func Load(getenv func(string) string) (Config, error) {
	var c Config
	c.Given = map[string]bool{}
	for _, s := range Settings {
		if strings.TrimSpace(getenv(s.Name)) != "" {
			c.Given[s.Name] = true
		}
	}
	get := func(name string) string {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			for _, s := range Settings {
				if s.Name == name {
					return s.Default
				}
			}
		}
		return v
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	c.Port = intSetting(get, "PORT", 0, 65535, fail)
	if raw := get("DATABASE_URL"); raw == "" {
		fail("DATABASE_URL must be set to a PostgreSQL URL (postgres://user:pass@host:5432/db)")
	} else if u, err := url.Parse(raw); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		fail("DATABASE_URL must be a postgres:// or postgresql:// URL")
	} else {
		c.DatabaseURL = secureDatabaseURL(u)
	}

	if raw := get("SECRET_KEY"); raw == "" {
		fail("SECRET_KEY must be set to at least 32 bytes (e.g. openssl rand -hex 32)")
	} else {
		for i, k := range strings.Split(raw, ",") {
			k = strings.TrimSpace(k)
			if len(k) < 32 {
				fail("SECRET_KEY must be at least 32 bytes (key %d has %d)", i+1, len(k))
				continue
			}
			if err := checkSecretKey(i+1, k); err != nil {
				errs = append(errs, err)
				continue
			}
			c.SecretKeys = append(c.SecretKeys, []byte(k))
		}
	}

	if raw := get("BASE_URL"); raw != "" {
		u, err := url.Parse(raw)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			fail("BASE_URL must be an origin like https://twelve.example.org")
		case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
			fail("BASE_URL must be an origin with no path, query or fragment")
		default:
			c.BaseURL = &url.URL{Scheme: u.Scheme, Host: u.Host}
		}
	}

	for _, h := range splitList(get("ALLOWED_HOSTS")) {
		if ip, ok := strings.CutPrefix(h, "["); ok && strings.HasSuffix(ip, "]") {
			h = strings.TrimSuffix(ip, "]") // an IPv6 address
		} else if strings.ContainsAny(h, "/@: ") {
			fail("ALLOWED_HOSTS must be comma-separated host names like twelve.example.org, without scheme, port or path (%q is not one)", h)
			continue
		}
		c.AllowedHosts = append(c.AllowedHosts, strings.ToLower(h))
	}

	c.OIDC = OIDC{
		IssuerURL:    get("OIDC_ISSUER_URL"),
		ClientID:     get("OIDC_CLIENT_ID"),
		ClientSecret: get("OIDC_CLIENT_SECRET"),
		Scopes:       strings.Fields(get("OIDC_SCOPES")),
		GroupsClaim:  get("OIDC_GROUPS_CLAIM"),
	}
	if c.OIDC.IssuerURL != "" {
		if u, err := url.Parse(c.OIDC.IssuerURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail("OIDC_ISSUER_URL must be an http(s) URL")
		}
		if c.OIDC.ClientID == "" {
			fail("OIDC_CLIENT_ID must be set when OIDC_ISSUER_URL is set")
		}
		if !slices.Contains(c.OIDC.Scopes, "openid") {
			fail("OIDC_SCOPES must include openid")
		}
	}

	c.SAML = loadSAML(get, fail)
	if c.SAML.Enabled() && !c.Given["BASE_URL"] {
		// The entity id and the audience every assertion must name are made
		// from it: taken from the Host header, an assertion issued to another
		// site could be replayed here under that site's host name.
		fail("BASE_URL must be set when SAML sign-in is on: this site's SAML entity id and audience are made from it")
	}

	c.LTIKeys = loadLTIKeys(get, fail)

	c.InstructorEmails = splitList(get("INSTRUCTOR_EMAILS"))
	for i, e := range c.InstructorEmails {
		if !strings.Contains(e, "@") {
			fail("INSTRUCTOR_EMAILS must be comma-separated email addresses (%q is not one)", e)
		}
		c.InstructorEmails[i] = strings.ToLower(e)
	}
	c.InstructorGroup = get("INSTRUCTOR_GROUP")

	c.SessionIdleTimeout = durationSetting(get, "SESSION_IDLE_TIMEOUT", fail)
	c.SessionMaxLifetime = durationSetting(get, "SESSION_MAX_LIFETIME", fail)
	switch {
	case c.SessionMaxLifetime > maxSessionLifetime:
		fail("SESSION_MAX_LIFETIME must be at most %s (got %s)", maxSessionLifetime, c.SessionMaxLifetime)
	case c.SessionIdleTimeout > 0 && c.SessionIdleTimeout < time.Minute:
		fail("SESSION_IDLE_TIMEOUT must be at least 1m (got %s)", c.SessionIdleTimeout)
	case c.SessionIdleTimeout > c.SessionMaxLifetime && c.SessionMaxLifetime > 0:
		fail("SESSION_IDLE_TIMEOUT (%s) must not be longer than SESSION_MAX_LIFETIME (%s)", c.SessionIdleTimeout, c.SessionMaxLifetime)
	}

	c.LogLevel = logLevel(get("LOG_LEVEL"), fail)
	c.LogFormat = strings.ToLower(get("LOG_FORMAT"))
	if c.LogFormat != "json" && c.LogFormat != "text" {
		fail("LOG_FORMAT must be json or text")
	}

	c.DatabasePoolSize = intSetting(get, "DATABASE_POOL_SIZE", 1, 100, fail)
	c.DrainTimeout = durationSetting(get, "DRAIN_TIMEOUT", fail)
	c.RequestTimeout = durationSetting(get, "REQUEST_TIMEOUT", fail)

	c.Platform = Platform{
		Dyno:           strings.TrimSpace(getenv("DYNO")),
		ReleaseVersion: strings.TrimSpace(getenv("HEROKU_RELEASE_VERSION")),
		GOGC:           strings.TrimSpace(getenv("GOGC")),
		GOMEMLIMIT:     strings.TrimSpace(getenv("GOMEMLIMIT")),
	}

	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// maxSessionLifetime is the longest SESSION_MAX_LIFETIME: the identity
// cookie's seal refuses anything older (auth.IdentityTTL).
const maxSessionLifetime = 7 * 24 * time.Hour

// secureDatabaseURL returns u with sslmode=require added when it names no
// sslmode and its host is neither loopback nor a unix socket, so that a
// remote database is never reached in plain text by accident; a local one
// gets sslmode=disable.
func secureDatabaseURL(u *url.URL) string {
	q := u.Query()
	if q.Get("sslmode") != "" {
		return u.String()
	}
	if isLocalHost(u.Hostname()) && isLocalHost(q.Get("host")) {
		q.Set("sslmode", "disable")
	} else {
		q.Set("sslmode", "require")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func isLocalHost(host string) bool {
	if host == "" || host == "localhost" || strings.HasPrefix(host, "/") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logLevel parses LOG_LEVEL: one of four names, any case.
func logLevel(s string, fail func(string, ...any)) slog.Level {
	levels := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}
	l, ok := levels[strings.ToLower(s)]
	if !ok {
		fail("LOG_LEVEL must be debug, info, warn or error (got %q)", s)
	}
	return l
}

// Shown is one setting as `twelve admin config` prints it.
type Shown struct{ Name, Value string }

// Show lists every setting as the environment gives it: its value when
// harmless, "(set, secret)" for secrets, the default when unset. It shows
// what Load would refuse too, so that a bad setting can be seen.
func Show(getenv func(string) string) []Shown {
	out := make([]Shown, 0, len(Settings))
	for _, s := range Settings {
		raw := strings.TrimSpace(getenv(s.Name))
		var shown string
		switch {
		case raw == "" && s.Default != "":
			shown = s.Default + " (default)"
		case raw == "":
			shown = "(unset)"
		case s.Secret:
			shown = "(set, secret)"
		case strings.Contains(raw, "\n") || len(raw) > 200:
			// PEM certificates and metadata XML: too long to be of use here.
			shown = fmt.Sprintf("(set, %d bytes)", len(raw))
		default:
			shown = raw
		}
		out = append(out, Shown{Name: s.Name, Value: shown})
	}
	return out
}

func intSetting(get func(string) string, name string, lo, hi int, fail func(string, ...any)) int {
	n, err := strconv.Atoi(get(name))
	if err != nil || n < lo || n > hi {
		fail("%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n
}

func durationSetting(get func(string) string, name string, fail func(string, ...any)) time.Duration {
	d, err := time.ParseDuration(get(name))
	if err != nil || d <= 0 {
		fail("%s must be a positive duration such as 25s", name)
	}
	return d
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
