package config

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// secret is a random key made for these tests, published nowhere a deploy
// copies from.
const secret = "9c70db3fe31037cee485e585b282bd9eed1b0dbb3d25acc5ded50275aee9038b"

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env("DATABASE_URL", "postgres://localhost/twelve", "SECRET_KEY", secret))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 {
		t.Errorf("Port = %d, want 8080", c.Port)
	}
	if got, want := c.OIDC.Scopes, []string{"openid", "email", "profile"}; !cmp.Equal(got, want) {
		t.Errorf("Scopes = %v, want %v", got, want)
	}
	if c.OIDC.GroupsClaim != "groups" || c.OIDC.Enabled() {
		t.Errorf("OIDC = %+v, want groups claim and sign-in disabled", c.OIDC)
	}
	if c.LogLevel != slog.LevelInfo || c.LogFormat != "json" {
		t.Errorf("log = %s/%s, want info/json", c.LogLevel, c.LogFormat)
	}
	if c.DrainTimeout != 25*time.Second || c.RequestTimeout != 20*time.Second || c.DatabasePoolSize != 5 {
		t.Errorf("timeouts/pool = %v %v %d", c.DrainTimeout, c.RequestTimeout, c.DatabasePoolSize)
	}
	if c.BaseURL != nil {
		t.Errorf("BaseURL = %v, want nil (derived per request)", c.BaseURL)
	}
	if diff := cmp.Diff(map[string]bool{"DATABASE_URL": true, "SECRET_KEY": true}, c.Given); diff != "" {
		t.Errorf("Given (-want +got):\n%s", diff)
	}
	if c.IsSet("PORT") || !c.IsSet("SECRET_KEY") {
		t.Errorf("IsSet(PORT) = %v, IsSet(SECRET_KEY) = %v; want false, true", c.IsSet("PORT"), c.IsSet("SECRET_KEY"))
	}
	if c.Platform != (Platform{}) {
		t.Errorf("Platform = %+v, want nothing from an environment without it", c.Platform)
	}
}

// TestLoadReadsTheEnvironmentOnce: everything the process needs from the
// environment is in Config, read by Load alone: the settings given (never
// their values, for the config panel), the log level parsed, and what
// Heroku and the Go runtime put there.
func TestLoadReadsTheEnvironmentOnce(t *testing.T) {
	vars := map[string]string{
		"DATABASE_URL": "postgres://localhost/twelve", "SECRET_KEY": secret,
		"PORT": "5000", "LOG_LEVEL": "WARN", "INSTRUCTOR_GROUP": "  ", // blank counts as unset
		"DYNO": "web.2", "HEROKU_RELEASE_VERSION": " v42 ", "GOGC": "off", "GOMEMLIMIT": "1GiB",
	}
	var read []string
	c, err := Load(func(k string) string { read = append(read, k); return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"DATABASE_URL": true, "SECRET_KEY": true, "PORT": true, "LOG_LEVEL": true}, c.Given); diff != "" {
		t.Errorf("Given (-want +got):\n%s", diff)
	}
	if c.LogLevel != slog.LevelWarn {
		t.Errorf("LogLevel = %v, want WARN", c.LogLevel)
	}
	if want := (Platform{Dyno: "web.2", ReleaseVersion: "v42", GOGC: "off", GOMEMLIMIT: "1GiB"}); c.Platform != want {
		t.Errorf("Platform = %+v, want %+v", c.Platform, want)
	}
	for _, k := range []string{"DYNO", "HEROKU_RELEASE_VERSION", "GOGC", "GOMEMLIMIT"} {
		if !slices.Contains(read, k) {
			t.Errorf("Load never read %s", k)
		}
	}
}

