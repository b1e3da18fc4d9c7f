package handlers

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/store/storetest"
)

// TestClientIPBehindRouter checks the remote_ip the request log records.
// Heroku's router reaches a dyno from a private address and appends the
// client's address to X-Forwarded-For, so only the last hop is believed,
// and only when the peer is private or loopback. (cmd/twelve's
// TestClientIPFromRouter shows the same through the real binary.)
func TestClientIPBehindRouter(t *testing.T) {
	var logs bytes.Buffer
	e := foundationApp(t, storetest.NewURL(t), &logs)
	tests := []struct {
		name, peer, xff, want string
	}{
		{"router on a private address", "10.1.2.3:40000", "203.0.113.7", "203.0.113.7"},
		{"router on loopback", "127.0.0.1:40000", "203.0.113.7", "203.0.113.7"},
		{"client-written hop in front of the router's", "10.1.2.3:40000", "1.2.3.4, 203.0.113.7", "203.0.113.7"},
		{"client-written private hop", "10.1.2.3:40000", "10.9.9.9, 203.0.113.7", "203.0.113.7"},
		{"two headers", "10.1.2.3:40000", "1.2.3.4\n203.0.113.7", "203.0.113.7"},
		{"no router: a public peer's header is ignored", "198.51.100.9:40000", "203.0.113.7", "198.51.100.9"},
		{"no header", "10.1.2.3:40000", "", "10.1.2.3"},
		{"unparsable hop", "10.1.2.3:40000", "not-an-ip", "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			r := httptest.NewRequest("GET", "/healthz", nil)
			r.RemoteAddr = tt.peer
			for _, v := range strings.Split(tt.xff, "\n") {
				if v != "" {
					r.Header.Add("X-Forwarded-For", v)
				}
			}
			serve(e, r)
			var ev struct {
				Msg      string `json:"msg"`
				RemoteIP string `json:"remote_ip"`
			}
			if err := json.Unmarshal(bytes.TrimSpace(logs.Bytes()), &ev); err != nil || ev.Msg != "request" {
				t.Fatalf("want one request event, got %q (%v)", logs.String(), err)
			}
			if ev.RemoteIP != tt.want {
				t.Errorf("remote_ip = %q, want %q", ev.RemoteIP, tt.want)
			}
		})
	}
}
