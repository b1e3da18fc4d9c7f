package ltiplatform

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// registration is a tool's Dynamic Registration request body.
func (ft *fakeTool) registration() map[string]any {
	base := ft.srv.URL
	return map[string]any{
		"application_type":           "web",
		"response_types":             []string{"id_token"},
		"grant_types":                []string{"implicit", "client_credentials"},
		"initiate_login_uri":         base + "/lti/login",
		"redirect_uris":              []string{base + "/lti/launch"},
		"client_name":                "Twelve",
		"jwks_uri":                   base + "/lti/jwks",
		"token_endpoint_auth_method": "private_key_jwt",
		"scope":                      ScopeScore + " " + ScopeLineItem + " " + ScopeMemberships,
		claimToolConfig: map[string]any{
			"domain":          strings.TrimPrefix(base, "http://"),
			"target_link_uri": base + "/lti/launch",
			"claims":          []string{"iss", "sub", "name", "email"},
			"messages":        []map[string]any{{"type": messageDeepLinking}, {"type": messageResourceLink}},
		},
	}
}

func TestDynamicRegistration(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)

	// The registration URL carries the configuration and a fresh token.
	u, err := url.Parse(p.RegistrationURL())
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != tool.srv.URL+"/lti/register" {
		t.Errorf("registration URL %s, want the tool's /lti/register", got)
	}
	cfgURL, token := u.Query().Get("openid_configuration"), u.Query().Get("registration_token")
	resp, body := do(t, http.MethodGet, cfgURL, token, "", nil)
	var cfg map[string]any
	if err := json.Unmarshal(body, &cfg); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("configuration: %s %v", resp.Status, err)
	}
	if cfg["issuer"] != p.Issuer() || cfg["registration_endpoint"] != p.Issuer()+"/register" || cfg[claimPlatformConf] == nil {
		t.Errorf("configuration = %v", cfg)
	}
	reg := cfg["registration_endpoint"].(string)

	bad := tool.registration()
	delete(bad, "jwks_uri")
	if resp, body := do(t, http.MethodPost, reg, token, "application/json", bad); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "jwks_uri") {
		t.Errorf("registration without jwks_uri: %s %s, want 400 naming it", resp.Status, body)
	}
	for _, tok := range []string{"", "made-up"} {
		if resp, _ := do(t, http.MethodPost, reg, tok, "application/json", tool.registration()); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("registration with token %q: %s, want 401", tok, resp.Status)
		}
	}
	resp, body = do(t, http.MethodPost, reg, token, "application/json", tool.registration())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("registration: %s %s", resp.Status, body)
	}
	var answer struct {
		ClientID   string `json:"client_id"`
		ToolConfig struct {
			DeploymentID string `json:"deployment_id"`
		} `json:"https://purl.imsglobal.org/spec/lti-tool-configuration"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatal(err)
	}
	if answer.ClientID == "" || answer.ClientID == DefaultClientID || answer.ToolConfig.DeploymentID != "dep-1" {
		t.Errorf("answer = %+v, want a new client_id and deployment dep-1", answer)
	}
	if resp, _ := do(t, http.MethodPost, reg, token, "application/json", tool.registration()); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("second use of the token: %s, want 401", resp.Status)
	}
	if regs := p.Registrations(); len(regs) != 2 || regs[1].ClientID != answer.ClientID || regs[1].Via != "dynamic" {
		t.Errorf("registrations = %+v", regs)
	}
	// Launches now use the new client, and it may get tokens for the
	// scopes it registered, not others.
	if status, c, body := launch(t, p, LaunchOptions{}); status != http.StatusOK || c["aud"] != answer.ClientID {
		t.Errorf("launch after registration: %d %s", status, body)
	}
	if tok := tool.token(t, p, ScopeScore); tok == "" {
		t.Error("no token for the new client")
	}
	resp, body = postForm(t, p.TokenURL(), url.Values{
		"grant_type": {"client_credentials"}, "client_assertion_type": {assertionType},
		"client_assertion": {tool.assertion(t, p, answer.ClientID)}, "scope": {ScopeResultRead},
	})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("token for an unregistered scope: %s %s, want 400", resp.Status, body)
	}
}

func TestDeepLinking(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	status, c, body := launch(t, p, LaunchOptions{User: "instructor", Deep: true})
	if status != http.StatusOK {
		t.Fatalf("deep linking launch: %d %s", status, body)
	}
	if c[claimMessageType] != messageDeepLinking {
		t.Errorf("message type %v", c[claimMessageType])
	}
	if _, has := c[claimResourceLink]; has {
		t.Error("a deep linking request carries a resource_link")
	}
	settings := c[claimDeepLinking].(map[string]any)
	if settings["deep_link_return_url"] != p.Issuer()+"/deeplink/return" {
		t.Errorf("settings = %v", settings)
	}
	now := time.Now()
	response := func(edit func(map[string]any)) string {
		claims := map[string]any{
			"iss": p.ClientID(), "aud": p.Issuer(), "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
			"nonce": rand32(), claimMessageType: messageDLResponse, claimVersion: "1.3.0", claimDeploy: "dep-1",
			claimDLData: settings["data"],
			claimDLItems: []map[string]any{
				{"type": "ltiResourceLink", "title": "Config", "url": tool.srv.URL + "/lti/launch",
					"custom": map[string]string{"lesson": "config", "quiz": "false"}},
				{"type": "ltiResourceLink", "title": "Config — quiz", "url": tool.srv.URL + "/lti/launch",
					"custom":   map[string]string{"lesson": "config", "quiz": "true"},
					"lineItem": map[string]any{"label": "Config quiz", "scoreMaximum": 100, "resourceId": "config", "tag": "twelve-quiz"}},
			},
		}
		if edit != nil {
			edit(claims)
		}
		return tool.sign(t, claims)
	}
	refusals := []struct {
		name string
		edit func(map[string]any)
	}{
		{"wrong audience", func(c map[string]any) { c["aud"] = "https://elsewhere.example" }},
		{"wrong issuer", func(c map[string]any) { c["iss"] = "nobody" }},
		{"no nonce", func(c map[string]any) { delete(c, "nonce") }},
		{"wrong deployment", func(c map[string]any) { c[claimDeploy] = "dep-2" }},
		{"wrong message type", func(c map[string]any) { c[claimMessageType] = messageResourceLink }},
		{"data not echoed", func(c map[string]any) { c[claimDLData] = "forged" }},
		{"expired", func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() }},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			resp, body := postForm(t, p.Issuer()+"/deeplink/return", url.Values{"JWT": {response(r.edit)}})
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: %s %s, want 400", r.name, resp.Status, body)
			}
		})
	}
	if got := p.DeepLinkItems(); len(got) != 0 {
		t.Fatalf("items after refusals: %+v", got)
	}
	jwt := response(nil)
	resp, body2 := postForm(t, p.Issuer()+"/deeplink/return", url.Values{"JWT": {jwt}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body2), "2 item(s) added") {
		t.Fatalf("deep linking response: %s %s", resp.Status, body2)
	}
	if resp, _ := postForm(t, p.Issuer()+"/deeplink/return", url.Values{"JWT": {jwt}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed response: %s, want 400", resp.Status)
	}
	items := p.DeepLinkItems()
	if len(items) != 2 || items[0].LineItem != nil || items[1].LineItem == nil || items[1].LineItem.ResourceLinkID != items[1].LinkID {
		t.Fatalf("items = %+v", items)
	}
	if lis := p.LineItems(); len(lis) != 1 || lis[0].ResourceID != "config" || lis[0].Tag != "twelve-quiz" || lis[0].Label != "Config quiz" {
		t.Errorf("line items = %+v", lis)
	}
	// Launching the deep-linked quiz brings its custom parameters and line item.
	status, c, body = launch(t, p, LaunchOptions{User: "student", Link: items[1].LinkID})
	if status != http.StatusOK {
		t.Fatalf("launch of %s: %d %s", items[1].LinkID, status, body)
	}
	if c[claimCustom].(map[string]any)["quiz"] != "true" || c[claimAGS].(map[string]any)["lineitem"] != items[1].LineItem.ID {
		t.Errorf("claims of the deep-linked launch: custom %v, ags %v", c[claimCustom], c[claimAGS])
	}
}

func rand32() string { return strings.Repeat("n", 8) + time.Now().Format("150405.000000000") }

func TestPagesAndStorageTarget(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	get := func(u string) string {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %s", u, resp.Status, b)
		}
		return string(b)
	}
	home := get(p.Issuer() + "/")
	for _, want := range []string{"Sam Student", "Ria Learner", "Iris Instructor", "Theo Assistant", `data-testid="launch-instructor-deep"`, "/register/start"} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if strings.Contains(home, `data-testid="launch-student-deep"`) {
		t.Error("students get a deep linking button")
	}
	embed := get(p.EmbedURL(LaunchOptions{Lesson: "config", Storage: true}))
	for _, want := range []string{"<iframe", "lti.put_data", "lti.get_data", "lti.capabilities", "embedded=1"} {
		if !strings.Contains(embed, want) {
			t.Errorf("embed page lacks %q", want)
		}
	}
	forms, err := ParseForms(strings.NewReader(get(p.LaunchURL(LaunchOptions{Storage: true}))), nil)
	if err != nil || len(forms) != 1 {
		t.Fatalf("launch page forms: %v %v", forms, err)
	}
	if forms[0].Values.Get("lti_storage_target") != "_parent" || forms[0].Action != tool.srv.URL+"/lti/login" {
		t.Errorf("login initiation form = %+v", forms[0])
	}
	resp, err := http.Get(p.LaunchURL(LaunchOptions{User: "nobody"}))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("launch of an unknown user: %s, want 400", resp.Status)
	}
}

func TestAuthRefusals(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	forms, err := ParseForms(strings.NewReader(string(mustGet(t, p.LaunchURL(LaunchOptions{})))), nil)
	if err != nil || len(forms) != 1 {
		t.Fatal(forms, err)
	}
	hint := forms[0].Values.Get("lti_message_hint")
	good := func() url.Values {
		return url.Values{
			"scope": {"openid"}, "response_type": {"id_token"}, "response_mode": {"form_post"}, "prompt": {"none"},
			"client_id": {p.ClientID()}, "redirect_uri": {tool.srv.URL + "/lti/launch"},
			"login_hint": {"lms-user-sam"}, "lti_message_hint": {hint}, "state": {"s"}, "nonce": {"n"},
		}
	}
	tests := []struct{ field, value string }{
		{"client_id", "other"},
		{"redirect_uri", "https://evil.example/lti/launch"},
		{"login_hint", "lms-user-iris"},
		{"lti_message_hint", hint + "x"},
		{"response_mode", "query"},
		{"scope", "profile"},
		{"nonce", ""},
	}
	for _, tt := range tests {
		v := good()
		v.Set(tt.field, tt.value)
		resp, body := postForm(t, p.AuthURL(), v)
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(body), "id_token") {
			t.Errorf("%s=%q: %s, want 400 without an id_token", tt.field, tt.value, resp.Status)
		}
	}
	if resp, body := postForm(t, p.AuthURL(), good()); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `name="id_token"`) {
		t.Errorf("honest request: %s", resp.Status)
	}
}

func mustGet(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}
