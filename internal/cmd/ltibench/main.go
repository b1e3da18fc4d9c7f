// Command ltibench times LTI launches of a running Twelve site from a
// running test LMS (bin/ltiplatform), for scripts/bench/lti-launch.sh:
//
//	ltibench -base http://127.0.0.1:8080 -lms http://127.0.0.1:5557 [-n 2000] [-c 1] [-users 200]
//
// Each launch runs as a browser would, with its own cookie jar: the LMS's
// launch page, the login initiation at Twelve, the LMS's authorization
// endpoint, then the id_token post to /lti/launch. Only that last request
// is timed: verifying the id_token (the LMS's keys cached after a first,
// untimed, launch), using its nonce, recording user, class, membership and
// link, and the redirect. Launches cycle through -users LMS students (added
// to the LMS first), so both new and returning users are measured; every
// fifth is a quiz link. Each launch claims a client address of its own in
// X-Forwarded-For (believed from a loopback peer), so that Twelve's
// per-address launch budget does not stop the benchmark.
//
// Only loopback addresses are accepted: this is a benchmark tool for this
// machine.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twelve-course/twelve/internal/ltiplatform"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ltibench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ltibench", flag.ContinueOnError)
	base := fs.String("base", "http://127.0.0.1:8080", "Twelve (loopback only)")
	lms := fs.String("lms", "http://127.0.0.1:5557", "the test LMS (loopback only)")
	n := fs.Int("n", 2000, "timed launches")
	conc := fs.Int("c", 1, "concurrent launches")
	users := fs.Int("users", 200, "LMS students to launch as")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, u := range []string{*base, *lms} {
		if p, err := url.Parse(u); err != nil || !loopback(p.Hostname()) {
			return fmt.Errorf("%q: only loopback addresses are benchmarked", u)
		}
	}
	if *n < 1 || *conc < 1 || *users < 1 {
		return errors.New("-n, -c and -users must be positive")
	}
	b := &bench{base: strings.TrimSuffix(*base, "/"), lms: strings.TrimSuffix(*lms, "/"),
		transport: &http.Transport{MaxIdleConnsPerHost: *conc * 2}}
	ids, err := b.addStudents(ctx, *users)
	if err != nil {
		return err
	}
	// The first launch fetches the LMS's keys; it is not timed.
	if _, err := b.launch(ctx, 0, ltiplatform.LaunchOptions{User: ids[0], Lesson: "config"}); err != nil {
		return fmt.Errorf("warm-up launch: %w", err)
	}
	times := make([]time.Duration, *n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *conc)
	start := time.Now()
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				o := ltiplatform.LaunchOptions{User: ids[i%len(ids)], Lesson: "config", Quiz: i%5 == 4}
				d, err := b.launch(ctx, i+1, o)
				if err != nil {
					errs <- fmt.Errorf("launch %d: %w", i, err)
					return
				}
				times[i] = d
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	slices.Sort(times)
	fmt.Fprintf(out, "launches=%d concurrency=%d users=%d wall_s=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
		*n, *conc, len(ids), elapsed.Seconds(), ms(pct(times, 50)), ms(pct(times, 95)), ms(pct(times, 99)), ms(times[len(times)-1]))
	return nil
}

type bench struct {
	base, lms string
	transport *http.Transport
}

// addStudents adds n students to the LMS's course and returns their
// launch ids.
func (b *bench) addStudents(ctx context.Context, n int) ([]string, error) {
	body, _ := json.Marshal(map[string]int{"n": n})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.lms+"/_control/members", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: b.transport, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var users []ltiplatform.User
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("add students: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&users); err != nil {
		return nil, fmt.Errorf("add students: %w", err)
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids, nil
}

// launch performs one launch with a fresh browser and returns how long
// the id_token post to Twelve took. i picks the client address claimed.
func (b *bench) launch(ctx context.Context, i int, o ltiplatform.LaunchOptions) (time.Duration, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return 0, err
	}
	addr := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	c := &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		Transport: forwardedFor{addr: addr, base: b.transport},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	lmsURL, _ := url.Parse(b.lms)
	page, err := b.form(c, lmsURL.String()+"/launch?"+launchQuery(o))
	if err != nil {
		return 0, fmt.Errorf("LMS launch page: %w", err)
	}
	resp, err := page.Submit(ctx, c, b.lms)
	if err != nil {
		return 0, fmt.Errorf("login: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return 0, fmt.Errorf("login: %s", resp.Status)
	}
	idForm, err := b.form(c, resp.Header.Get("Location"))
	if err != nil {
		return 0, fmt.Errorf("LMS authorization: %w", err)
	}
	start := time.Now()
	resp, err = idForm.Submit(ctx, c, b.lms)
	if err != nil {
		return 0, fmt.Errorf("launch: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/lti/landed?") {
		return 0, fmt.Errorf("launch: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	return took, nil
}

// form GETs u and returns its page's only form.
func (b *bench) form(c *http.Client, u string) (ltiplatform.Form, error) {
	resp, err := c.Get(u)
	if err != nil {
		return ltiplatform.Form{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ltiplatform.Form{}, errors.New(resp.Status)
	}
	forms, err := ltiplatform.ParseForms(resp.Body, resp.Request.URL)
	if err != nil || len(forms) != 1 {
		return ltiplatform.Form{}, fmt.Errorf("%d forms (%v)", len(forms), err)
	}
	return forms[0], nil
}

// launchQuery is the LMS launch page's query for o.
func launchQuery(o ltiplatform.LaunchOptions) string {
	v := url.Values{"user": {o.User}, "lesson": {o.Lesson}}
	if o.Quiz {
		v.Set("quiz", "1")
	}
	return v.Encode()
}

// forwardedFor claims a client address, as Heroku's router would add it.
type forwardedFor struct {
	addr string
	base http.RoundTripper
}

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return f.base.RoundTrip(r)
}

func loopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

// pct is the p-th percentile of sorted.
func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(i-1, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
