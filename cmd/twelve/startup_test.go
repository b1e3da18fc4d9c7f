package main

import (
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/store/storetest"
)

// BenchmarkStartup measures the time from exec of `twelve web` to its first
// 200 on /healthz, asked as soon as it logs the port it bound, with the
// database up and migrated:
//
//	make bench-startup
//
// It reports ms/start (the metric to read) alongside ns/op, which also counts
// the graceful stop of each process.
func BenchmarkStartup(b *testing.B) {
	dbURL := storetest.NewURL(b)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
	var total time.Duration
	n := 0
	for b.Loop() {
		out := &proctest.Output{}
		cmd := exec.Command(binary, "web")
		cmd.Env = baseEnv(dbURL)
		cmd.Stdout = out
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		ev := out.WaitEvent(10*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "listening" })
		addr, err := proctest.LoopbackAddr(ev)
		if err != nil {
			b.Fatalf("no listening event within 10s: %v", err)
		}
		resp, err := client.Get("http://" + addr + "/healthz")
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET /healthz = %d, want 200", resp.StatusCode)
		}
		total += time.Since(start)
		n++
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms/start")
}