func TestLoadValues(t *testing.T) {
	c, err := Load(env(
		"PORT", "5000",
		"DATABASE_URL", "postgresql://u:p@db.example.com:5432/twelve",
		"SECRET_KEY", secret+"new, "+secret+"old",
		"BASE_URL", "https://twelve.example.org/",
		"OIDC_ISSUER_URL", "https://idp.example.org",
		"OIDC_CLIENT_ID", "twelve",
		"OIDC_SCOPES", "openid email",
		"INSTRUCTOR_EMAILS", " Ada@Example.org, b@example.org ,",
		"INSTRUCTOR_GROUP", "teachers",
		"LOG_FORMAT", "TEXT",
	))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 5000 || c.BaseURL.String() != "https://twelve.example.org" {
		t.Errorf("Port %d BaseURL %v", c.Port, c.BaseURL)
	}
	if len(c.SecretKeys) != 2 || string(c.SecretKeys[0]) != secret+"new" {
		t.Errorf("SecretKeys = %q, want the new key first", c.SecretKeys)
	}
	if diff := cmp.Diff([]string{"ada@example.org", "b@example.org"}, c.InstructorEmails); diff != "" {
		t.Errorf("InstructorEmails (-want +got):\n%s", diff)
	}
	if !c.OIDC.Enabled() || c.InstructorGroup != "teachers" || c.LogFormat != "text" {
		t.Errorf("config = %+v", c)
	}
}

