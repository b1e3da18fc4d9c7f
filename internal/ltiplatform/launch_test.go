package ltiplatform

import (
	"net/http"
	"slices"
	"testing"
)

func TestLaunchResourceLink(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	status, c, body := launch(t, p, LaunchOptions{User: "student", Lesson: "config", Quiz: true, LineItem: true})
	if status != http.StatusOK {
		t.Fatalf("launch: %d %s", status, body)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"sub", c["sub"], "lms-user-sam"},
		{"name", c["name"], "Sam Student"},
		{"email", c["email"], "sam@lms.example"},
		{"azp", c["azp"], p.ClientID()},
		{"message type", c[claimMessageType], messageResourceLink},
		{"version", c[claimVersion], "1.3.0"},
		{"deployment", c[claimDeploy], "dep-1"},
		{"target", c[claimTarget], tool.srv.URL + "/lti/launch"},
		{"link id", c[claimResourceLink].(map[string]any)["id"], "link-config-quiz"},
		{"context title", c[claimContext].(map[string]any)["title"], "Twelve-Factor 101"},
		{"custom lesson", c[claimCustom].(map[string]any)["lesson"], "config"},
		{"custom quiz", c[claimCustom].(map[string]any)["quiz"], "true"},
		{"lineitems", c[claimAGS].(map[string]any)["lineitems"], p.Issuer() + "/lineitems"},
		{"lineitem", c[claimAGS].(map[string]any)["lineitem"], p.Issuer() + "/lineitems/1"},
		{"memberships", c[claimNRPS].(map[string]any)["context_memberships_url"], p.Issuer() + "/memberships"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	roles, _ := c[claimRoles].([]any)
	if !slices.Contains(roles, any(RoleLearner)) {
		t.Errorf("roles = %v, want %s among them", roles, RoleLearner)
	}
	if got := p.LineItems(); len(got) != 1 || got[0].ResourceLinkID != "link-config-quiz" || got[0].ResourceID != "config" {
		t.Errorf("line items = %+v, want one for link-config-quiz", got)
	}
	// The login initiation carried what LTI asks for.
	login := tool.logins[0]
	for _, name := range []string{"iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id"} {
		if login.Get(name) == "" {
			t.Errorf("login initiation lacks %s", name)
		}
	}
	if login.Has("lti_storage_target") {
		t.Errorf("lti_storage_target sent unasked")
	}
}

func TestAddedMembersLaunchAndResetForgets(t *testing.T) {
	tool := newFakeTool(t)
	p, _ := newPlatform(t, tool, nil)
	added := p.AddMembers(2)
	if len(added) != 2 || len(p.Members()) != len(DemoUsers())+2 {
		t.Fatalf("AddMembers: %+v", added)
	}
	status, c, body := launch(t, p, LaunchOptions{User: added[1].ID, Lesson: "logs", Quiz: true, LineItem: true})
	if status != http.StatusOK || c["sub"] != added[1].Subject {
		t.Fatalf("launch of %s: %d %s", added[1].ID, status, body)
	}
	if err := p.Misbehave(ScoreStatus(500, 0)); err != nil {
		t.Fatal(err)
	}
	post(t, p.Issuer()+"/_control/reset", `{}`, http.StatusOK)
	if n := len(p.Members()); n != len(DemoUsers()) {
		t.Errorf("members after reset: %d, want the demo users", n)
	}
	if n := len(p.LineItems()); n != 0 {
		t.Errorf("line items after reset: %d", n)
	}
	if _, on := p.take(KindScoreStatus); on {
		t.Error("misbehaviour survived the reset")
	}
	if regs := p.Registrations(); len(regs) != 1 || regs[0].ClientID != DefaultClientID {
		t.Errorf("registrations after reset: %+v", regs)
	}
}
