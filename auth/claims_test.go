package auth

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func claimsOf(t *testing.T, js string) claimSet {
	t.Helper()
	var cs claimSet
	if err := json.Unmarshal([]byte(js), &cs); err != nil {
		t.Fatalf("bad test claims %s: %v", js, err)
	}
	return cs
}

func TestGroupsClaim(t *testing.T) {
	tests := []struct {
		name   string
		claims string
		path   string
		want   []string
		wantOK bool
	}{
		{"list", `{"groups":["a","b"]}`, "groups", []string{"a", "b"}, true},
		{"single string", `{"groups":"instructors"}`, "groups", []string{"instructors"}, true},
		{"empty list", `{"groups":[]}`, "groups", nil, true},
		{"absent", `{"sub":"x"}`, "groups", nil, false},
		{"non-strings skipped", `{"groups":["a",1,{"x":1}]}`, "groups", []string{"a"}, true},
		{"other name", `{"roles":["instructors"]}`, "roles", []string{"instructors"}, true},
		{"nested path", `{"realm_access":{"roles":["instructors"]}}`, "realm_access.roles", []string{"instructors"}, true},
		{"dotted name at top level wins", `{"a.b":["top"],"a":{"b":["nested"]}}`, "a.b", []string{"top"}, true},
		{"nested path absent", `{"realm_access":{}}`, "realm_access.roles", nil, false},
		{"not a list or string", `{"groups":42}`, "groups", nil, false},
		{"no claim configured", `{"groups":["a"]}`, "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := claimsOf(t, tt.claims).groups(tt.path)
			if ok != tt.wantOK || !cmp.Equal(got, tt.want) {
				t.Errorf("groups(%q) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestReadProfile(t *testing.T) {
	tests := []struct {
		name      string
		claims    string
		wantEmail string
		wantVer   bool
		wantName  string
		complete  bool
	}{
		{"full", `{"email":"a@x.org","email_verified":true,"name":"A B","groups":[]}`, "a@x.org", true, "A B", true},
		{"unverified", `{"email":"a@x.org","email_verified":false,"name":"A","groups":[]}`, "a@x.org", false, "A", true},
		{"verified as string", `{"email":"a@x.org","email_verified":"true","name":"A","groups":[]}`, "a@x.org", true, "A", true},
		{"no email_verified claim", `{"email":"a@x.org","name":"A","groups":[]}`, "a@x.org", true, "A", true},
		{"given and family", `{"email":"a@x.org","given_name":"Ada","family_name":"L","groups":[]}`, "a@x.org", true, "Ada L", true},
		{"preferred username", `{"email":"a@x.org","preferred_username":"ada","groups":[]}`, "a@x.org", true, "ada", true},
		{"no groups", `{"email":"a@x.org","name":"A"}`, "a@x.org", true, "A", false},
		{"nothing", `{"sub":"x"}`, "", true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := readProfile(claimsOf(t, tt.claims), "groups")
			if f.email != tt.wantEmail || f.emailVerified != tt.wantVer || f.name != tt.wantName || f.complete(true) != tt.complete {
				t.Errorf("readProfile = email %q verified %v name %q complete %v; want %q %v %q %v",
					f.email, f.emailVerified, f.name, f.complete(true), tt.wantEmail, tt.wantVer, tt.wantName, tt.complete)
			}
		})
	}
}

func TestProfileFill(t *testing.T) {
	idToken := readProfile(claimsOf(t, `{"name":"From ID token"}`), "groups")
	userinfo := readProfile(claimsOf(t, `{"name":"From userinfo","email":"u@x.org","email_verified":false,"groups":["g"]}`), "groups")
	idToken.fill(userinfo)
	if idToken.name != "From ID token" {
		t.Errorf("fill replaced the ID token's name with %q; want it kept", idToken.name)
	}
	if idToken.email != "u@x.org" || idToken.emailVerified || !cmp.Equal(idToken.groups, []string{"g"}) {
		t.Errorf("fill = email %q verified %v groups %q; want u@x.org false [g]", idToken.email, idToken.emailVerified, idToken.groups)
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in, want string
		max            int
	}{
		{"plain", "Ada", "Ada", 10},
		{"markup kept for the views to escape", "<script>alert(1)</script>", "<script>alert(1)</script>", 100},
		{"controls removed", "A\x00d\na\t", "Ada", 10},
		{"trimmed", "  Ada  ", "Ada", 10},
		{"cut by runes", "Ünïcødé", "Ünï", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanText(tt.in, tt.max); got != tt.want {
				t.Errorf("cleanText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestCleanEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ada@example.edu", "ada@example.edu"},
		{" ada@example.edu ", "ada@example.edu"},
		{"not an email", ""},
		{"no-at-sign", ""},
	}
	for _, tt := range tests {
		if got := cleanEmail(tt.in); got != tt.want {
			t.Errorf("cleanEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
