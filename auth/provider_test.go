package auth

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/internal/devidp"
	"github.com/twelve-course/twelve/internal/proctest"
)

// serveDevIDP serves a dev provider on addr until the test ends.
func serveDevIDP(t *testing.T, addr string) *devidp.Server {
	t.Helper()
	srv, ln, err := devidp.Listen(addr, devidp.Options{})
	if err != nil {
		t.Fatalf("devidp.Listen: %v", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return srv
}

// relyingPartyFor is a relying party of the dev provider at issuer, which
// retries quickly and logs into the returned output.
func relyingPartyFor(issuer string) (*RelyingParty, *proctest.Output) {
	logs := &proctest.Output{}
	rp := NewRelyingParty(Options{
		OIDC: config.OIDC{
			IssuerURL: issuer, ClientID: devidp.DefaultClientID, ClientSecret: devidp.DefaultClientSecret,
			Scopes: []string{"openid", "email", "profile"}, GroupsClaim: "groups",
		},
		Logger:   slog.New(slog.NewJSONHandler(logs, nil)),
		RetryMin: 20 * time.Millisecond,
		RetryMax: 100 * time.Millisecond,
	})
	return rp, logs
}

// startDiscovery starts Discover and waits for it.
func startDiscovery(t *testing.T, rp *RelyingParty, logs *proctest.Output) {
	t.Helper()
	go rp.Discover(t.Context())
	waitReady(t, rp, logs)
}

// waitReady waits for the relying party to log its discovery.
func waitReady(t *testing.T, rp *RelyingParty, logs *proctest.Output) {
	t.Helper()
	if logs.WaitEvent(10*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "sign-in provider discovered" }) == nil {
		t.Fatalf("discovery did not succeed within 10 s:\n%s", logs)
	}
	if !rp.Ready() {
		t.Fatal("Ready() = false after the discovery was logged")
	}
}

func TestDiscoverRetriesUntilTheProviderIsUp(t *testing.T) {
	// The provider's address answers every request with 503 until the
	// provider is up: it is down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var provider atomic.Pointer[http.Handler]
	hs := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := provider.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	idp, err := devidp.New(devidp.Options{Issuer: "http://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	rp, logs := relyingPartyFor(idp.Issuer())
	go rp.Discover(t.Context())

	// After the second failed attempt is logged, discovery has failed twice.
	failed := logs.WaitEvent(10*time.Second, func(ev proctest.Event) bool {
		return ev["msg"] == "sign-in provider unreachable; retrying" && ev["attempt"] == float64(2)
	})
	if failed == nil {
		t.Fatalf("no second failed discovery attempt logged within 10 s:\n%s", logs)
	}
	if rp.Ready() {
		t.Fatal("Ready() = true after discovery failed twice and before it succeeded")
	}
	if _, _, err := rp.Begin("http://127.0.0.1/auth/callback", "/", time.Now()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Begin while the provider is down: error %v, want ErrUnavailable", err)
	}

	h := idp.Handler()
	provider.Store(&h)
	waitReady(t, rp, logs)
	_, authURL, err := rp.Begin("http://127.0.0.1/auth/callback", "/lessons/config", time.Now())
	if err != nil {
		t.Fatalf("Begin after the provider came up: %v", err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for _, name := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(name) == "" {
			t.Errorf("authorization URL %s has no %s", authURL, name)
		}
	}
	if got := q.Get("code_challenge_method"); got != "S256" {
		t.Errorf("code_challenge_method = %q, want S256", got)
	}
}

func TestDiscoverStopsWithItsContext(t *testing.T) {
	rp, _ := relyingPartyFor("http://127.0.0.1:1/oidc")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { rp.Discover(ctx); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Discover did not return after its context ended")
	}
}

func TestFinishRefusesBadCallbacks(t *testing.T) {
	srv := serveDevIDP(t, "127.0.0.1:0")
	rp, logs := relyingPartyFor(srv.Issuer())
	startDiscovery(t, rp, logs)
	flow, _, err := rp.Begin("http://127.0.0.1:9/auth/callback", "/", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		params url.Values
		want   error
	}{
		{"missing state", url.Values{"code": {"c"}}, ErrState},
		{"wrong state", url.Values{"code": {"c"}, "state": {"not-" + flow.State}}, ErrState},
		{"provider error", url.Values{"state": {flow.State}, "error": {"access_denied"}}, ErrProviderRefused},
		{"no code", url.Values{"state": {flow.State}}, ErrExchange},
		{"unknown code", url.Values{"state": {flow.State}, "code": {"made-up"}}, ErrExchange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rp.Finish(t.Context(), flow, tt.params)
			if !errors.Is(err, tt.want) {
				t.Errorf("Finish(%v) error = %v, want %v", tt.params, err, tt.want)
			}
		})
	}
}

func TestEndSessionURL(t *testing.T) {
	srv := serveDevIDP(t, "127.0.0.1:0")
	rp, logs := relyingPartyFor(srv.Issuer())
	if _, ok := rp.EndSessionURL("http://127.0.0.1:8080/", ""); ok {
		t.Error("EndSessionURL before discovery: ok = true, want false")
	}
	startDiscovery(t, rp, logs)
	tests := []struct {
		name, hint string
	}{
		{"with hint", "the.id.token"},
		{"without hint", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, ok := rp.EndSessionURL("http://127.0.0.1:8080/", tt.hint)
			if !ok {
				t.Fatal("EndSessionURL: ok = false, want the dev provider's end_session_endpoint")
			}
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if got := q.Get("post_logout_redirect_uri"); got != "http://127.0.0.1:8080/" {
				t.Errorf("post_logout_redirect_uri = %q, want http://127.0.0.1:8080/", got)
			}
			if got := q.Get("id_token_hint"); got != tt.hint {
				t.Errorf("id_token_hint = %q, want %q", got, tt.hint)
			}
			if got := q.Get("client_id"); got != devidp.DefaultClientID {
				t.Errorf("client_id = %q, want %q", got, devidp.DefaultClientID)
			}
		})
	}
}
