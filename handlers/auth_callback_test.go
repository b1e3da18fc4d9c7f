package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twelve-course/twelve/auth"
	"github.com/twelve-course/twelve/internal/devidp"
)

// checkSignInRefused asserts a callback answer is the 400 "Sign-in failed"
// page, that no identity cookie was set and that no detail leaked.
func checkSignInRefused(t *testing.T, resp *http.Response, body, wantReason string) {
	t.Helper()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", resp.StatusCode)
	}
	doc := parseSigninDoc(t, body)
	reason, ok := doc.text("signin-failed-reason")
	if !ok || !strings.HasPrefix(reason, "Sign-in failed: ") || !strings.Contains(reason, wantReason) {
		t.Errorf("reason = %q (shown: %v), want a \"Sign-in failed: …\" containing %q", reason, ok, wantReason)
	}
	if retry := doc.byTestID("retry-sign-in"); retry == nil || !strings.HasPrefix(signinAttr(retry, "href"), "/login") {
		t.Error("failure page has no link back to /login")
	}
	if c := setCookieNamed(resp, auth.IdentityCookie); c != nil && c.MaxAge >= 0 {
		t.Errorf("a refused sign-in set the identity cookie: %v", c)
	}
	for _, detail := range []string{"oidc:", "oauth2:", "auth:", "token"} {
		if strings.Contains(body, detail) {
			t.Errorf("failure page shows internal detail %q", detail)
		}
	}
}

// callbackURL runs a sign-in as subject up to the provider's redirect back
// and returns the callback URL, not yet visited.
func callbackURL(t *testing.T, b *browser, site *signinSite, subject string) *url.URL {
	t.Helper()
	b.stopAt = "/auth/callback"
	defer func() { b.stopAt = "" }()
	resp, _ := b.signIn(site, subject, "/")
	loc, err := resp.Location()
	if err != nil || loc.Path != "/auth/callback" {
		t.Fatalf("sign-in did not stop at the callback: %d %v", resp.StatusCode, err)
	}
	return loc
}

func TestCallbackRefusesBadState(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	tests := []struct {
		name string
		// visit takes the browser to the callback it got, spoilt.
		visit     func(t *testing.T, b *browser, callback *url.URL) (*http.Response, string)
		wantUsers int
		// otherBrowser: the browser that started the sign-in never returns.
		otherBrowser bool
	}{
		{
			name: "wrong state",
			visit: func(t *testing.T, b *browser, cb *url.URL) (*http.Response, string) {
				q := cb.Query()
				q.Set("state", "x"+q.Get("state"))
				cb.RawQuery = q.Encode()
				return b.get(cb.String())
			},
		},
		{
			name: "missing state",
			visit: func(t *testing.T, b *browser, cb *url.URL) (*http.Response, string) {
				q := cb.Query()
				q.Del("state")
				cb.RawQuery = q.Encode()
				return b.get(cb.String())
			},
		},
		{
			name: "replayed state",
			visit: func(t *testing.T, b *browser, cb *url.URL) (*http.Response, string) {
				if resp, _ := b.get(cb.String()); resp.StatusCode != http.StatusOK {
					t.Fatalf("first callback = %d, want a sign-in", resp.StatusCode)
				}
				return b.get(cb.String())
			},
			wantUsers: 1, // the first, genuine callback
		},
		{
			name: "callback in another browser",
			visit: func(t *testing.T, _ *browser, cb *url.URL) (*http.Response, string) {
				return newBrowser(t).get(cb.String())
			},
			otherBrowser: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
			b := newBrowser(t)
			cb := callbackURL(t, b, site, "student-ada")
			before := b.cookie(site.URL, auth.IdentityCookie)
			resp, body := tt.visit(t, b, cb)
			checkSignInRefused(t, resp, body, "")
			if got := site.userCount(t); got != tt.wantUsers {
				t.Errorf("users rows = %d, want %d", got, tt.wantUsers)
			}
			if tt.wantUsers == 0 && before == "" && b.cookie(site.URL, auth.IdentityCookie) != "" {
				t.Error("browser holds an identity cookie after a refused callback")
			}
			if !tt.otherBrowser && b.cookie(site.URL+auth.FlowPath, auth.FlowCookie) != "" {
				t.Error("flow cookie not cleared by the callback")
			}
		})
	}
}

func TestCallbackProviderError(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	b := newBrowser(t)
	chooser, body := b.get(site.URL + "/login?next=/")
	resp, body := b.choose(chooser, body, "cancel")
	checkSignInRefused(t, resp, body, "did not let you in, or you cancelled")
	if got := site.userCount(t); got != 0 {
		t.Errorf("users rows = %d, want 0", got)
	}
}

func TestCallbackExchangeFailure(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer(), env: map[string]string{"OIDC_CLIENT_SECRET": "not-the-secret"}})
	resp, body := newBrowser(t).signIn(site, "student-ada", "/")
	checkSignInRefused(t, resp, body, "did not confirm the sign-in")
	if got := site.userCount(t); got != 0 {
		t.Errorf("users rows = %d, want 0", got)
	}
}

func TestCallbackRefusesBadIDToken(t *testing.T) {
	idp := startDevIDP(t, "127.0.0.1:0", nil)
	site := startSigninSite(t, signinSiteOptions{issuer: idp.Issuer()})
	tests := []struct {
		name string
		m    devidp.Misbehaviour
	}{
		{"wrong audience", devidp.WrongAudience},
		{"wrong issuer", devidp.WrongIssuer},
		{"expired", devidp.Expired},
		{"bad signature", devidp.BadSignature},
		{"alg none", devidp.AlgNone},
		{"nonce mismatch", devidp.WrongNonce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp.MisbehaveNext(tt.m)
			b := newBrowser(t)
			resp, body := b.signIn(site, "student-ada", "/")
			checkSignInRefused(t, resp, body, "could not be verified")
			if got := site.userCount(t); got != 0 {
				t.Errorf("users rows = %d, want 0", got)
			}
			if b.cookie(site.URL, auth.IdentityCookie) != "" {
				t.Error("browser holds an identity cookie")
			}
		})
	}
	// The same site and provider still sign people in honestly.
	if _, body := newBrowser(t).signIn(site, "student-ada", "/"); !strings.Contains(body, "Ada Lovelace") {
		t.Error("an honest sign-in after the refused ones failed")
	}
}
