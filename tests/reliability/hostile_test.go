package reliability

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/internal/devidp"
	"github.com/twelve-course/twelve/internal/student"
	"github.com/twelve-course/twelve/quiz"
	"github.com/twelve-course/twelve/store/storetest"
)

// hostile is one request built to break something.
type hostile struct {
	name string
	// raw is sent on a fresh TCP connection exactly as written (request
	// line, headers and body), for requests no well-behaved client sends.
	raw string
	// Otherwise method, target (path and query, sent as is), header and body.
	method, target string
	header         map[string]string
	body           string
	// as: "" signed out, "student" or "instructor": their cookies are sent
	// unless header sets Cookie itself.
	as string
	// want accepts the status; nil means any 4xx.
	want func(int) bool
	// why explains a want other than 4xx.
	why string
}

func is4xx(s int) bool { return s >= 400 && s < 500 }

func oneOf(codes ...int) func(int) bool {
	return func(s int) bool {
		for _, c := range codes {
			if s == c {
				return true
			}
		}
		return false
	}
}

// TestHostileRequests sends malformed, oversized and hostile requests to
// every route (bad methods, huge headers and bodies, invalid UTF-8, path
// traversal, forged or mangled tokens and cookies, bad query parameters,
// wrong content types). Each gets a 4xx (a few, named, get the ordinary
// page or redirect that ignores the junk), never a 5xx; no row in the
// database changes; the process logs no error and keeps serving.
func TestHostileRequests(t *testing.T) {
	idp, idpLn, err := devidp.Listen("127.0.0.1:0", devidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	idpSrv := &http.Server{Handler: idp.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = idpSrv.Serve(idpLn) }()
	t.Cleanup(func() { _ = idpSrv.Close() })
	dbURL := storetest.NewURL(t)
	w := startWeb(t, "web", map[string]string{
		"DATABASE_URL": dbURL, "INSTRUCTOR_EMAILS": "ines@example.edu",
		"OIDC_ISSUER_URL": idp.Issuer(), "OIDC_CLIENT_ID": devidp.DefaultClientID, "OIDC_CLIENT_SECRET": devidp.DefaultClientSecret,
	})
	waitSignInReady(t, w)
	site, err := student.NewSite(w.base, secret, student.NewClient(4, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ss := newStudents(t, site, dbURL, 2)
	ada, brook := ss[0], ss[1]
	ines, err := site.SignIn(ada.ID+1000, "ines", "ines@example.edu") // an instructor by INSTRUCTOR_EMAILS
	if err != nil {
		t.Fatal(err)
	}
	// One stored attempt, so review and report pages have something to read.
	stored, err := site.Start(ctx, ada, "config")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.Submit(ctx, "", stored); err != nil {
		t.Fatal(err)
	}
	open, err := site.Start(ctx, ada, "config") // started, not submitted
	if err != nil {
		t.Fatal(err)
	}
	brooks, err := site.Start(ctx, brook, "logs")
	if err != nil {
		t.Fatal(err)
	}
	form := func(a student.Attempt, edit func(url.Values)) string {
		f := url.Values{}
		for k, v := range a.Form {
			f[k] = append([]string(nil), v...)
		}
		edit(f)
		return f.Encode()
	}
	signer, _ := quiz.NewSigner([][]byte{[]byte(secret)})
	tokenAt := func(started time.Time, user int64, slug string) string {
		q := site.Quiz(slug)
		tok := quiz.NewToken(q, user, started)
		raw, err := signer.Encode(tok)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	forgedIdentity := func(id auth.Identity) string {
		cookies, err := auth.NewCookies([][]byte{[]byte("another-secret-0123456789abcdef-012345")})
		if err != nil {
			t.Fatal(err)
		}
		v, err := cookies.EncodeIdentity(id)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	big := strings.Repeat("x", 2<<20)
	formCT := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

	routes := []string{"/", "/lessons/config", "/factors", "/lessons/config/quiz", "/lessons/config/quiz/resume",
		"/attempts/" + stored.ID, "/me", "/instructor", "/instructor/gradebook", "/instructor/gradebook.csv",
		"/instructor/quizzes/config", "/instructor/students/" + strconv.FormatInt(ada.ID, 10), "/login", "/auth/callback",
		"/logout", "/saml/metadata", "/saml/acs", "/saml/slo", "/healthz", "/readyz", "/static/style.css", "/favicon.ico"}
	var cases []hostile
	for _, r := range routes {
		for _, m := range []string{"PUT", "DELETE", "PATCH"} {
			cases = append(cases, hostile{name: m + " " + r, method: m, target: r, as: "student", header: formCT, body: "x=1"})
		}
		cases = append(cases,
			hostile{name: "unknown method on " + r, raw: "BREW " + r + " HTTP/1.1\r\nHost: x\r\n\r\n"},
			hostile{name: "huge header on " + r, raw: "GET " + r + " HTTP/1.1\r\nHost: x\r\nX-Junk: " + big + "\r\n\r\n"},
			// Signed in, so that routes behind sign-in see the junk too.
			hostile{name: "invalid UTF-8 and NUL in the path of " + r, raw: "GET " + r + "/\xff\xfe%00%ff HTTP/1.1\r\nHost: x\r\n\r\n", as: "student"},
		)
	}
	cases = append(cases,
		// Malformed HTTP.
		hostile{name: "garbage request line", raw: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"},
		hostile{name: "header without a colon", raw: "GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"},
		hostile{name: "two Content-Lengths", raw: "POST /lessons/config/quiz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"},
		hostile{name: "negative Content-Length", raw: "POST /lessons/config/quiz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"},
		hostile{name: "chunked and Content-Length", raw: "POST /lessons/config/quiz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"},
		hostile{name: "HTTP/0.9", raw: "GET /\r\n\r\n"},
		hostile{name: "no Host", raw: "GET / HTTP/1.1\r\n\r\n"},
		// Path traversal.
		hostile{name: "dot-dot in a static path", raw: "GET /static/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"},
		hostile{name: "encoded dot-dot in a static name", method: "GET", target: "/static/..%2f..%2fgo.mod"},
		hostile{name: "encoded dot-dot in a lesson slug", method: "GET", target: "/lessons/..%2f..%2fetc%2fpasswd"},
		hostile{name: "backslashes in a static name", method: "GET", target: "/static/..%5c..%5cgo.mod"},
		hostile{name: "absolute path as a lesson", method: "GET", target: "//etc/passwd"},
		hostile{name: "unknown quiz", method: "GET", target: "/lessons/%2e%2e/quiz", as: "student"},
		// Oversized bodies.
		hostile{name: "2 MiB quiz submission", method: "POST", target: "/lessons/config/quiz", as: "student", header: formCT, body: "a.x=" + big},
		hostile{name: "2 MiB sign-out form", method: "POST", target: "/logout", as: "student", header: formCT, body: "x=" + big},
		hostile{name: "2 MiB SAML response", method: "POST", target: "/saml/acs", header: formCT, body: "SAMLResponse=" + big},
		// Forged, tampered, foreign and expired attempt tokens.
		hostile{name: "submit with a garbage token", method: "POST", target: "/lessons/config/quiz", as: "student", header: formCT,
			body: form(open, func(f url.Values) { f.Set("attempt", "garbage|token|value") })},
		hostile{name: "submit with a tampered token", method: "POST", target: "/lessons/config/quiz", as: "student", header: formCT,
			body: form(open, func(f url.Values) { f.Set("attempt", tamper(open.Token)) })},
		hostile{name: "submit with a 100 KB token", method: "POST", target: "/lessons/config/quiz", as: "student", header: formCT,
			body: form(open, func(f url.Values) { f.Set("attempt", strings.Repeat("A", 100<<10)) })},
		hostile{name: "submit another student's attempt", method: "POST", target: "/lessons/logs/quiz", as: "student", header: formCT,
			body: form(brooks, func(url.Values) {})},
		hostile{name: "submit a token for another quiz", method: "POST", target: "/lessons/codebase/quiz", as: "student", header: formCT, body: form(open, func(url.Values) {})},
		hostile{name: "submit an expired token", method: "POST", target: "/lessons/config/quiz", as: "student", header: formCT,
			body: form(open, func(f url.Values) { f.Set("attempt", tokenAt(time.Now().Add(-20*24*time.Hour), ada.ID, "config")) })},
		hostile{name: "submit answers to questions not on the paper", method: "POST", target: "/lessons/config/quiz", as: "student", header: formCT,
			body: form(open, func(f url.Values) { f.Set("a.not-a-question", "a"); f.Set("a.x\xff", "\xfe") })},
		hostile{name: "submit invalid UTF-8 answers", method: "POST", target: "/lessons/config/quiz", as: "student", header: formCT,
			body: form(open, func(f url.Values) {
				for k := range f {
					if strings.HasPrefix(k, quiz.FieldPrefix) {
						f.Set(k, "\xff\xfe\xfd")
					}
				}
			})},
		hostile{name: "submit 10,000 fields", method: "POST", target: "/lessons/config/quiz", as: "student", header: formCT,
			body: form(open, func(f url.Values) {
				for i := range 10000 {
					f.Add("a.q"+strconv.Itoa(i), "1")
				}
			})},
		hostile{name: "start a quiz with a garbage token", method: "GET", target: "/lessons/config/quiz?attempt=garbage%7Ctoken", as: "student",
			want: oneOf(303), why: "starting a quiz with an unusable token hands out a fresh one (303), writing nothing"},
		hostile{name: "start a quiz with a token that is not text", method: "GET", target: "/lessons/config/quiz?attempt=%ff%00garbage", as: "student",
			want: oneOf(400), why: "a value that is not text is refused before any handler (docs/security.md)"},
		// Forged and mangled cookies; forms sent from other sites.
		hostile{name: "submit with an identity cookie signed by another key", method: "POST", target: "/lessons/config/quiz",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": "twelve_id=" + forgedIdentity(auth.Identity{UserID: ada.ID, Subject: "x", Email: "ada@x", SignedInAt: time.Now(), IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour)})},
			body:   form(open, func(url.Values) {}), want: oneOf(303, 401), why: "a forged identity counts as signed out: the answers are held for sign-in (303 to sign in), nothing stored"},
		hostile{name: "instructor page with a forged instructor cookie", method: "GET", target: "/instructor/gradebook",
			header: map[string]string{"Cookie": "twelve_id=" + forgedIdentity(auth.Identity{UserID: 1, Subject: "x", Email: "ines@example.edu", SignedInAt: time.Now(), IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour)})},
			want:   oneOf(303), why: "a forged identity counts as signed out: 303 to sign in"},
		hostile{name: "huge identity cookie", method: "GET", target: "/me", header: map[string]string{"Cookie": "twelve_id=" + strings.Repeat("A", 8000)},
			want: oneOf(303), why: "an unusable cookie counts as signed out: 303 to sign in"},
		hostile{name: "invalid UTF-8 cookies", method: "GET", target: "/me", header: map[string]string{"Cookie": "twelve_id=\xff\xfe; twelve_pending=\xff"},
			want: oneOf(303), why: "an unusable cookie counts as signed out: 303 to sign in"},
		hostile{name: "submit from another site", method: "POST", target: "/lessons/config/quiz", as: "student",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, body: form(open, func(url.Values) {})},
		hostile{name: "submit from a sibling subdomain", method: "POST", target: "/lessons/config/quiz", as: "student",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-site", "Origin": "https://evil.herokuapp.com"}, body: form(open, func(url.Values) {})},
		hostile{name: "submit from another origin", method: "POST", target: "/lessons/config/quiz", as: "student",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}, body: form(open, func(url.Values) {})},
		hostile{name: "sign out from another origin", method: "POST", target: "/logout", as: "student",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}, body: "x=1"},
		// Wrong content types.
		hostile{name: "submit as JSON", method: "POST", target: "/lessons/config/quiz", as: "student",
			header: map[string]string{"Content-Type": "application/json"}, body: `{"attempt":"` + open.Token + `"}`},
		hostile{name: "submit as multipart with a broken boundary", method: "POST", target: "/lessons/config/quiz", as: "student",
			header: map[string]string{"Content-Type": "multipart/form-data; boundary=zz"}, body: "--yy\r\ngarbage"},
		hostile{name: "submit as text/plain", method: "POST", target: "/lessons/config/quiz", as: "student",
			header: map[string]string{"Content-Type": "text/plain"}, body: form(open, func(url.Values) {})},
		hostile{name: "submit with a bad charset", method: "POST", target: "/lessons/config/quiz", as: "student",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=\xff"}, body: "%zz%"},
		// Bad ids and query parameters.
		hostile{name: "review an attempt id that is not a UUID", method: "GET", target: "/attempts/1;DROP%20TABLE%20attempts", as: "student"},
		hostile{name: "review an attempt that does not exist", method: "GET", target: "/attempts/00000000-0000-4000-8000-000000000000", as: "student"},
		hostile{name: "review another student's attempt", method: "GET", target: "/attempts/" + stored.ID, as: "brook"},
		hostile{name: "instructor page as a student", method: "GET", target: "/instructor/gradebook", as: "student"},
		hostile{name: "student report with a bad id", method: "GET", target: "/instructor/students/abc%ff", as: "instructor"},
		hostile{name: "student report with a huge id", method: "GET", target: "/instructor/students/99999999999999999999999", as: "instructor"},
		hostile{name: "statistics of an unknown quiz", method: "GET", target: "/instructor/quizzes/%2e%2e%2fusers", as: "instructor"},
		hostile{name: "gradebook with hostile sort and page", method: "GET", target: "/instructor/gradebook?sort=name;DROP%20TABLE%20users&dir=%ff&after=%00&page=-1&q=" + url.QueryEscape(strings.Repeat("%", 5000)), as: "instructor",
			want: func(s int) bool { return s == 200 || is4xx(s) }, why: "the gradebook may ignore parameters it does not know (200) or refuse them (4xx)"},
		hostile{name: "CSV with hostile parameters", method: "GET", target: "/instructor/gradebook.csv?sort=%27&dir=up%0d%0aSet-Cookie:x", as: "instructor",
			want: func(s int) bool { return s == 200 || is4xx(s) }, why: "the export may ignore parameters it does not know (200) or refuse them (4xx)"},
		hostile{name: "sign-in callback without a flow", method: "GET", target: "/auth/callback?code=x&state=y"},
		hostile{name: "sign-in callback with invalid UTF-8", method: "GET", target: "/auth/callback?code=%ff&state=%fe&error=%00"},
		hostile{name: "sign-in with a foreign next", method: "GET", target: "/login?next=https%3A%2F%2Fevil.example%2F",
			want: oneOf(302, 303), why: "sign-in starts anyway (redirect to the provider) and the foreign next is dropped"},
		hostile{name: "sign-in with an invalid UTF-8 next", method: "GET", target: "/login?next=%ff%fe",
			want: oneOf(400), why: "a value that is not text is refused before any handler (docs/security.md)"},
		hostile{name: "SAML sign-out with garbage", method: "GET", target: "/saml/slo?SAMLRequest=%ff%00&RelayState=" + url.QueryEscape(big[:4000])},
		hostile{name: "SAML response that is not base64", method: "POST", target: "/saml/acs", header: formCT, body: "SAMLResponse=%ff%fe%fd&RelayState=x"},
	)

	before := snapshot(t, dbURL)
	client := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cookies := map[string]string{
		"student":    "twelve_id=" + ada.IdentityCookie(),
		"brook":      "twelve_id=" + brook.IdentityCookie(),
		"instructor": "twelve_id=" + ines.IdentityCookie(),
	}
	counts := map[string]int{}
	var benign []string
	for _, h := range cases {
		status, err := h.send(w.base, client, cookies)
		want := h.want
		if want == nil {
			want = is4xx
		}
		switch {
		case err != nil:
			t.Errorf("%s: %v", h.name, err)
		case status >= 500:
			t.Errorf("%s: %d, want never a 5xx", h.name, status)
		case !want(status):
			t.Errorf("%s: %d, want %s", h.name, status, wantText(h))
		}
		switch {
		case is4xx(status):
			counts["4xx"]++
		default:
			counts[strconv.Itoa(status)]++
			benign = append(benign, fmt.Sprintf("%s → %d", h.name, status))
		}
	}
	t.Logf("%d hostile requests: %v; not refused, by design: %s", len(cases), counts, strings.Join(benign, "; "))
	if after := snapshot(t, dbURL); after != before {
		t.Errorf("rows changed:\nbefore %s\nafter  %s", before, after)
	}
	for _, line := range strings.Split(w.Out.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("the process logged an error: %s", line)
		}
	}
	if w.Exited() || !healthy(ctx, w.base) {
		t.Error("the process stopped serving")
	}
}

func wantText(h hostile) string {
	if h.why != "" {
		return h.why
	}
	return "a 4xx"
}

// tamper flips one character in the middle of a token.
func tamper(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// send sends h and returns the status of the answer.
func (h hostile) send(base string, client *http.Client, cookies map[string]string) (int, error) {
	if h.raw != "" {
		raw := h.raw
		if h.as != "" {
			raw = strings.Replace(raw, "Host: x\r\n", "Host: x\r\nCookie: "+cookies[h.as]+"\r\n", 1)
		}
		return sendRaw(strings.TrimPrefix(base, "http://"), raw)
	}
	req, err := http.NewRequest(h.method, base+"/", strings.NewReader(h.body))
	if err != nil {
		return 0, err
	}
	req.URL.Opaque = h.target // sent as is, escapes and all
	if strings.HasPrefix(h.target, "//") {
		req.URL.Opaque = "/" + h.target
	}
	for k, v := range h.header {
		req.Header[k] = []string{v}
	}
	if h.as != "" && req.Header.Get("Cookie") == "" {
		req.Header.Set("Cookie", cookies[h.as])
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// sendRaw writes raw on a new connection and reads the status of the first
// answer. The server may answer and close before reading all of raw.
func sendRaw(addr, raw string) (int, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { _, _ = io.WriteString(conn, raw) }()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("no answer: %w", err)
	}
	parts := strings.Fields(line)
	if len(parts) < 2 {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	return strconv.Atoi(parts[1])
}

// snapshot is a digest of every table a request could change (the
// heartbeat's processes table aside).
func snapshot(t *testing.T, dbURL string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('processes') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, table := range tables {
		var n int
		var digest string
		q := fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM %s t`, pgx.Identifier{table}.Sanitize())
		if err := conn.QueryRow(ctx, q).Scan(&n, &digest); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s=%d:%s", table, n, digest[:min(8, len(digest))]))
	}
	return strings.Join(out, " ")
}
