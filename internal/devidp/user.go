package devidp

import (
	"encoding/json"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// user adapts an Account to mockoidc.User, whose own MockUser has no name.
//
// It releases every claim whatever scopes were asked for: the relying party
// decides roles from groups, and a development provider that withholds them
// because a scope was left out only produces confusing sign-ins.
type user struct{ account Account }

// profile is the userinfo response and the ID token's profile claims.
type profile struct {
	Subject       string   `json:"sub"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	Groups        []string `json:"groups"`
}

// idClaims is an ID token: mockoidc's registered claims and nonce plus the
// profile.
type idClaims struct {
	*mockoidc.IDTokenClaims
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	Groups        []string `json:"groups"`
}

func (u user) ID() string { return u.account.Subject }

func (u user) groups() []string { return append([]string{}, u.account.Groups...) }

func (u user) Userinfo([]string) ([]byte, error) {
	body, err := json.Marshal(profile{
		Subject:       u.account.Subject,
		Email:         u.account.Email,
		EmailVerified: true,
		Name:          u.account.Name,
		Groups:        u.groups(),
	})
	if err != nil {
		return nil, fmt.Errorf("devidp: userinfo: %w", err)
	}
	return body, nil
}

func (u user) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &idClaims{
		IDTokenClaims: base,
		Email:         u.account.Email,
		EmailVerified: true,
		Name:          u.account.Name,
		Groups:        u.groups(),
	}, nil
}
