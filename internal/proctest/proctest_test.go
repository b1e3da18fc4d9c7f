package proctest

import (
	"fmt"
	"testing"
	"time"
)

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Event
	}{
		{"json", `{"msg":"listening","addr":"[::]:41234","startup_ms":12.5}`, Event{"msg": "listening", "addr": "[::]:41234", "startup_ms": 12.5}},
		{"text", `time=2026-12-05T04:00:00Z level=INFO msg=listening addr=[::]:41234`, Event{"time": "2026-12-05T04:00:00Z", "level": "INFO", "msg": "listening", "addr": "[::]:41234"}},
		{"text quoted", `level=WARN msg="database unreachable at start" error="dial: refused"`, Event{"level": "WARN", "msg": "database unreachable at start", "error": "dial: refused"}},
		{"prose", "twelve: SECRET_KEY must be set", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseEvent(tt.line)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("parseEvent(%q) = %v, want %v", tt.line, got, tt.want)
			}
		})
	}
}

func TestWaitEventSeesLaterWrites(t *testing.T) {
	var out Output
	fmt.Fprintln(&out, `{"msg":"starting"}`)
	go func() {
		fmt.Fprint(&out, `{"msg":"listen`) // half a line is not an event yet
		fmt.Fprintln(&out, `ing","addr":"[::]:41234"}`)
	}()
	ev := out.WaitEvent(10*time.Second, func(ev Event) bool { return ev["msg"] == "listening" })
	if ev == nil {
		t.Fatalf("no listening event in %q", out.String())
	}
	addr, err := LoopbackAddr(ev)
	if err != nil || addr != "127.0.0.1:41234" {
		t.Errorf("LoopbackAddr = %q, %v; want 127.0.0.1:41234", addr, err)
	}
	if ev := out.WaitEvent(10*time.Millisecond, func(ev Event) bool { return ev["msg"] == "stopped" }); ev != nil {
		t.Errorf("WaitEvent found %v, which was never written", ev)
	}
}

func TestLoopbackAddrNeedsABoundPort(t *testing.T) {
	for _, ev := range []Event{{"msg": "listening"}, {"msg": "listening", "addr": ":0"}, {"msg": "listening", "addr": 8080.0}} {
		if addr, err := LoopbackAddr(ev); err == nil {
			t.Errorf("LoopbackAddr(%v) = %q, want an error", ev, addr)
		}
	}
}
