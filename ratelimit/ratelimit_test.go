package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// TestBudgetPerClient: a client gets Burst requests at once, then one every
// Every, and is told how long to wait; another client is not affected.
func TestBudgetPerClient(t *testing.T) {
	l := New(Limit{Every: 2 * time.Second, Burst: 3}, 100)
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		if ok, _ := l.Allow("203.0.113.7", now); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("203.0.113.7", now)
	if ok || wait != 2*time.Second {
		t.Errorf("after the burst: ok=%v wait=%s, want refused, wait 2s", ok, wait)
	}
	if ok, _ := l.Allow("198.51.100.9", now); !ok {
		t.Error("another client was refused")
	}
	// A refused request takes nothing: after Every the client may go on.
	if ok, _ := l.Allow("203.0.113.7", now.Add(2*time.Second)); !ok {
		t.Error("refused after waiting as told")
	}
	if ok, _ := l.Allow("203.0.113.7", now.Add(2*time.Second)); ok {
		t.Error("a second request allowed within the same interval")
	}
}

// TestFloodOfAddressesIsBounded: a flood of distinct clients never makes
// the limiter remember more than maxClients, and a client that keeps
// coming keeps its spent budget through it.
func TestFloodOfAddressesIsBounded(t *testing.T) {
	const maxClients = 1000
	l := New(Limit{Every: time.Minute, Burst: 1}, maxClients)
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	l.Allow("203.0.113.7", now) // spends its budget
	for i := range 100 * maxClients {
		l.Allow(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), now)
		if n := l.Len(); n > maxClients {
			t.Fatalf("after %d distinct clients the limiter remembers %d, want at most %d", i+1, n, maxClients)
		}
		if i%(maxClients/4) == 0 {
			if ok, _ := l.Allow("203.0.113.7", now); ok {
				t.Fatalf("after %d distinct clients the spent client was allowed again", i+1)
			}
		}
	}
}

func TestClientKey(t *testing.T) {
	tests := []struct{ name, ip, want string }{
		{"IPv4", "203.0.113.7", "203.0.113.7"},
		{"IPv4 in IPv6", "::ffff:203.0.113.7", "203.0.113.7"},
		{"IPv6 is keyed by its /64", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{"same /64, same key", "2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"zone dropped", "fe80::1%eth0", "fe80::/64"},
		{"not an address", "unknown", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClientKey(tt.ip); got != tt.want {
				t.Errorf("ClientKey(%q) = %q, want %q", tt.ip, got, tt.want)
			}
		})
	}
}
