package reliability

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twelve-course/twelve/internal/devidp"
	"github.com/twelve-course/twelve/internal/proctest"
	"github.com/twelve-course/twelve/internal/student"
	"github.com/twelve-course/twelve/store/storetest"
)

// roundRobin is a small reverse proxy, as a router in front of several web
// processes: each request goes to the next process in turn. A process that
// refuses the connection is skipped (the request was never sent, so that
// is safe); any other failure is a 502, as a router answers.
type roundRobin struct {
	backends  []string
	next      atomic.Uint64
	transport *http.Transport
}

func (p *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "bad request body", http.StatusBadRequest)
		return
	}
	start := p.next.Add(1) - 1
	for i := range uint64(len(p.backends)) {
		n := (start + i) % uint64(len(p.backends))
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.URL.Scheme, out.URL.Host = "http", strings.TrimPrefix(p.backends[n], "http://")
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.ContentLength = int64(len(body))
		// No X-Forwarded-Proto: this router serves plain http on loopback,
		// like make dev. A router saying "http" would be sent on to https
		// (docs/security.md), as Heroku's is for a plain-http client.
		out.Header.Del("X-Forwarded-Proto")
		resp, err := p.transport.RoundTrip(out)
		if isDialError(err) {
			continue
		}
		if err != nil {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.Header().Set("X-Backend", strconv.Itoa(int(n)))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, "no process answers", http.StatusBadGateway)
}

// signInThrough signs account in through the proxy at base and the dev
// OpenID provider, as a browser does, and returns the student with the
// identity cookie the site set, plus which backend served the callback.
func signInThrough(t *testing.T, site *student.Site, base string, account devidp.Account) (student.Student, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 15 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		// Stop after the callback, at its redirect into the site: following
		// it would send one more request through the proxy.
		if strings.HasPrefix(req.URL.String(), base) && req.URL.Path != "/auth/callback" && len(via) > 1 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Request.URL.Path, "/authorize") {
		t.Fatalf("/login ended at %s with %d, want the provider's account chooser", resp.Request.URL, resp.StatusCode)
	}
	chooser := resp.Request.URL
	form := chooser.Query()
	form.Set("subject", account.Subject)
	resp, err = client.PostForm(chooser.Scheme+"://"+chooser.Host+chooser.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		t.Fatalf("callback answered %d (%s), want a redirect into the site", resp.StatusCode, resp.Request.URL)
	}
	callbackBackend := resp.Header.Get("X-Backend")
	u, _ := url.Parse(base)
	var identity string
	for _, c := range jar.Cookies(u) {
		if c.Name == "twelve_id" {
			identity = c.Value
		}
	}
	if identity == "" {
		t.Fatalf("no identity cookie after signing in as %s", account.Subject)
	}
	st, err := site.WithIdentity(identity)
	if err != nil {
		t.Fatal(err)
	}
	return st, callbackBackend
}

