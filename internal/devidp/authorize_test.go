package devidp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/twelve-course/twelve/internal/devidp"
)

func TestChooserPage(t *testing.T) {
	t.Parallel()
	rp := newRelyingParty(t, startServer(t, devidp.Options{}))
	a := rp.begin()
	_, doc := rp.getPage(t, a.authURL, http.StatusOK)

	if h1 := findAll(doc, func(n *html.Node) bool { return n.Data == "h1" }); len(h1) != 1 || text(h1[0]) != "Choose an account" {
		t.Errorf("want one h1 \"Choose an account\", got %d", len(h1))
	}
	authQuery, err := url.Parse(a.authURL)
	if err != nil {
		t.Fatal(err)
	}
	wantHidden := url.Values{}
	for _, name := range []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method"} {
		wantHidden.Set(name, authQuery.Query().Get(name))
	}

	tests := []struct {
		name    string
		testID  string
		label   string
		subject string
	}{
		{name: "ada", testID: "account-student-ada", label: "Sign in as Ada Lovelace (student)", subject: "student-ada"},
		{name: "brook", testID: "account-student-brook", label: "Sign in as Brook Taylor (student)", subject: "student-brook"},
		{name: "ines", testID: "account-instructor-ines", label: "Sign in as Ines Instructor (instructor)", subject: "instructor-ines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			button := findByTestID(doc, tt.testID)
			if button == nil {
				t.Fatalf("no single element with data-testid=%q", tt.testID)
			}
			if button.Data != "button" || attr(button, "type") != "submit" {
				t.Errorf("%q is <%s type=%q>, want a submit button", tt.testID, button.Data, attr(button, "type"))
			}
			if got := text(button); got != tt.label {
				t.Errorf("button label = %q, want %q", got, tt.label)
			}
			if attr(button, "name") != "subject" || attr(button, "value") != tt.subject {
				t.Errorf("button submits %s=%s, want subject=%s", attr(button, "name"), attr(button, "value"), tt.subject)
			}
			form := ancestor(button, "form")
			if form == nil || !strings.EqualFold(attr(form, "method"), "post") {
				t.Fatalf("button is not in a POST form")
			}
			if diff := cmp.Diff(wantHidden, hiddenInputs(form)); diff != "" {
				t.Errorf("hidden fields (-want +got):\n%s", diff)
			}
			if ancestor(form, "li") == nil || ancestor(form, "ul") == nil {
				t.Errorf("account form is not in a list")
			}
		})
	}
}

func TestAuthorizeRejects(t *testing.T) {
	t.Parallel()
	rp := newRelyingParty(t, startServer(t, devidp.Options{}))
	valid := func() url.Values {
		u, err := url.Parse(rp.begin().authURL)
		if err != nil {
			t.Fatal(err)
		}
		return u.Query()
	}
	tests := []struct {
		name   string
		change func(url.Values)
		want   int
	}{
		{name: "valid", change: func(url.Values) {}, want: http.StatusOK},
		{name: "localhost redirect", change: func(q url.Values) { q.Set("redirect_uri", "http://localhost:3000/cb") }, want: http.StatusOK},
		{name: "IPv6 loopback redirect", change: func(q url.Values) { q.Set("redirect_uri", "https://[::1]:3000/cb") }, want: http.StatusOK},
		{name: "no PKCE", change: func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, want: http.StatusOK},
		{name: "remote redirect", change: func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, want: http.StatusBadRequest},
		{name: "loopback-looking domain", change: func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1.evil.example/cb") }, want: http.StatusBadRequest},
		{name: "userinfo trick", change: func(q url.Values) { q.Set("redirect_uri", "http://localhost@evil.example/cb") }, want: http.StatusBadRequest},
		{name: "non-http scheme", change: func(q url.Values) { q.Set("redirect_uri", "javascript://localhost/%0aalert(1)") }, want: http.StatusBadRequest},
		{name: "relative redirect", change: func(q url.Values) { q.Set("redirect_uri", "/cb") }, want: http.StatusBadRequest},
		{name: "missing redirect", change: func(q url.Values) { q.Del("redirect_uri") }, want: http.StatusBadRequest},
		{name: "unknown client", change: func(q url.Values) { q.Set("client_id", "someone") }, want: http.StatusBadRequest},
		{name: "implicit flow", change: func(q url.Values) { q.Set("response_type", "token") }, want: http.StatusBadRequest},
		{name: "no openid scope", change: func(q url.Values) { q.Set("scope", "email") }, want: http.StatusBadRequest},
		{name: "unknown scope", change: func(q url.Values) { q.Set("scope", "openid admin") }, want: http.StatusBadRequest},
		{name: "no state", change: func(q url.Values) { q.Del("state") }, want: http.StatusBadRequest},
		{name: "plain PKCE", change: func(q url.Values) { q.Set("code_challenge_method", "plain") }, want: http.StatusBadRequest},
		{name: "challenge without method", change: func(q url.Values) { q.Del("code_challenge_method") }, want: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := valid()
			tt.change(q)
			_, doc := rp.getPage(t, rp.srv.Issuer()+"/authorize?"+q.Encode(), tt.want)
			reason := findByTestID(doc, "reason")
			if tt.want == http.StatusOK && reason != nil {
				t.Errorf("valid request refused: %s", text(reason))
			}
			if tt.want == http.StatusBadRequest && (reason == nil || text(reason) == "") {
				t.Errorf("refusal page gives no reason")
			}
		})
	}
}

// TestChoiceRevalidated checks that the chooser's POST is not trusted more
// than the GET: its hidden fields can be edited.
func TestChoiceRevalidated(t *testing.T) {
	t.Parallel()
	rp := newRelyingParty(t, startServer(t, devidp.Options{}))
	tests := []struct {
		name   string
		change func(url.Values)
	}{
		{name: "remote redirect", change: func(f url.Values) { f.Set("redirect_uri", "https://evil.example/cb") }},
		{name: "unknown account", change: func(f url.Values) { f.Set("subject", "root") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(rp.begin().authURL)
			if err != nil {
				t.Fatal(err)
			}
			form := u.Query()
			form.Set("subject", "student-ada")
			tt.change(form)
			resp, err := rp.browser.PostForm(rp.srv.Issuer()+"/authorize", form)
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("status %d Location %q, want 400 and no redirect; body %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
		})
	}
}
