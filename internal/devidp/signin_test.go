package devidp_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/twelve-course/twelve/internal/devidp"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	rp := newRelyingParty(t, startServer(t, devidp.Options{}))

	tests := []struct {
		name      string
		subject   string
		authStyle oauth2.AuthStyle
		want      idClaims
	}{
		{
			name:      "instructor, client_secret_basic",
			subject:   "instructor-ines",
			authStyle: oauth2.AuthStyleInHeader,
			want:      idClaims{Email: "ines@example.edu", EmailVerified: true, Name: "Ines Instructor", Groups: []string{"instructors"}},
		},
		{
			name:      "student, client_secret_post",
			subject:   "student-ada",
			authStyle: oauth2.AuthStyleInParams,
			want:      idClaims{Email: "ada@example.edu", EmailVerified: true, Name: "Ada Lovelace", Groups: []string{"students"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := *rp
			rp.config.Endpoint.AuthStyle = tt.authStyle
			a, code := rp.signIn(t, tt.subject)

			tok, raw, err := rp.exchange(t.Context(), a, code)
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			idToken, err := rp.verifier.Verify(t.Context(), raw)
			if err != nil {
				t.Fatalf("verify ID token: %v", err)
			}
			if idToken.Issuer != rp.srv.Issuer() {
				t.Errorf("iss = %q, want %q", idToken.Issuer, rp.srv.Issuer())
			}
			if idToken.Subject != tt.subject {
				t.Errorf("sub = %q, want %q", idToken.Subject, tt.subject)
			}
			if idToken.Nonce != a.nonce {
				t.Errorf("nonce = %q, want %q", idToken.Nonce, a.nonce)
			}
			if !slices.Equal(idToken.Audience, []string{rp.srv.ClientID()}) {
				t.Errorf("aud = %q, want [%q]", idToken.Audience, rp.srv.ClientID())
			}
			var got idClaims
			if err := idToken.Claims(&got); err != nil {
				t.Fatalf("ID token claims: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ID token claims (-want +got):\n%s", diff)
			}
			if life := tok.Expiry.Sub(idToken.IssuedAt); life <= 0 || life > 24*time.Hour {
				t.Errorf("access token lifetime %v, want positive and under a day (expires_in in seconds)", life)
			}

			info, err := rp.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			if info.Subject != tt.subject || info.Email != tt.want.Email {
				t.Errorf("userinfo sub, email = %q, %q; want %q, %q", info.Subject, info.Email, tt.subject, tt.want.Email)
			}
			var gotInfo idClaims
			if err := info.Claims(&gotInfo); err != nil {
				t.Fatalf("userinfo claims: %v", err)
			}
			if diff := cmp.Diff(tt.want, gotInfo); diff != "" {
				t.Errorf("userinfo claims (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParallelSignIns checks that concurrent sign-ins as different people
// each get their own identity.
func TestParallelSignIns(t *testing.T) {
	t.Parallel()
	rp := newRelyingParty(t, startServer(t, devidp.Options{}))
	tests := []struct {
		name    string
		subject string
		email   string
	}{
		{name: "ada", subject: "student-ada", email: "ada@example.edu"},
		{name: "brook", subject: "student-brook", email: "brook@example.edu"},
	}
	for round := range 16 {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s-%d", tt.name, round), func(t *testing.T) {
				t.Parallel()
				a, code := rp.signIn(t, tt.subject)
				tok, raw, err := rp.exchange(t.Context(), a, code)
				if err != nil {
					t.Fatalf("exchange: %v", err)
				}
				idToken, err := rp.verifier.Verify(t.Context(), raw)
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				var claims idClaims
				if err := idToken.Claims(&claims); err != nil {
					t.Fatalf("claims: %v", err)
				}
				if idToken.Subject != tt.subject || claims.Email != tt.email || idToken.Nonce != a.nonce {
					t.Errorf("got sub %q email %q nonce %q; want %q %q %q", idToken.Subject, claims.Email, idToken.Nonce, tt.subject, tt.email, a.nonce)
				}
				info, err := rp.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
				if err != nil {
					t.Fatalf("userinfo: %v", err)
				}
				if info.Subject != tt.subject {
					t.Errorf("userinfo sub = %q, want %q", info.Subject, tt.subject)
				}
			})
		}
	}
}

func TestTokenRejects(t *testing.T) {
	t.Parallel()
	rp := newRelyingParty(t, startServer(t, devidp.Options{}))

	tests := []struct {
		name string
		// exchange sends the token request for a fresh sign-in with code
		// and the attempt's secrets.
		exchange func(rp *relyingParty, a attempt, code string) error
	}{
		{
			name: "wrong PKCE verifier",
			exchange: func(rp *relyingParty, a attempt, code string) error {
				_, err := rp.config.Exchange(t.Context(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
				return err
			},
		},
		{
			name: "missing PKCE verifier",
			exchange: func(rp *relyingParty, a attempt, code string) error {
				_, err := rp.config.Exchange(t.Context(), code)
				return err
			},
		},
		{
			name: "wrong client secret",
			exchange: func(rp *relyingParty, a attempt, code string) error {
				c := rp.config
				c.ClientSecret = "guess"
				_, err := c.Exchange(t.Context(), code, oauth2.VerifierOption(a.verifier))
				return err
			},
		},
		{
			name: "other redirect_uri",
			exchange: func(rp *relyingParty, a attempt, code string) error {
				c := rp.config
				c.RedirectURL = "http://127.0.0.1:9/elsewhere"
				_, err := c.Exchange(t.Context(), code, oauth2.VerifierOption(a.verifier))
				return err
			},
		},
		{
			name: "code used twice",
			exchange: func(rp *relyingParty, a attempt, code string) error {
				if _, err := rp.config.Exchange(t.Context(), code, oauth2.VerifierOption(a.verifier)); err != nil {
					return fmt.Errorf("first exchange should work: %w", err)
				}
				_, err := rp.config.Exchange(t.Context(), code, oauth2.VerifierOption(a.verifier))
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, code := rp.signIn(t, "student-brook")
			err := tt.exchange(rp, a, code)
			re, ok := errors.AsType[*oauth2.RetrieveError](err)
			if !ok {
				t.Fatalf("exchange error = %v, want an OAuth error response", err)
			}
			if re.Response.StatusCode < 400 || re.Response.StatusCode >= 500 {
				t.Errorf("status %d, want 4xx", re.Response.StatusCode)
			}
		})
	}
}

// TestVerifierWithoutChallenge checks that a code issued without PKCE is
// not redeemed with a code_verifier, which would hide a downgrade.
func TestVerifierWithoutChallenge(t *testing.T) {
	t.Parallel()
	rp := newRelyingParty(t, startServer(t, devidp.Options{}))
	tests := []struct {
		name     string
		opts     []oauth2.AuthCodeOption
		wantCode string
	}{
		{name: "verifier sent", opts: []oauth2.AuthCodeOption{oauth2.VerifierOption(oauth2.GenerateVerifier())}, wantCode: "invalid_grant"},
		{name: "no verifier", opts: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			authURL := rp.config.AuthCodeURL("st", oidc.Nonce("n"))
			loc := rp.choose(t, authURL, "account-student-ada")
			_, err := rp.config.Exchange(t.Context(), loc.Query().Get("code"), tt.opts...)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("exchange: %v", err)
				}
				return
			}
			if re, ok := errors.AsType[*oauth2.RetrieveError](err); !ok || re.ErrorCode != tt.wantCode {
				t.Fatalf("exchange error = %v, want %s", err, tt.wantCode)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	rp := newRelyingParty(t, startServer(t, devidp.Options{}))
	a := rp.begin()
	loc := rp.choose(t, a.authURL, "cancel")
	want := url.Values{"error": {"access_denied"}, "state": {a.state}}
	if diff := cmp.Diff(want, loc.Query()); diff != "" {
		t.Errorf("cancel redirect query (-want +got):\n%s", diff)
	}
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	srv := startServer(t, devidp.Options{})
	provider, err := oidc.NewProvider(t.Context(), srv.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var doc struct {
		Issuer                        string   `json:"issuer"`
		AuthorizationEndpoint         string   `json:"authorization_endpoint"`
		TokenEndpoint                 string   `json:"token_endpoint"`
		UserinfoEndpoint              string   `json:"userinfo_endpoint"`
		JWKSURI                       string   `json:"jwks_uri"`
		EndSessionEndpoint            string   `json:"end_session_endpoint"`
		CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
		IDTokenSigningAlgs            []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&doc); err != nil {
		t.Fatalf("discovery document: %v", err)
	}
	iss := srv.Issuer()
	want := doc
	want.Issuer = iss
	want.AuthorizationEndpoint = iss + "/authorize"
	want.TokenEndpoint = iss + "/token"
	want.UserinfoEndpoint = iss + "/userinfo"
	want.JWKSURI = iss + "/.well-known/jwks.json"
	want.EndSessionEndpoint = iss + "/logout"
	want.CodeChallengeMethodsSupported = []string{"S256"}
	want.IDTokenSigningAlgs = []string{"RS256"}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("discovery (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(iss, "http://127.0.0.1:") {
		t.Errorf("issuer %q, want http://127.0.0.1:<port>/oidc", iss)
	}
}

func TestEndSession(t *testing.T) {
	t.Parallel()
	rp := newRelyingParty(t, startServer(t, devidp.Options{}))
	endpoint := rp.srv.Issuer() + "/logout"
	tests := []struct {
		name         string
		query        url.Values
		wantStatus   int
		wantLocation string
	}{
		{
			name:         "loopback post_logout_redirect_uri",
			query:        url.Values{"post_logout_redirect_uri": {"http://localhost:8080/signed-out?x=1"}, "state": {"s1"}},
			wantStatus:   http.StatusFound,
			wantLocation: "http://localhost:8080/signed-out?state=s1&x=1",
		},
		{
			name:       "remote post_logout_redirect_uri",
			query:      url.Values{"post_logout_redirect_uri": {"https://evil.example/"}},
			wantStatus: http.StatusOK,
		},
		{name: "no redirect", wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := rp.browser.Get(endpoint + "?" + tt.query.Encode())
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("Location"); got != tt.wantLocation {
				t.Errorf("Location = %q, want %q", got, tt.wantLocation)
			}
			if tt.wantStatus == http.StatusOK && !strings.Contains(body, `data-testid="signed-out"`) {
				t.Errorf("body has no signed-out message:\n%s", body)
			}
		})
	}
}
