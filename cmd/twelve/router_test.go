package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/config"
	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/store/storetest"
)

// Heroku's router keeps an idle connection to a dyno for up to 90 s and
// gives up on a request that has no answer after 30 s.
const (
	routerIdleTimeout    = 90 * time.Second
	routerRequestTimeout = 30 * time.Second
)

func TestHTTPServerOutlastsRouter(t *testing.T) {
	tests := []struct {
		name           string
		requestTimeout string // REQUEST_TIMEOUT; "" for the default
	}{
		{"default request timeout", ""},
		{"short request timeout", "200ms"},
		{"request timeout at the router's limit", "29s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": "postgres://localhost/twelve", "SECRET_KEY": testSecret, "REQUEST_TIMEOUT": tt.requestTimeout}
			cfg, err := config.Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			handler := http.NotFoundHandler()
			srv := newHTTPServer(cfg, handler, slog.New(slog.DiscardHandler))
			if srv.IdleTimeout <= routerIdleTimeout {
				t.Errorf("IdleTimeout = %s, want more than the router's %s so the router closes idle connections first", srv.IdleTimeout, routerIdleTimeout)
			}
			if srv.WriteTimeout <= cfg.RequestTimeout {
				t.Errorf("WriteTimeout = %s, want more than REQUEST_TIMEOUT %s so the 503 page can still be written", srv.WriteTimeout, cfg.RequestTimeout)
			}
			if srv.ReadHeaderTimeout <= 0 || srv.ReadHeaderTimeout >= routerRequestTimeout {
				t.Errorf("ReadHeaderTimeout = %s, want set and under %s", srv.ReadHeaderTimeout, routerRequestTimeout)
			}
			if srv.ErrorLog == nil {
				t.Error("ErrorLog is nil: net/http's own errors would go to stderr, not the JSON log")
			}
			if srv.Handler == nil {
				t.Error("Handler is nil")
			}
		})
	}
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://localhost/twelve", "SECRET_KEY": testSecret}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RequestTimeout >= routerRequestTimeout {
		t.Errorf("default REQUEST_TIMEOUT = %s, want well under the router's %s", cfg.RequestTimeout, routerRequestTimeout)
	}
}

// TestSlowRequestGetsFriendly503 runs the real binary with a short
// REQUEST_TIMEOUT: a handler that would take 2 s is cut off and the user
// gets the friendly page, long before the router's own error at 30 s.
func TestSlowRequestGetsFriendly503(t *testing.T) {
	env := append(baseEnv(storetest.NewURL(t)), "REQUEST_TIMEOUT=200ms")
	p, base := startWeb(t, env)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(base + "/_drill/sleep?ms=2000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503; body:\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(string(body), "<h1>Busy for a moment</h1>") || strings.Contains(string(body), "slept") {
		t.Errorf("body is not the friendly 503 page:\n%s", body)
	}
	if got := resp.Header.Get("Retry-After"); got == "" {
		t.Error("no Retry-After header on the 503")
	}
	ev := p.WaitEvent(2*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "request" && ev["path"] == "/_drill/sleep" })
	if ev == nil || ev["status"] != float64(503) {
		t.Errorf("request event = %v, want status 503; logs:\n%s", ev, p.Out)
	}
}

// TestClientIPFromRouter shows what the request log records as remote_ip
// when the router (here: a loopback peer) forwards X-Forwarded-For: the
// address the router saw, never one the client wrote in front of it.
func TestClientIPFromRouter(t *testing.T) {
	p, base := startWeb(t, baseEnv(storetest.NewURL(t)))
	tests := []struct {
		name string
		xff  string
		want string
	}{
		{"router's hop", "203.0.113.7", "203.0.113.7"},
		{"spoofed chain", "1.2.3.4, 203.0.113.7", "203.0.113.7"},
		{"no header", "", "127.0.0.1"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "xff-test-" + string(rune('a'+i))
			req, err := http.NewRequest("GET", base+"/healthz", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Request-Id", id)
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			ev := p.WaitEvent(2*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "request" && ev["request_id"] == id })
			if ev == nil {
				t.Fatalf("no request event with request_id %s; logs:\n%s", id, p.Out)
			}
			if ev["remote_ip"] != tt.want {
				t.Errorf("remote_ip = %v, want %s", ev["remote_ip"], tt.want)
			}
		})
	}
}
