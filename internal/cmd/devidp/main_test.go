package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
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
		{name: "remote addr flag", args: []string{"-addr", "0.0.0.0:5556"}, wantErr: "not loopback"},
		{name: "remote addr env", env: map[string]string{"DEVIDP_ADDR": "192.0.2.1:5556"}, wantErr: "not loopback"},
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
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantPrefix string
	}{
		{name: "flag", args: []string{"-addr", "127.0.0.1:0"}, wantPrefix: "http://127.0.0.1:"},
		{name: "env", env: map[string]string{"DEVIDP_ADDR": "localhost:0"}, wantPrefix: "http://localhost:"},
		{name: "flag beats env", args: []string{"-addr", "127.0.0.1:0"}, env: map[string]string{"DEVIDP_ADDR": "0.0.0.0:1"}, wantPrefix: "http://127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			out, w := io.Pipe()
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, tt.args, func(k string) string { return tt.env[k] }, w)
				_ = w.Close()
			}()

			lines := bufio.NewScanner(out)
			if !lines.Scan() {
				t.Fatalf("no output: %v (run: %v)", lines.Err(), <-done)
			}
			go func() { _, _ = io.Copy(io.Discard, out) }()
			var first struct {
				Msg      string `json:"msg"`
				Addr     string `json:"addr"`
				Issuer   string `json:"issuer"`
				ClientID string `json:"client_id"`
			}
			if err := json.Unmarshal(lines.Bytes(), &first); err != nil {
				t.Fatalf("first line %q is not JSON: %v", lines.Text(), err)
			}
			if first.Msg != "devidp listening" || !strings.HasPrefix(first.Issuer, tt.wantPrefix) || first.ClientID != "twelve-dev" {
				t.Errorf("first line = %+v, want devidp listening, issuer %s…, client_id twelve-dev", first, tt.wantPrefix)
			}
			if _, port, err := net.SplitHostPort(first.Addr); err != nil || port == "0" || !strings.Contains(first.Issuer, ":"+port+"/") {
				t.Errorf("first line addr = %q, want the bound address, whose port the issuer %s names", first.Addr, first.Issuer)
			}

			client := &http.Client{Timeout: 5 * time.Second}
			resp, err := client.Get(first.Issuer + "/.well-known/openid-configuration")
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			var doc struct {
				Issuer string `json:"issuer"`
			}
			err = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			if err != nil || doc.Issuer != first.Issuer {
				t.Errorf("discovery issuer = %q (%v), want %q", doc.Issuer, err, first.Issuer)
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
		})
	}
}
