package handlers

import "testing"

func TestValidUUID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"0b6c1c9e-3f4a-4d5e-8f60-1a2b3c4d5e6f", true},
		{"0B6C1C9E-3F4A-4D5E-8F60-1A2B3C4D5E6F", false}, // one URL per attempt
		{"{0b6c1c9e-3f4a-4d5e-8f60-1a2b3c4d5e6f}", false},
		{"urn:uuid:0b6c1c9e-3f4a-4d5e-8f60-1a2b3c4d5e6f", false},
		{"0b6c1c9e3f4a4d5e8f601a2b3c4d5e6f", false},
		{"0b6c1c9e-3f4a-4d5e-8f60-1a2b3c4d5e6", false},
		{"0b6c1c9e-3f4a-4d5e-8f60-1a2b3c4d5e6g", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := validUUID(tt.id); got != tt.want {
			t.Errorf("validUUID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
