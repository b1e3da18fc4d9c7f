package ltiplatform

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Registration is a tool's registration (client) with the platform.
type Registration struct {
	ClientID         string   `json:"client_id"`
	Name             string   `json:"client_name,omitempty"`
	RedirectURIs     []string `json:"redirect_uris"`
	InitiateLoginURI string   `json:"initiate_login_uri"`
	JWKSURI          string   `json:"jwks_uri"`
	TargetLinkURI    string   `json:"target_link_uri"`
	DeploymentID     string   `json:"deployment_id"`
	Scopes           []string `json:"scopes"`
	// Messages are the tool's message types, as it registered them.
	Messages []json.RawMessage `json:"messages,omitempty"`
	// Via is "preconfigured" or "dynamic".
	Via string `json:"via"`
}

// Registrations returns every registration, the preconfigured one first.
func (p *Platform) Registrations() []Registration {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Registration, 0, len(p.st.clients))
	for _, r := range p.st.clients {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Registration) int {
		if a.Via != b.Via {
			return strings.Compare(b.Via, a.Via) // "preconfigured" first
		}
		return strings.Compare(a.ClientID, b.ClientID)
	})
	return out
}

// Registration finds a registration by client_id.
func (p *Platform) Registration(clientID string) (Registration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.st.clients[clientID]
	if !ok {
		return Registration{}, false
	}
	return *r, true
}

// NewRegistrationToken issues a single-use registration token, valid for
// an hour.
func (p *Platform) NewRegistrationToken() string {
	token := randomID()
	p.mu.Lock()
	p.st.regTokens[token] = p.now().Add(time.Hour)
	p.mu.Unlock()
	return token
}

// OpenIDConfigURL is the platform's configuration document.
func (p *Platform) OpenIDConfigURL() string { return p.issuer + "/.well-known/openid-configuration" }

// RegistrationURL is the tool's dynamic registration URL with the
// platform's configuration and a fresh registration token, as an LMS opens
// it: ToolURL/lti/register?openid_configuration=…&registration_token=….
func (p *Platform) RegistrationURL() string {
	return p.toolURL + "/lti/register?" + url.Values{
		"openid_configuration": {p.OpenIDConfigURL()},
		"registration_token":   {p.NewRegistrationToken()},
	}.Encode()
}

// showOpenIDConfig (GET /.well-known/openid-configuration) is the
// platform's configuration for Dynamic Registration.
func (p *Platform) showOpenIDConfig(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"issuer":                                p.issuer,
		"authorization_endpoint":                p.AuthURL(),
		"token_endpoint":                        p.TokenURL(),
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS256"},
		"jwks_uri":                              p.JWKSURL(),
		"registration_endpoint":                 p.issuer + "/register",
		"scopes_supported":                      append([]string{"openid"}, allScopes()...),
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"claims_supported":                      []string{"iss", "sub", "aud", "iat", "exp", "nonce", "name", "given_name", "family_name", "email"},
		claimPlatformConf: map[string]any{
			"product_family_code": productFamily,
			"version":             "1.0",
			"messages_supported": []map[string]any{
				{"type": messageResourceLink},
				{"type": messageDeepLinking, "placements": []string{"link_selection", "assignment_selection", "editor_button"}},
			},
		},
	})
}

// clientMetadata is a Dynamic Registration request.
type clientMetadata struct {
	ApplicationType string   `json:"application_type"`
	ResponseTypes   []string `json:"response_types"`
	GrantTypes      []string `json:"grant_types"`
	InitiateLogin   string   `json:"initiate_login_uri"`
	RedirectURIs    []string `json:"redirect_uris"`
	ClientName      string   `json:"client_name"`
	JWKSURI         string   `json:"jwks_uri"`
	LogoURI         string   `json:"logo_uri,omitempty"`
	AuthMethod      string   `json:"token_endpoint_auth_method"`
	Scope           string   `json:"scope"`
	ToolConfig      struct {
		Domain        string            `json:"domain"`
		Description   string            `json:"description,omitempty"`
		TargetLinkURI string            `json:"target_link_uri"`
		Custom        map[string]string `json:"custom_parameters,omitempty"`
		Claims        []string          `json:"claims,omitempty"`
		Messages      []json.RawMessage `json:"messages,omitempty"`
	} `json:"https://purl.imsglobal.org/spec/lti-tool-configuration"`
}

