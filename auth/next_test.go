package auth

import (
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"empty", "", "/"},
		{"home", "/", "/"},
		{"lesson", "/lessons/config", "/lessons/config"},
		{"with query", "/lessons/config/quiz?x=1", "/lessons/config/quiz?x=1"},
		{"absolute URL", "https://evil.example", "/"},
		{"absolute URL with path", "https://evil.example/lessons", "/"},
		{"protocol-relative", "//evil.example", "/"},
		{"protocol-relative with path", "//evil.example/x", "/"},
		{"backslash host", `/\evil.example`, "/"},
		{"backslash later", `/lessons\..\x`, "/"},
		{"javascript scheme", "javascript:alert(1)", "/"},
		{"data scheme", "data:text/html,<script>", "/"},
		{"no leading slash", "lessons/config", "/"},
		{"tab makes protocol-relative", "/\t/evil.example", "/"},
		{"newline", "/lessons\n/x", "/"},
		{"carriage return", "/\r/evil.example", "/"},
		{"delete char", "/\x7f/evil.example", "/"},
		{"back to login", "/login?next=/", "/"},
		{"back to logout", "/logout", "/"},
		{"back to callback", "/auth/callback?code=x", "/"},
		{"back to the SAML consumer", "/saml/acs", "/"},
		{"back to SAML logout", "/saml/slo?SAMLResponse=x", "/"},
		{"too long", "/" + strings.Repeat("a", 2000), "/"},
		{"encoded slashes stay on this site", "/%2F%2Fevil.example", "/%2F%2Fevil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SafeNext(tt.raw); got != tt.want {
				t.Errorf("SafeNext(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}
