package devlog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRequests: one line a request, with the status sent and the path
// without its query string.
func TestRequests(t *testing.T) {
	var buf bytes.Buffer
	h := Requests(slog.New(slog.NewJSONHandler(&buf, nil)), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/auth?state=secret&nonce=n", nil))
	var line struct {
		Msg, Method, Path string
		Status            int
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if line.Msg != "request" || line.Method != "GET" || line.Path != "/auth" || line.Status != http.StatusTeapot {
		t.Errorf("logged %+v", line)
	}
	if bytes.Contains(buf.Bytes(), []byte("secret")) {
		t.Errorf("the query string was logged: %s", buf.String())
	}
}
