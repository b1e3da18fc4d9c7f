// Package proctest helps tests that run the real twelve binary and other
// processes: it builds a binary once per test binary, starts processes with
// their output collected, and waits for the events they log, such as the
// address a process bound, so that tests order themselves by events rather
// than by sleeps or guessed ports.
package proctest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// builds are the binaries Build made, by package and flags.
var builds struct {
	mu  sync.Mutex
	dir string
	by  map[string]*build
}

type build struct {
	once sync.Once
	path string
	err  error
}

// Build builds the package pkg (an import path) with the go build flags
// given, such as "-tags", "drill", and returns the binary's path. Each
// package and flags is built once per test binary; TestMain calls it before
// m.Run, or a test calls it when it first needs the binary, and TestMain
// calls RemoveBuilds after m.Run.
func Build(pkg string, flags ...string) (string, error) {
	key := strings.Join(append([]string{pkg}, flags...), " ")
	builds.mu.Lock()
	if builds.by == nil {
		builds.by = map[string]*build{}
	}
	b, ok := builds.by[key]
	if !ok {
		b = &build{}
		builds.by[key] = b
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "proctest-bin-")
		if err != nil {
			builds.mu.Unlock()
			return "", fmt.Errorf("proctest: build %s: %w", pkg, err)
		}
		builds.dir = dir
	}
	path := filepath.Join(builds.dir, strconv.Itoa(len(builds.by)), filepath.Base(pkg))
	builds.mu.Unlock()

	b.once.Do(func() {
		b.path = path
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.err = fmt.Errorf("proctest: build %s: %w", pkg, err)
			return
		}
		args := append(append([]string{"build"}, flags...), "-o", path, pkg)
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("proctest: go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	})
	return b.path, b.err
}

// RemoveBuilds deletes every binary Build made.
func RemoveBuilds() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	builds.dir, builds.by = "", nil
}

// Process is a command started by Start.
type Process struct {
	Name string
	Cmd  *exec.Cmd
	Out  *Output
	done chan struct{} // closed when the process has exited
	err  error         // its exit, once done is closed
}

// Start starts cmd with its stdout and stderr collected in Process.Out.
// When the test ends the process is killed if it still runs, and its output
// is logged if the test failed.
func Start(t testing.TB, name string, cmd *exec.Cmd) *Process {
	t.Helper()
	p := &Process{Name: name, Cmd: cmd, Out: &Output{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Out, p.Out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if !p.Exited() {
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %s (the last 8000 bytes):\n%s", name, tail(p.Out.String(), 8000))
		}
	})
	return p
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process.
func (p *Process) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s to %s: %v", sig, p.Name, err)
	}
}

// Wait waits up to within for the process to exit and returns how it
// exited: nil for exit status 0. It fails the test when the process is
// still running.
func (p *Process) Wait(t testing.TB, within time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(within):
		t.Fatalf("%s did not exit within %s", p.Name, within)
		return nil
	}
}

// WaitEvent waits up to within for a log event that match accepts and
// returns it; it returns nil when none came or the process exited first.
func (p *Process) WaitEvent(within time.Duration, match func(Event) bool) Event {
	return p.Out.waitEvent(within, p.done, match)
}

// Addr waits up to within for the process's "listening" event and returns
// the address to dial: the bound port on 127.0.0.1. It fails the test when
// the process exits or stays silent instead.
func (p *Process) Addr(t testing.TB, within time.Duration) string {
	t.Helper()
	ev := p.WaitEvent(within, func(ev Event) bool { return ev["msg"] == "listening" })
	if ev == nil {
		if p.Exited() {
			t.Fatalf("%s exited before it listened: %v", p.Name, p.err)
		}
		t.Fatalf("%s logged no listening event within %s", p.Name, within)
	}
	addr, err := LoopbackAddr(ev)
	if err != nil {
		t.Fatalf("%s: %v", p.Name, err)
	}
	return addr
}

// LoopbackAddr is the address to dial for a "listening" event: 127.0.0.1
// and the port of the event's addr, which may name every interface
// ("[::]:41234").
func LoopbackAddr(ev Event) (string, error) {
	addr, _ := ev["addr"].(string)
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "0" {
		return "", fmt.Errorf("listening event has no bound address: %v", ev)
	}
	return net.JoinHostPort("127.0.0.1", port), nil
}

// Event is one log line: a JSON object, or slog's text key=value pairs
// (values as strings).
type Event map[string]any

// Output collects a process's stdout and stderr while it runs.
type Output struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	grew chan struct{} // closed at the next write, for those waiting
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.grew != nil {
		close(o.grew)
		o.grew = nil
	}
	return o.buf.Write(p)
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Events returns the log events written so far, in order.
func (o *Output) Events() []Event {
	var events []Event
	sc := bufio.NewScanner(strings.NewReader(o.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if ev := parseEvent(sc.Text()); ev != nil {
			events = append(events, ev)
		}
	}
	return events
}

// WaitEvent waits up to within for a log event that match accepts and
// returns it, or nil when none came.
func (o *Output) WaitEvent(within time.Duration, match func(Event) bool) Event {
	return o.waitEvent(within, nil, match)
}

// waitEvent is WaitEvent, giving up early when stop is closed.
func (o *Output) waitEvent(within time.Duration, stop <-chan struct{}, match func(Event) bool) Event {
	timer := time.NewTimer(within)
	defer timer.Stop()
	seen := 0 // bytes of complete lines already looked at
	for {
		o.mu.Lock()
		data := o.buf.Bytes()[seen:]
		data = data[:bytes.LastIndexByte(data, '\n')+1]
		lines := string(data)
		seen += len(data)
		if o.grew == nil {
			o.grew = make(chan struct{})
		}
		grew := o.grew
		o.mu.Unlock()
		if ev := firstMatch(lines, match); ev != nil {
			return ev
		}
		select {
		case <-grew:
		case <-stop:
			// The process has exited: its output is complete.
			o.mu.Lock()
			rest := string(o.buf.Bytes()[seen:])
			o.mu.Unlock()
			return firstMatch(rest, match)
		case <-timer.C:
			return nil
		}
	}
}

// firstMatch is the first event in lines that match accepts, or nil.
func firstMatch(lines string, match func(Event) bool) Event {
	for line := range strings.Lines(lines) {
		if ev := parseEvent(line); ev != nil && match(ev) {
			return ev
		}
	}
	return nil
}

// parseEvent reads a JSON log line, or a text one of key=value pairs, or
// returns nil.
func parseEvent(line string) Event {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "{") {
		var ev Event
		if json.Unmarshal([]byte(line), &ev) != nil {
			return nil
		}
		return ev
	}
	ev := Event{}
	for line != "" {
		key, rest, ok := strings.Cut(line, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \"") {
			return nil
		}
		value := rest
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return nil
			}
			value, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else if i := strings.IndexByte(rest, ' '); i >= 0 {
			value, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		ev[key] = value
		line = strings.TrimLeft(rest, " ")
	}
	if len(ev) == 0 {
		return nil
	}
	return ev
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