func TestLoadErrors(t *testing.T) {
	valid := []string{"DATABASE_URL", "postgres://localhost/twelve", "SECRET_KEY", secret}
	tests := []struct {
		name string
		env  []string
		want []string // every line expected in the error
	}{
		{"nothing set", nil, []string{"DATABASE_URL must be set", "SECRET_KEY must be set"}},
		{"short key", []string{"DATABASE_URL", "postgres://x/y", "SECRET_KEY", "tooshort"}, []string{"SECRET_KEY must be at least 32 bytes (key 1 has 8)"}},
		{"short rotated key", []string{"DATABASE_URL", "postgres://x/y", "SECRET_KEY", secret + ",old"}, []string{"SECRET_KEY must be at least 32 bytes (key 2 has 3)"}},
		{"mysql url", []string{"DATABASE_URL", "mysql://x/y", "SECRET_KEY", secret}, []string{"DATABASE_URL must be a postgres:// or postgresql:// URL"}},
		{"port text", append(valid, "PORT", "eighty"), []string{"PORT must be a whole number from 0 to 65535"}},
		{"port range", append(valid, "PORT", "70000"), []string{"PORT must be a whole number"}},
		{"negative port", append(valid, "PORT", "-1"), []string{"PORT must be a whole number"}},
		{"base url path", append(valid, "BASE_URL", "https://x.org/app"), []string{"BASE_URL must be an origin with no path"}},
		{"base url scheme", append(valid, "BASE_URL", "x.org"), []string{"BASE_URL must be an origin like"}},
		{"issuer without client", append(valid, "OIDC_ISSUER_URL", "https://idp.example.org"), []string{"OIDC_CLIENT_ID must be set when OIDC_ISSUER_URL is set"}},
		{"scopes without openid", append(valid, "OIDC_ISSUER_URL", "https://i.org", "OIDC_CLIENT_ID", "c", "OIDC_SCOPES", "email"), []string{"OIDC_SCOPES must include openid"}},
		{"bad email", append(valid, "INSTRUCTOR_EMAILS", "ada"), []string{`INSTRUCTOR_EMAILS must be comma-separated email addresses ("ada" is not one)`}},
		{"log level", append(valid, "LOG_LEVEL", "loud"), []string{"LOG_LEVEL must be debug, info, warn or error"}},
		{"log format", append(valid, "LOG_FORMAT", "xml"), []string{"LOG_FORMAT must be json or text"}},
		{"pool size", append(valid, "DATABASE_POOL_SIZE", "0"), []string{"DATABASE_POOL_SIZE must be a whole number from 1 to 100"}},
		{"drain", append(valid, "DRAIN_TIMEOUT", "soon"), []string{"DRAIN_TIMEOUT must be a positive duration"}},
		{"idle timeout", append(valid, "SESSION_IDLE_TIMEOUT", "forever"), []string{"SESSION_IDLE_TIMEOUT must be a positive duration"}},
		{"idle timeout too short", append(valid, "SESSION_IDLE_TIMEOUT", "10s"), []string{"SESSION_IDLE_TIMEOUT must be at least 1m (got 10s)"}},
		{"idle past the lifetime", append(valid, "SESSION_IDLE_TIMEOUT", "2h", "SESSION_MAX_LIFETIME", "1h"), []string{"SESSION_IDLE_TIMEOUT (2h0m0s) must not be longer than SESSION_MAX_LIFETIME (1h0m0s)"}},
		{"lifetime past the seal", append(valid, "SESSION_MAX_LIFETIME", "200h"), []string{"SESSION_MAX_LIFETIME must be at most 168h0m0s (got 200h0m0s)"}},

		{"allowed host as URL", append(valid, "ALLOWED_HOSTS", "ok.example.org,https://x.org"), []string{`ALLOWED_HOSTS must be comma-separated host names like twelve.example.org, without scheme, port or path ("https://x.org" is not one)`}},
		{"allowed host with port", append(valid, "ALLOWED_HOSTS", "x.org:443"), []string{`ALLOWED_HOSTS must be comma-separated host names`}},
		{"SAML without BASE_URL", append(valid, "SAML_IDP_METADATA_URL", "https://idp.example.edu/m", "SAML_SP_KEY", "k", "SAML_SP_CERT", "c"), []string{"SAML_SP_KEY must be PEM", "SAML_SP_CERT must be PEM", "BASE_URL must be set when SAML sign-in is on: this site's SAML entity id and audience are made from it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env...))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("got %d problems %q, want %d", len(lines), lines, len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestLoadAllowedHosts: names are kept lower case, IPv6 without brackets.
func TestLoadAllowedHosts(t *testing.T) {
	c, err := Load(env("DATABASE_URL", "postgres://x/y", "SECRET_KEY", secret, "ALLOWED_HOSTS", " Twelve.Example.org, [2001:db8::1] ,"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"twelve.example.org", "2001:db8::1"}, c.AllowedHosts); diff != "" {
		t.Errorf("AllowedHosts (-want +got):\n%s", diff)
	}
}

func TestSettingsHaveUniqueNames(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings {
		if seen[s.Name] {
			t.Errorf("setting %s listed twice", s.Name)
		}
		seen[s.Name] = true
		if s.Description == "" {
			t.Errorf("setting %s has no description", s.Name)
		}
	}
}

// TestPortZero: PORT=0 is accepted, so a process can bind any free port
// and name it in its start-up log (tests run processes this way).
func TestPortZero(t *testing.T) {
	c, err := Load(env("PORT", "0", "DATABASE_URL", "postgres://x/y", "SECRET_KEY", secret))
	if err != nil || c.Port != 0 {
		t.Errorf("PORT=0: Port %d, error %v; want 0 and no error", c.Port, err)
	}
}

// TestShowNeverShowsASecret: `twelve admin config` prints what it is
// given, except secrets and whole documents, and says which are defaults.
func TestShowNeverShowsASecret(t *testing.T) {
	got := map[string]string{}
	for _, s := range Show(env("DATABASE_URL", "postgres://u:hunter2@db/x", "SECRET_KEY", secret, "INSTRUCTOR_GROUP", "staff",
		"SAML_SP_CERT", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")) {
		got[s.Name] = s.Value
	}
	want := map[string]string{
		"DATABASE_URL": "(set, secret)", "SECRET_KEY": "(set, secret)", "INSTRUCTOR_GROUP": "staff",
		"SAML_SP_CERT": "(set, 58 bytes)", "PORT": "8080 (default)", "BASE_URL": "(unset)",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s shown as %q, want %q", name, got[name], w)
		}
	}
	if len(got) != len(Settings) {
		t.Errorf("%d settings shown, want all %d", len(got), len(Settings))
	}
}
