package main

import (
	"net/http"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/store/storetest"
)

// BenchmarkStartup measures the time from exec of `twelve web` to its first
// 200 on /healthz, with the database up and migrated:
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
		port := proctest.FreePort(b)
		cmd := exec.Command(binary, "web")
		cmd.Env = baseEnv(dbURL, port)
		url := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			resp, err := client.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(start) > 10*time.Second {
				b.Fatal("no 200 from /healthz within 10s")
			}
			time.Sleep(200 * time.Microsecond)
		}
		total += time.Since(start)
		n++
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms/start")
}
