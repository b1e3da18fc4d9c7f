package auth

import "testing"

func TestPolicy(t *testing.T) {
	p := Policy{Emails: []string{"ines@example.edu"}, Group: "instructors"}
	tests := []struct {
		name    string
		policy  Policy
		id      Identity
		granted bool
		want    bool
	}{
		{"listed email", p, Identity{Email: "ines@example.edu", EmailVerified: true}, false, true},
		{"listed email, other case", p, Identity{Email: "Ines@Example.EDU", EmailVerified: true}, false, true},
		{"listed email but unverified", p, Identity{Email: "ines@example.edu"}, false, false},
		{"group at sign-in", p, Identity{Email: "x@example.edu", Group: "instructors"}, false, true},
		{"group at sign-in, INSTRUCTOR_GROUP unset since", Policy{Emails: p.Emails}, Identity{Email: "x@example.edu", Group: "instructors"}, false, false},
		{"group at sign-in, INSTRUCTOR_GROUP changed since", Policy{Group: "staff"}, Identity{Email: "x@example.edu", Group: "instructors"}, false, false},
		{"grant", p, Identity{Email: "x@example.edu", EmailVerified: true}, true, true},
		{"grant but unverified email", p, Identity{Email: "x@example.edu"}, true, false},
		{"student", p, Identity{Email: "ada@example.edu", EmailVerified: true}, false, false},
		{"no rules", Policy{}, Identity{Email: "ines@example.edu", EmailVerified: true}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Instructor(tt.id, tt.granted); got != tt.want {
				t.Errorf("Instructor(%+v, granted=%v) = %v, want %v", tt.id, tt.granted, got, tt.want)
			}
		})
	}
}

func TestPolicyByGroup(t *testing.T) {
	tests := []struct {
		name   string
		group  string
		groups []string
		want   bool
	}{
		{"member", "instructors", []string{"students", "instructors"}, true},
		{"not a member", "instructors", []string{"students"}, false},
		{"no groups", "instructors", nil, false},
		{"no group configured", "", []string{""}, false},
		{"exact match only", "instructors", []string{"Instructors", "/instructors"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Policy{Group: tt.group}).MatchGroup(tt.groups) != ""; got != tt.want {
				t.Errorf("MatchGroup(%q) with group %q matched = %v, want %v", tt.groups, tt.group, got, tt.want)
			}
		})
	}
}
