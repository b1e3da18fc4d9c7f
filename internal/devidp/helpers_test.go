package devidp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/twelve-course/twelve/internal/devidp"
)

// callbackURL is where the test relying party says it lives. Nothing
// listens there: the tests read the Location header instead.
const callbackURL = "http://127.0.0.1:9/callback"

// startServer serves a fresh provider on 127.0.0.1 over real HTTP until the
// test ends.
func startServer(t *testing.T, opts devidp.Options) *devidp.Server {
	t.Helper()
	srv, ln, err := devidp.Listen("127.0.0.1:0", opts)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		if err := hs.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return srv
}

// relyingParty is a client of the provider built the way the app builds one:
// go-oidc discovery plus an oauth2.Config.
type relyingParty struct {
	srv      *devidp.Server
	provider *oidc.Provider
	config   oauth2.Config
	verifier *oidc.IDTokenVerifier
	browser  *http.Client // does not follow redirects
}

func newRelyingParty(t *testing.T, srv *devidp.Server) *relyingParty {
	t.Helper()
	provider, err := oidc.NewProvider(t.Context(), srv.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &relyingParty{
		srv:      srv,
		provider: provider,
		config: oauth2.Config{
			ClientID:     srv.ClientID(),
			ClientSecret: srv.ClientSecret(),
			Endpoint:     provider.Endpoint(),
			RedirectURL:  callbackURL,
			Scopes:       []string{oidc.ScopeOpenID, "email", "profile", "groups"},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: srv.ClientID()}),
		browser: &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// attempt is one sign-in's secrets, kept by the relying party.
type attempt struct {
	state, nonce, verifier string
	authURL                string
}

func (rp *relyingParty) begin() attempt {
	a := attempt{state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
	a.authURL = rp.config.AuthCodeURL(a.state, oidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier))
	return a
}

// choose opens the chooser at authURL and submits the form of the button
// with the given data-testid, returning the redirect's Location.
func (rp *relyingParty) choose(t *testing.T, authURL, testID string) *url.URL {
	t.Helper()
	page, doc := rp.getPage(t, authURL, http.StatusOK)
	button := findByTestID(doc, testID)
	if button == nil {
		t.Fatalf("no element with data-testid=%q on the chooser", testID)
	}
	form := ancestor(button, "form")
	if form == nil {
		t.Fatalf("%q is not inside a form", testID)
	}
	fields := hiddenInputs(form)
	fields.Set(attr(button, "name"), attr(button, "value"))
	action, err := page.Parse(attr(form, "action"))
	if err != nil {
		t.Fatalf("form action: %v", err)
	}
	resp, err := rp.browser.PostForm(action.String(), fields)
	if err != nil {
		t.Fatalf("submit chooser: %v", err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("submit chooser: status %d, want %d; body %s", resp.StatusCode, http.StatusFound, body)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("submit chooser: %v", err)
	}
	return loc
}

// signIn runs the browser part of a sign-in as subject and returns the
// attempt and the authorization code.
func (rp *relyingParty) signIn(t *testing.T, subject string) (attempt, string) {
	t.Helper()
	a := rp.begin()
	loc := rp.choose(t, a.authURL, "account-"+subject)
	if got := loc.Query().Get("state"); got != a.state {
		t.Fatalf("callback state = %q, want %q", got, a.state)
	}
	if got, want := loc.Scheme+"://"+loc.Host+loc.Path, callbackURL; got != want {
		t.Fatalf("callback = %q, want %q", got, want)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("callback %q has no code", loc)
	}
	return a, code
}

// exchange trades code for tokens and returns the raw ID token.
func (rp *relyingParty) exchange(ctx context.Context, a attempt, code string) (*oauth2.Token, string, error) {
	tok, err := rp.config.Exchange(ctx, code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		return nil, "", err
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return tok, "", errors.New("token response has no id_token")
	}
	return tok, raw, nil
}

// idClaims are the claims the app reads from an ID token.
type idClaims struct {
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	Groups        []string `json:"groups"`
}

// getPage GETs an HTML page, checks its status and parses it.
func (rp *relyingParty) getPage(t *testing.T, rawURL string, wantStatus int) (*url.URL, *html.Node) {
	t.Helper()
	resp, err := rp.browser.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: status %d, want %d; body %s", rawURL, resp.StatusCode, wantStatus, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET %s: Content-Type %q, want text/html", rawURL, ct)
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse page: %v", err)
	}
	return resp.Request.URL, doc
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func findByTestID(n *html.Node, id string) *html.Node {
	found := findAll(n, func(d *html.Node) bool { return attr(d, "data-testid") == id })
	if len(found) != 1 {
		return nil
	}
	return found[0]
}

func ancestor(n *html.Node, tag string) *html.Node {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == tag {
			return p
		}
	}
	return nil
}

func hiddenInputs(form *html.Node) url.Values {
	v := url.Values{}
	for _, in := range findAll(form, func(d *html.Node) bool { return d.Data == "input" && attr(d, "type") == "hidden" }) {
		v.Add(attr(in, "name"), attr(in, "value"))
	}
	return v
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.TrimSpace(b.String())
}
