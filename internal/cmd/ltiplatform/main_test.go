package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRunRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "remote addr flag", args: []string{"-addr", "0.0.0.0:5557"}, wantErr: "not loopback"},
		{name: "remote addr env", env: map[string]string{"LTIPLATFORM_ADDR": "192.0.2.1:5557"}, wantErr: "not loopback"},
		{name: "tool URL with a path", args: []string{"-addr", "127.0.0.1:0", "-tool", "http://localhost:8080/lti"}, wantErr: "ToolURL"},
		{name: "unknown flag", args: []string{"-port", "1"}, wantErr: "flag provided but not defined"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t.Context(), tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	env := map[string]string{"LTIPLATFORM_TOOL_URL": "http://localhost:9999"}
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-client-id", "c1"}, func(k string) string { return env[k] }, w)
		_ = w.Close()
	}()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatalf("no output: %v (run: %v)", lines.Err(), <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	var first struct {
		Msg      string `json:"msg"`
		Issuer   string `json:"issuer"`
		ClientID string `json:"client_id"`
		Tool     string `json:"tool"`
	}
	if err := json.Unmarshal(lines.Bytes(), &first); err != nil {
		t.Fatalf("first line %q is not JSON: %v", lines.Text(), err)
	}
	if first.Msg != "ltiplatform listening" || !strings.HasPrefix(first.Issuer, "http://127.0.0.1:") || first.ClientID != "c1" || first.Tool != "http://localhost:9999" {
		t.Errorf("first line = %+v", first)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(first.Issuer + "/launch?user=instructor&deep=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `action="http://localhost:9999/lti/login"`) {
		t.Errorf("launch page: %s %s", resp.Status, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}
