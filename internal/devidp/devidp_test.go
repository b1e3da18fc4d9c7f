package devidp_test

import (
	"strings"
	"testing"

	"github.com/twelve-course/twelve/internal/devidp"
)

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       devidp.Options
		wantErr    string
		wantIssuer string
	}{
		{name: "defaults", opts: devidp.Options{Issuer: "http://127.0.0.1:5556"}, wantIssuer: "http://127.0.0.1:5556/oidc"},
		{name: "issuer with /oidc", opts: devidp.Options{Issuer: "http://localhost:5556/oidc"}, wantIssuer: "http://localhost:5556/oidc"},
		{name: "IPv6 loopback", opts: devidp.Options{Issuer: "http://[::1]:5556/"}, wantIssuer: "http://[::1]:5556/oidc"},
		{name: "no issuer", opts: devidp.Options{}, wantErr: "Issuer is required"},
		{name: "https issuer", opts: devidp.Options{Issuer: "https://127.0.0.1:5556"}, wantErr: "want an http:// URL"},
		{name: "remote issuer", opts: devidp.Options{Issuer: "http://idp.example:5556"}, wantErr: "loopback"},
		{name: "issuer with path", opts: devidp.Options{Issuer: "http://127.0.0.1:5556/auth"}, wantErr: "no path"},
		{name: "empty accounts", opts: devidp.Options{Issuer: "http://127.0.0.1:1", Accounts: []devidp.Account{}}, wantErr: "Accounts is empty"},
		{
			name:    "duplicate subject",
			opts:    devidp.Options{Issuer: "http://127.0.0.1:1", Accounts: []devidp.Account{{Subject: "a"}, {Subject: "a"}}},
			wantErr: `subject "a" appears twice`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := devidp.New(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := srv.Issuer(); got != tt.wantIssuer {
				t.Errorf("Issuer() = %q, want %q", got, tt.wantIssuer)
			}
			if srv.ClientID() != devidp.DefaultClientID || srv.ClientSecret() != devidp.DefaultClientSecret {
				t.Errorf("client = %q/%q, want the defaults", srv.ClientID(), srv.ClientSecret())
			}
		})
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		addr    string
		wantErr bool
	}{
		{name: "127.0.0.1", addr: "127.0.0.1:0"},
		{name: "localhost", addr: "localhost:0"},
		{name: "all interfaces", addr: ":0", wantErr: true},
		{name: "0.0.0.0", addr: "0.0.0.0:0", wantErr: true},
		{name: "remote address", addr: "192.0.2.1:0", wantErr: true},
		{name: "no port", addr: "127.0.0.1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ln, err := devidp.Listen(tt.addr, devidp.Options{})
			if tt.wantErr {
				if err == nil {
					_ = ln.Close()
					t.Fatalf("Listen(%q) succeeded, want an error", tt.addr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Listen(%q): %v", tt.addr, err)
			}
			defer ln.Close()
			host := strings.SplitN(tt.addr, ":", 2)[0]
			if !strings.HasPrefix(srv.Issuer(), "http://"+host+":") || strings.HasSuffix(srv.Issuer(), ":0/oidc") {
				t.Errorf("Issuer() = %q, want http://%s:<bound port>/oidc", srv.Issuer(), host)
			}
		})
	}
}

func TestDemoAccounts(t *testing.T) {
	t.Parallel()
	got := map[string]string{}
	for _, a := range devidp.DemoAccounts() {
		got[a.Subject] = a.Email + " " + strings.Join(a.Groups, ",")
	}
	want := map[string]string{
		"student-ada":     "ada@example.edu students",
		"student-brook":   "brook@example.edu students",
		"instructor-ines": "ines@example.edu instructors",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d accounts, want %d", len(got), len(want))
	}
	for subject, w := range want {
		if got[subject] != w {
			t.Errorf("%s: got %q, want %q", subject, got[subject], w)
		}
	}
}
