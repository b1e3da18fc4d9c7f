package main

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/store"
	"github.com/twelve-course/twelve/store/storetest"
)

func TestAdminLTIAddListRemove(t *testing.T) {
	dbURL := storetest.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "SECRET_KEY": testSecret, "BASE_URL": "https://course.example.edu"}
	getenv := func(k string) string { return env[k] }
	pool, err := store.Open(context.Background(), dbURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runAdmin(t.Context(), args, getenv, &out)
		return out.String(), err
	}
	count := func() int {
		ps, err := st.LTIPlatforms(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}

	if out, err := run("lti-list"); err != nil || !strings.Contains(out, "no LTI platforms") {
		t.Errorf("lti-list with none = %q, %v", out, err)
	}
	add := []string{"lti-add", "--issuer", "https://lms.example.edu", "--client-id", "abc123",
		"--auth-url", "https://lms.example.edu/auth", "--token-url", "https://lms.example.edu/token",
		"--jwks-url", "https://lms.example.edu/jwks", "--deployment", "1", "--deployment", "2", "--name", "Campus LMS",
		"--token-audience", "https://api.lms.example.edu/auth/token"}
	out, err := run(add...)
	if err != nil {
		t.Fatalf("lti-add: %v\n%s", err, out)
	}
	p, err := st.LTIPlatform(t.Context(), "https://lms.example.edu", "abc123")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Campus LMS" || p.Via != store.LTIViaAdmin || strings.Join(p.Deployments, ",") != "1,2" || p.JWKSURL != "https://lms.example.edu/jwks" ||
		p.TokenAudience != "https://api.lms.example.edu/auth/token" {
		t.Errorf("stored %+v", p)
	}
	for _, want := range []string{
		"https://course.example.edu/lti/login", "https://course.example.edu/lti/launch",
		"https://course.example.edu/lti/jwks", "https://course.example.edu/lti/register",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lti-add output lacks %s:\n%s", want, out)
		}
	}

	// A platform on this machine may use http.
	local := []string{"lti-add", "--issuer", "http://127.0.0.1:9000", "--client-id", "dev",
		"--auth-url", "http://localhost:9000/auth", "--token-url", "http://127.0.0.1:9000/token",
		"--jwks-url", "http://[::1]:9000/jwks", "--deployment", "d"}
	if out, err := run(local...); err != nil {
		t.Fatalf("lti-add of a local platform: %v\n%s", err, out)
	}

	with := func(flag, value string) []string {
		args := append([]string{}, add...)
		args[2] = "https://other.example.edu" // another issuer, unless the case sets it
		for i := range args {
			if args[i] == flag {
				args[i+1] = value
			}
		}
		return args
	}
	refused := []struct {
		name string
		args []string
		want string
	}{
		{"registered already", add, "registered already"},
		{"http issuer", with("--issuer", "http://lms.example.edu"), "--issuer must be an https URL"},
		{"auth URL not a URL", with("--auth-url", "lms/auth"), "--auth-url must be an https URL"},
		{"no token URL", with("--token-url", ""), "--token-url is required"},
		{"JWKS with credentials", with("--jwks-url", "https://u:p@lms.example.edu/jwks"), "--jwks-url must be an https URL"},
		{"no client id", with("--client-id", " "), "--client-id is required"},
		{"no deployment", []string{"lti-add", "--issuer", "https://x.example.edu", "--client-id", "c", "--auth-url", "https://x.example.edu/a",
			"--token-url", "https://x.example.edu/t", "--jwks-url", "https://x.example.edu/j"}, "at least one --deployment is required"},
		{"positional", append(with("--name", "x"), "extra"), "takes flags only"},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			before := count()
			out, err := run(r.args...)
			if err == nil || !strings.Contains(err.Error(), r.want) {
				t.Errorf("error %v, want one saying %q; output:\n%s", err, r.want, out)
			}
			if count() != before {
				t.Error("a refused lti-add added a platform")
			}
		})
	}

	out, err = run("lti-list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if want := strconv.FormatInt(p.ID, 10) + "\thttps://lms.example.edu\tabc123\t1,2\tadmin\t\"Campus LMS\""; len(lines) != 2 || lines[0] != want {
		t.Errorf("lti-list:\n%s\nwant first line %q", out, want)
	}

	// An LMS on a domain of its own may frame Twelve once added by hand.
	id := strconv.FormatInt(p.ID, 10)
	if out, err := run("lti-frame-origin", id, "https://canvas.example.edu"); err != nil || !strings.Contains(out, "added: https://canvas.example.edu") {
		t.Fatalf("lti-frame-origin = %q, %v", out, err)
	}
	if got, err := st.LTIPlatformByID(t.Context(), p.ID); err != nil || !slices.Contains(got.Origins, "https://canvas.example.edu") {
		t.Errorf("origins after lti-frame-origin = %q, %v", got.Origins, err)
	}
	for _, bad := range [][]string{{"lti-frame-origin", id}, {"lti-frame-origin", id, "http://evil.example"},
		{"lti-frame-origin", id, "https://lms.example.edu/path"}, {"lti-frame-origin", "999", "https://x.example.edu"}} {
		if _, err := run(bad...); err == nil {
			t.Errorf("%q succeeded", bad)
		}
	}
	for _, bad := range [][]string{{"lti-remove"}, {"lti-remove", "x"}, {"lti-remove", "0"}, {"lti-remove", "999"}} {
		if _, err := run(bad...); err == nil {
			t.Errorf("%q succeeded", bad)
		}
	}
	if out, err := run("lti-remove", strconv.FormatInt(p.ID, 10)); err != nil || !strings.Contains(out, "removed: LTI platform") {
		t.Fatalf("lti-remove = %q, %v", out, err)
	}
	if count() != 1 {
		t.Errorf("%d platforms after removing one of two", count())
	}
	if _, err := run("lti-remove", strconv.FormatInt(p.ID, 10)); err == nil || !strings.Contains(err.Error(), "no LTI platform") {
		t.Errorf("removing again = %v", err)
	}

	out, _ = run("help")
	for _, name := range []string{"lti-add", "lti-list", "lti-remove", "lti-frame-origin"} {
		if !strings.Contains(out, name) {
			t.Errorf("help lacks %s", name)
		}
	}
}