// TestThreeProcessesBehindAProxy: three web processes behind a round-robin
// proxy, sign-in through the dev OpenID provider. A student signs in on
// one process, starts a quiz on another and submits on a third; then many
// students submit while one process is killed. No acknowledged submission
// is lost and none is stored twice.
func TestThreeProcessesBehindAProxy(t *testing.T) {
	var accounts []devidp.Account
	for i := range 24 {
		accounts = append(accounts, devidp.Account{Subject: fmt.Sprintf("student-%02d", i), Email: fmt.Sprintf("student%02d@example.edu", i), Name: fmt.Sprintf("Student %02d", i), Groups: []string{"students"}})
	}
	idp, idpLn, err := devidp.Listen("127.0.0.1:0", devidp.Options{Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	idpSrv := &http.Server{Handler: idp.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = idpSrv.Serve(idpLn) }()
	t.Cleanup(func() { _ = idpSrv.Close() })

	proxyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + proxyLn.Addr().String()
	dbURL := storetest.NewURL(t)
	env := map[string]string{
		"DATABASE_URL": dbURL, "BASE_URL": base,
		"OIDC_ISSUER_URL": idp.Issuer(), "OIDC_CLIENT_ID": devidp.DefaultClientID, "OIDC_CLIENT_SECRET": devidp.DefaultClientSecret,
	}
	var webs []*web
	proxy := &roundRobin{transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for i := range 3 {
		w := startWeb(t, "web "+strconv.Itoa(i), env)
		webs = append(webs, w)
		proxy.backends = append(proxy.backends, w.base)
	}
	proxySrv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = proxySrv.Serve(proxyLn) }()
	t.Cleanup(func() { _ = proxySrv.Close() })
	for _, w := range webs { // sign-in needs the provider discovered
		waitSignInReady(t, w)
	}

	site, err := student.NewSite(base, secret, student.NewClient(32, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// One student, one request at a time: sign-in, start and submit land on
	// three different processes.
	first, signedInOn := signInThrough(t, site, base, accounts[0])
	a, startedOn := startVia(t, ctx, site, base, first, "config")
	submittedOn := submitVia(t, ctx, site, base, a)
	if signedInOn == "" || signedInOn == startedOn || startedOn == submittedOn || signedInOn == submittedOn {
		t.Errorf("signed in on process %q, started on %q, submitted on %q: want three different processes", signedInOn, startedOn, submittedOn)
	}

	students := []student.Student{first}
	for _, acc := range accounts[1:] {
		st, _ := signInThrough(t, site, base, acc)
		students = append(students, st)
	}
	var once sync.Once
	killed := make(chan struct{})
	results := runLoad(ctx, t, loadConfig{
		site: site, students: students, workers: 16, attempts: 1200, deadline: 60 * time.Second,
		startAt:  func(int, int) string { return base },
		submitAt: func(int, int) string { return base },
		retry:    retryAny,
		maxTries: 10, backoff: 20 * time.Millisecond,
		acked: func(n int64) {
			if n == 300 {
				once.Do(func() {
					webs[1].Signal(t, syscall.SIGKILL)
					close(killed)
				})
			}
		},
	})
	select {
	case <-killed:
	default:
		t.Fatal("the load ended before a process was killed")
	}
	tl := tallyOf(results)
	t.Logf("one of three processes killed after 300 acknowledged submits: %s", tl)
	if tl.acked != tl.attempts {
		t.Errorf("%d of %d attempts acknowledged after retries", tl.acked, tl.attempts)
	}
	all := append([]*result{{attempt: a, questions: questionsOf(a), acked: true}}, results...)
	if stored := verify(t, dbURL, all); stored != tl.attempts+1 {
		t.Errorf("%d attempts stored, want %d", stored, tl.attempts+1)
	}
	for i, w := range webs {
		if i != 1 && w.Exited() {
			t.Errorf("process %d exited", i)
		}
	}
}

// waitSignInReady waits for w to discover its sign-in provider; /login
// then redirects to it.
func waitSignInReady(t *testing.T, w *web) {
	t.Helper()
	if w.WaitEvent(15*time.Second, func(ev proctest.Event) bool { return ev["msg"] == "sign-in provider discovered" }) == nil {
		t.Fatalf("%s: sign-in not ready within 15 s", w.Name)
	}
	resp, err := student.NewClient(1, 5*time.Second).Get(w.base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%s: GET /login after discovery = %d, want a redirect to the provider", w.Name, resp.StatusCode)
	}
}

// startVia and submitVia are Start and Submit that report which process
// (X-Backend) answered.
func startVia(t *testing.T, ctx context.Context, site *student.Site, base string, st student.Student, slug string) (student.Attempt, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/lessons/"+slug+"/quiz", nil)
	st.Header(req)
	resp, err := site.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("start: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	a, err := site.Fill(st, slug, loc.Query().Get("attempt"))
	if err != nil {
		t.Fatal(err)
	}
	return a, resp.Header.Get("X-Backend")
}

func submitVia(t *testing.T, ctx context.Context, site *student.Site, base string, a student.Attempt) string {
	t.Helper()
	rec := &recordingTransport{inner: site.Client.Transport}
	c := *site.Client
	c.Transport = rec
	s := *site
	s.Client = &c
	if _, err := s.Submit(ctx, base, a); err != nil {
		t.Fatal(err)
	}
	return rec.backend
}

type recordingTransport struct {
	inner   http.RoundTripper
	backend string
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.inner.RoundTrip(req)
	if err == nil {
		r.backend = resp.Header.Get("X-Backend")
	}
	return resp, err
}
