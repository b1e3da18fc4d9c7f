package handlers

import (
	"io"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/store"
)

// TestSameSiteAsPlatform: a launch may let the LMS's own site frame
// Twelve, never another.
func TestSameSiteAsPlatform(t *testing.T) {
	canvas := store.LTIPlatform{Issuer: "https://canvas.instructure.com", AuthURL: "https://sso.canvaslms.com/api/lti/authorize_redirect",
		TokenURL: "https://sso.canvaslms.com/login/oauth2/token", JWKSURL: "https://sso.canvaslms.com/api/lti/security/jwks"}
	moodle := store.LTIPlatform{Issuer: "https://moodle.uni.ac.uk", AuthURL: "https://moodle.uni.ac.uk/mod/lti/auth.php"}
	local := store.LTIPlatform{Issuer: "http://127.0.0.1:5557", AuthURL: "http://127.0.0.1:5557/auth"}
	for _, c := range []struct {
		origin string
		p      store.LTIPlatform
		want   bool
	}{
		{"https://school.instructure.com", canvas, true},
		{"https://school.canvaslms.com", canvas, true},
		{"https://attacker.example", canvas, false},
		{"https://instructure.com.attacker.example", canvas, false},
		{"https://www.uni.ac.uk", moodle, true},
		{"https://other.ac.uk", moodle, false}, // ac.uk is a public suffix
		{"http://localhost:5557", local, true},
		{"http://127.0.0.1:9999", local, true},
		{"http://192.0.2.7", local, false},
		{"https://school.instructure.com", local, false},
		{"not a url", canvas, false},
	} {
		if got := sameSiteAsPlatform(c.origin, c.p); got != c.want {
			t.Errorf("sameSiteAsPlatform(%q, %s) = %v, want %v", c.origin, c.p.Issuer, got, c.want)
		}
	}
}

// TestHomeShowsLocalLMS: the home page points a developer at an LMS on
// this machine that may launch Twelve (make dev's test LMS), and at
// nothing when none is registered.
func TestHomeShowsLocalLMS(t *testing.T) {
	s := newLTISite(t, false)
	body := func() string {
		resp := s.get(s.browser(), s.url+"/")
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := body(); strings.Contains(got, `data-testid="local-lms"`) {
		t.Error("the home page names a local LMS before any is registered")
	}
	s.register(s.lms.ClientID(), s.lms.DeploymentID())
	if got := body(); !strings.Contains(got, `href="`+s.lms.Issuer()+`"`) || !strings.Contains(got, `data-testid="local-lms"`) {
		t.Errorf("the home page does not link the local LMS %s", s.lms.Issuer())
	}
}
