package lti

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLoginRequest(t *testing.T) {
	v := url.Values{"iss": {"https://lms.example"}, "login_hint": {"u1"}, "target_link_uri": {"https://twelve.example/lti/launch"},
		"lti_message_hint": {"m1"}, "client_id": {"c1"}, "lti_deployment_id": {"d1"}, "lti_storage_target": {"_parent"}}
	got, err := ParseLoginRequest(v)
	if err != nil {
		t.Fatal(err)
	}
	want := LoginRequest{Issuer: "https://lms.example", LoginHint: "u1", TargetLinkURI: "https://twelve.example/lti/launch",
		MessageHint: "m1", ClientID: "c1", DeploymentID: "d1", StorageTarget: "_parent"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseLoginRequest (-want +got):\n%s", diff)
	}
	for _, field := range []string{"iss", "login_hint", "target_link_uri"} {
		t.Run("without "+field, func(t *testing.T) {
			v2 := url.Values{}
			for k, vs := range v {
				v2[k] = vs
			}
			v2.Del(field)
			_, err := ParseLoginRequest(v2)
			if err == nil || !strings.Contains(err.Error(), field) {
				t.Errorf("ParseLoginRequest() error = %v, want one naming %s", err, field)
			}
		})
	}
}

func TestAuthRedirect(t *testing.T) {
	p := Platform{ClientID: "c1", AuthURL: "https://lms.example/auth?tenant=7"}
	r := LoginRequest{LoginHint: "u1", MessageHint: "m1"}
	u, err := url.Parse(AuthRedirect(p, r, "https://twelve.example/lti/launch", "st", "no"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "lms.example" || u.Path != "/auth" {
		t.Errorf("redirect goes to %s%s", u.Host, u.Path)
	}
	want := url.Values{"tenant": {"7"}, "scope": {"openid"}, "response_type": {"id_token"}, "response_mode": {"form_post"},
		"prompt": {"none"}, "client_id": {"c1"}, "redirect_uri": {"https://twelve.example/lti/launch"},
		"login_hint": {"u1"}, "lti_message_hint": {"m1"}, "state": {"st"}, "nonce": {"no"}}
	if diff := cmp.Diff(want, u.Query()); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"https://lms.example/x", true},
		{"http://127.0.0.1:8080/x", true},
		{"http://127.5.0.1/x", true},
		{"http://[::1]:9/x", true},
		{"http://localhost:3000/x", true},
		{"http://lms.example/x", false},
		{"http://10.0.0.1/x", false},
		{"http://localhost.evil.example/x", false},
		{"ftp://lms.example/x", false},
		{"https:///nohost", false},
		{"https://user:pw@lms.example/", false},
		{"/relative", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := CheckURL(tt.in); (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

func TestClassRole(t *testing.T) {
	const m = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
	tests := []struct {
		name  string
		roles []string
		want  string
	}{
		{"learner", []string{m + "Learner"}, RoleStudent},
		{"short learner", []string{"Learner"}, RoleStudent},
		{"learner sub-role", []string{"http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#NonCreditLearner"}, RoleStudent},
		{"member", []string{m + "Member"}, RoleStudent},
		{"instructor", []string{m + "Instructor"}, RoleInstructor},
		{"short instructor", []string{"Instructor"}, RoleInstructor},
		{"administrator", []string{m + "Administrator"}, RoleInstructor},
		{"content developer", []string{m + "ContentDeveloper"}, RoleInstructor},
		{"teaching assistant with its principal role", []string{m + "Instructor",
			"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"}, RoleTA},
		{"teaching assistant alone", []string{"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"}, RoleTA},
		{"primary instructor sub-role", []string{m + "Instructor",
			"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#PrimaryInstructor"}, RoleInstructor},
		{"instructor and learner", []string{m + "Learner", m + "Instructor"}, RoleInstructor},
		{"TA and learner", []string{m + "Learner", "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"}, RoleTA},
		{"institution instructor only", []string{"http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"}, ""},
		{"institution instructor, course learner", []string{"http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor", m + "Learner"}, RoleStudent},
		{"system administrator", []string{"http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"}, ""},
		{"mentor", []string{m + "Mentor"}, ""},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassRole(tt.roles); got != tt.want {
				t.Errorf("ClassRole(%v) = %q, want %q", tt.roles, got, tt.want)
			}
		})
	}
}
