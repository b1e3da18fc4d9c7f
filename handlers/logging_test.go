package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/store/storetest"
)

// TestLogRequestIDs: an event logged with a request's context carries its
// request id once, however the logger was derived; one logged without
// carries none.
func TestLogRequestIDs(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(logRequestIDs(logRequestIDs(slog.NewJSONHandler(&buf, nil))))
	ctx := withRequestID(context.Background(), "req-1")
	tests := []struct {
		name string
		log  func()
		want string // request_id, or "" for none
	}{
		{"with the request's context", func() { logger.InfoContext(ctx, "event") }, "req-1"},
		{"derived logger", func() { logger.With("quiz", "logs").WithGroup("g").InfoContext(ctx, "event", "k", "v") }, "req-1"},
		{"without a request", func() { logger.Info("event") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			tt.log()
			line := buf.String()
			if n := strings.Count(line, `"request_id"`); tt.want == "" && n != 0 || tt.want != "" && n != 1 {
				t.Fatalf("request_id appears %d times in %s", n, line)
			}
			if tt.want != "" && !strings.Contains(line, `"request_id":"`+tt.want+`"`) {
				t.Errorf("log line %s lacks request_id %q", line, tt.want)
			}
		})
	}
}

// TestEventsOfARequestShareItsID: an event a handler logs along the way
// (here: a refused identity cookie) names the same request id as the
// request's own event, without the handler passing it.
func TestEventsOfARequestShareItsID(t *testing.T) {
	var logs bytes.Buffer
	e := foundationApp(t, storetest.NewURL(t), &logs)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Request-Id", "req-shared-7")
	r.Header.Set("Cookie", auth.IdentityCookie+"=not-a-sealed-value")
	serve(e, r)
	msgs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		id, _ := ev["request_id"].(string)
		msgs[ev["msg"].(string)] = id
	}
	for _, msg := range []string{"identity cookie refused", "request"} {
		if msgs[msg] != "req-shared-7" {
			t.Errorf("event %q has request_id %q, want req-shared-7; events: %v", msg, msgs[msg], msgs)
		}
	}
}