func (m clientMetadata) check() error {
	var errs []error
	if m.ApplicationType != "" && m.ApplicationType != "web" {
		errs = append(errs, errors.New("application_type must be web"))
	}
	if !slices.Contains(m.ResponseTypes, "id_token") {
		errs = append(errs, errors.New("response_types must include id_token"))
	}
	if !slices.Contains(m.GrantTypes, "implicit") || !slices.Contains(m.GrantTypes, "client_credentials") {
		errs = append(errs, errors.New("grant_types must include implicit and client_credentials"))
	}
	if m.AuthMethod != "private_key_jwt" {
		errs = append(errs, errors.New("token_endpoint_auth_method must be private_key_jwt"))
	}
	if len(m.RedirectURIs) == 0 {
		errs = append(errs, errors.New("redirect_uris is required"))
	}
	for name, u := range map[string]string{"initiate_login_uri": m.InitiateLogin, "jwks_uri": m.JWKSURI, "target_link_uri": m.ToolConfig.TargetLinkURI} {
		if err := checkURL(u); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", name, err))
		}
	}
	for _, u := range m.RedirectURIs {
		if err := checkURL(u); err != nil {
			errs = append(errs, fmt.Errorf("redirect_uris: %v", err))
		}
	}
	if m.ToolConfig.Domain == "" {
		errs = append(errs, errors.New("lti-tool-configuration.domain is required"))
	}
	return errors.Join(errs...)
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return errors.New("missing")
	case err != nil:
		return fmt.Errorf("%q is not a URL", raw)
	case u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())):
		return fmt.Errorf("%q must be https (or http on a loopback host)", raw)
	case u.Fragment != "":
		return fmt.Errorf("%q has a fragment", raw)
	}
	return nil
}

// register (POST /register) is the Dynamic Registration endpoint: it takes
// a single-use registration token the platform issued.
func (p *Platform) register(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	exp, issued := p.st.regTokens[token]
	p.mu.Unlock()
	if token == "" || !issued || p.now().After(exp) {
		p.refuse(w, r, http.StatusUnauthorized, "registration token unknown, expired or already used")
		return
	}
	var m clientMetadata
	if err := decodeJSON(r, &m); err != nil {
		p.refuse(w, r, http.StatusBadRequest, "registration: "+err.Error())
		return
	}
	if err := m.check(); err != nil {
		p.log.Info("refused", "path", r.URL.Path, "reason", err.Error())
		writeJSON(w, http.StatusBadRequest, "application/json", map[string]string{"error": "invalid_client_metadata", "error_description": err.Error()})
		return
	}
	var scopes []string
	for _, s := range strings.Fields(m.Scope) {
		if slices.Contains(allScopes(), s) {
			scopes = append(scopes, s)
		}
	}
	p.mu.Lock()
	if _, still := p.st.regTokens[token]; !still {
		p.mu.Unlock()
		p.refuse(w, r, http.StatusUnauthorized, "registration token already used")
		return
	}
	delete(p.st.regTokens, token)
	reg := &Registration{
		ClientID:         fmt.Sprintf("twelve-dr-%d", len(p.st.clients)),
		Name:             m.ClientName,
		RedirectURIs:     m.RedirectURIs,
		InitiateLoginURI: m.InitiateLogin,
		JWKSURI:          m.JWKSURI,
		TargetLinkURI:    m.ToolConfig.TargetLinkURI,
		DeploymentID:     p.deploy,
		Scopes:           scopes,
		Messages:         m.ToolConfig.Messages,
		Via:              "dynamic",
	}
	p.st.clients[reg.ClientID] = reg
	p.st.current = reg.ClientID
	p.mu.Unlock()
	p.log.Info("registered", "client_id", reg.ClientID, "client_name", reg.Name)

	var answer map[string]any
	body, _ := json.Marshal(m)
	_ = json.Unmarshal(body, &answer)
	answer["client_id"] = reg.ClientID
	answer["scope"] = strings.Join(scopes, " ")
	if tc, ok := answer[claimToolConfig].(map[string]any); ok && !p.noDeploy {
		tc["deployment_id"] = reg.DeploymentID
	}
	writeJSON(w, http.StatusOK, "application/json", answer)
}
