package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/store/storetest"
)

// TestClientDisconnectIsNotAnError runs the real binary: a client that
// hangs up while its request is being served leaves one INFO "client went
// away" event and a request event with status 499, and no ERROR.
func TestClientDisconnectIsNotAnError(t *testing.T) {
	p, base := startWeb(t, baseEnv(storetest.NewURL(t)))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_drill/sleep?ms=20000", nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	if p.WaitEvent(10*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "drill sleeping" }) == nil {
		t.Fatalf("the request never reached the handler; logs:\n%s", p.Out)
	}
	cancel()
	<-done
	ev := p.WaitEvent(10*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "request" && ev["path"] == "/_drill/sleep" })
	if ev == nil || ev["status"] != float64(499) {
		t.Fatalf("request event = %v, want status 499; logs:\n%s", ev, p.Out)
	}
	gone := 0
	for _, e := range p.Out.Events() {
		if e["level"] == "ERROR" {
			t.Errorf("logged an error for a client that hung up: %v", e)
		}
		if e["msg"] == "client went away" && e["level"] == "INFO" {
			gone++
		}
	}
	if gone != 1 {
		t.Errorf("%d INFO client went away events, want 1; logs:\n%s", gone, p.Out)
	}
}

// TestOversizedHeadersGet431 runs the real binary: headers a browser could
// send (a 16 KB cookie) are served, while 128 KB of headers are refused
// with 431 before any handler runs.
func TestOversizedHeadersGet431(t *testing.T) {
	_, base := startWeb(t, baseEnv(storetest.NewURL(t)))
	tests := []struct {
		name string
		size int
		want int
	}{
		{"16 KB cookie", 16 << 10, http.StatusOK},
		{"128 KB cookie", 128 << 10, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, base+"/healthz", nil)
			req.Header.Set("Cookie", "big="+strings.Repeat("x", tt.size))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("GET /healthz with a %d-byte cookie = %d, want %d", tt.size, resp.StatusCode, tt.want)
			}
		})
	}
}
