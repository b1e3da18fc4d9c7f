package config

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestSecureDatabaseURL checks a DATABASE_URL without sslmode is reached
// over TLS, with no plaintext fallback, unless the database is on this
// machine.
func TestSecureDatabaseURL(t *testing.T) {
	tests := []struct {
		name, in    string
		wantSSLMode string
	}{
		{"Heroku Postgres", "postgres://u:p@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d8abc", "require"},
		{"postgresql scheme", "postgresql://u@db.example.com/twelve", "require"},
		{"remote IPv4", "postgres://u@192.0.2.10:5432/twelve", "require"},
		{"private address is still the network", "postgres://u@10.0.0.5/twelve", "require"},
		{"remote IPv6", "postgres://u@[2001:db8::5]:5432/twelve", "require"},
		{"name that only starts with localhost", "postgres://u@localhost.example.com/twelve", "require"},
		{"several hosts", "postgres://u@db1.example.com,db2.example.com/twelve", "require"},
		{"remote host param", "postgres://u@localhost/twelve?host=db.example.com", "require"},
		{"localhost", "postgres://u@localhost:5432/twelve", "disable"},
		{"127.0.0.1", "postgres://u@127.0.0.1:5432/twelve", "disable"},
		{"other loopback address", "postgres://u@127.0.0.2/twelve", "disable"},
		{"::1", "postgres://u@[::1]:5432/twelve", "disable"},
		{"no host: libpq's default socket", "postgres:///twelve", "disable"},
		{"unix socket host param", "postgres:///twelve?host=/var/run/postgresql", "disable"},
		{"explicit verify-full kept", "postgres://u@db.example.com/twelve?sslmode=verify-full", "verify-full"},
		{"explicit disable on a remote host kept", "postgres://u@db.example.com/twelve?sslmode=disable", "disable"},
		{"explicit require on loopback kept", "postgres://u@127.0.0.1/twelve?sslmode=require", "require"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env("DATABASE_URL", tt.in, "SECRET_KEY", secret))
			if err != nil {
				t.Fatalf("Load with DATABASE_URL=%q: %v", tt.in, err)
			}
			got := c.DatabaseURL
			u, err := url.Parse(got)
			if err != nil {
				t.Fatalf("DatabaseURL from %q = %q, not a URL: %v", tt.in, got, err)
			}
			if mode := u.Query().Get("sslmode"); mode != tt.wantSSLMode {
				t.Errorf("DatabaseURL from %q = %q: sslmode %q, want %q", tt.in, got, mode, tt.wantSSLMode)
			}
			// What pgx makes of it: TLS on every attempt, or on none.
			pc, err := pgconn.ParseConfig(got)
			if err != nil {
				t.Fatalf("pgconn.ParseConfig(%q): %v", got, err)
			}
			plain, tls := 0, 0
			for _, c := range append([]*pgconn.FallbackConfig{{TLSConfig: pc.TLSConfig}}, pc.Fallbacks...) {
				if c.TLSConfig == nil {
					plain++
				} else {
					tls++
				}
			}
			switch tt.wantSSLMode {
			case "require", "verify-full":
				if plain > 0 && !socketOnly(pc) {
					t.Errorf("DatabaseURL from %q = %q: pgx may connect in plain text (%d of %d attempts)", tt.in, got, plain, plain+tls)
				}
			case "disable":
				if tls > 0 {
					t.Errorf("DatabaseURL from %q = %q: pgx would try TLS on a local connection", tt.in, got)
				}
			}
			// Everything but sslmode is left as it was.
			in, _ := url.Parse(tt.in)
			q := u.Query()
			if in.Query().Get("sslmode") == "" {
				q.Del("sslmode")
			}
			if u.Scheme != in.Scheme || u.User.String() != in.User.String() || u.Host != in.Host || u.Path != in.Path || q.Encode() != in.Query().Encode() {
				t.Errorf("DatabaseURL from %q = %q, changed more than sslmode", tt.in, got)
			}
		})
	}
}

// socketOnly reports whether every host pgx would try is a unix socket,
// where TLS does not apply.
func socketOnly(pc *pgconn.Config) bool {
	if !strings.HasPrefix(pc.Host, "/") {
		return false
	}
	for _, f := range pc.Fallbacks {
		if !strings.HasPrefix(f.Host, "/") {
			return false
		}
	}
	return true
}

func TestLoadRefusesOtherDatabaseSchemes(t *testing.T) {
	for _, in := range []string{"mysql://u@db.example.com/twelve", "db.example.com:5432", "://"} {
		if c, err := Load(env("DATABASE_URL", in, "SECRET_KEY", secret)); err == nil || !strings.Contains(err.Error(), "DATABASE_URL must be a postgres:// or postgresql:// URL") {
			t.Errorf("Load with DATABASE_URL=%q = %q, %v; want the scheme refused", in, c.DatabaseURL, err)
		}
	}
}
