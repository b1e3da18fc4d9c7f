package devidp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/twelve-course/twelve/internal/devidp"
)

// TestMisbehaveNext signs in twice per case: the first ID token must fail
// the relying party's checks in the stated way, the second must pass.
func TestMisbehaveNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		misbehaviour devidp.Misbehaviour
		// check gets go-oidc's verdict and, when it accepted the token, the
		// token; it fails the test unless the misbehaviour was caught.
		check func(t *testing.T, rp *relyingParty, a attempt, tok *oauth2.Token, idToken *oidc.IDToken, verifyErr error)
	}{
		{misbehaviour: devidp.WrongAudience, check: wantVerifyError("expected audience")},
		{misbehaviour: devidp.WrongIssuer, check: wantVerifyError("issued by a different provider")},
		{
			misbehaviour: devidp.Expired,
			check: func(t *testing.T, _ *relyingParty, _ attempt, _ *oauth2.Token, _ *oidc.IDToken, err error) {
				if _, ok := errors.AsType[*oidc.TokenExpiredError](err); !ok {
					t.Errorf("verify error = %v, want *oidc.TokenExpiredError", err)
				}
			},
		},
		{misbehaviour: devidp.BadSignature, check: wantVerifyError("failed to verify signature")},
		{misbehaviour: devidp.AlgNone, check: wantVerifyError("malformed jwt")},
		{
			misbehaviour: devidp.WrongNonce,
			check: func(t *testing.T, _ *relyingParty, a attempt, _ *oauth2.Token, idToken *oidc.IDToken, err error) {
				if err != nil {
					t.Fatalf("verify: %v (a wrong nonce is the relying party's check, not go-oidc's)", err)
				}
				if idToken.Nonce == a.nonce {
					t.Errorf("nonce = the one sent, want a different one")
				}
			},
		},
		{
			misbehaviour: devidp.OmitProfile,
			check: func(t *testing.T, rp *relyingParty, _ attempt, tok *oauth2.Token, idToken *oidc.IDToken, err error) {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				var claims idClaims
				if err := idToken.Claims(&claims); err != nil {
					t.Fatalf("claims: %v", err)
				}
				if claims.Email != "" || claims.Name != "" || claims.Groups != nil || claims.EmailVerified {
					t.Errorf("ID token profile = %+v, want none", claims)
				}
				info, err := rp.provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
				if err != nil {
					t.Fatalf("userinfo fallback: %v", err)
				}
				var fromInfo idClaims
				if err := info.Claims(&fromInfo); err != nil {
					t.Fatalf("userinfo claims: %v", err)
				}
				if fromInfo.Email != "ines@example.edu" || fromInfo.Name != "Ines Instructor" || len(fromInfo.Groups) != 1 || fromInfo.Groups[0] != "instructors" {
					t.Errorf("userinfo profile = %+v, want Ines's", fromInfo)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.misbehaviour.String(), func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, devidp.Options{})
			rp := newRelyingParty(t, srv)
			srv.MisbehaveNext(tt.misbehaviour)

			a, code := rp.signIn(t, "instructor-ines")
			tok, raw, err := rp.exchange(t.Context(), a, code)
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			idToken, verifyErr := rp.verifier.Verify(t.Context(), raw)
			tt.check(t, rp, a, tok, idToken, verifyErr)

			a, code = rp.signIn(t, "instructor-ines")
			_, raw, err = rp.exchange(t.Context(), a, code)
			if err != nil {
				t.Fatalf("second exchange: %v", err)
			}
			idToken, err = rp.verifier.Verify(t.Context(), raw)
			if err != nil {
				t.Fatalf("second ID token should be honest: %v", err)
			}
			var claims idClaims
			if err := idToken.Claims(&claims); err != nil {
				t.Fatalf("claims: %v", err)
			}
			if idToken.Nonce != a.nonce || claims.Email != "ines@example.edu" {
				t.Errorf("second ID token nonce %q email %q, want %q ines@example.edu", idToken.Nonce, claims.Email, a.nonce)
			}
		})
	}
}

func wantVerifyError(substr string) func(*testing.T, *relyingParty, attempt, *oauth2.Token, *oidc.IDToken, error) {
	return func(t *testing.T, _ *relyingParty, _ attempt, _ *oauth2.Token, _ *oidc.IDToken, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), substr) {
			t.Errorf("verify error = %v, want one containing %q", err, substr)
		}
	}
}
