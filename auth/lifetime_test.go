package auth

import (
	"errors"
	"testing"
	"time"
)

func TestLifetime(t *testing.T) {
	l := Lifetime{Idle: 30 * time.Minute, Max: 12 * time.Hour}
	signIn := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	fresh := l.Start(Identity{UserID: 1, Subject: "s"}, signIn)
	renewedAt := func(at time.Time) Identity { id := fresh; id.IssuedAt = at; return id }
	tests := []struct {
		name string
		id   Identity
		now  time.Time
		want error
	}{
		{"fresh", fresh, signIn.Add(time.Minute), nil},
		{"idle just under the timeout", fresh, signIn.Add(30*time.Minute - time.Second), nil},
		{"idle", fresh, signIn.Add(30 * time.Minute), ErrIdle},
		{"active, renewed recently", renewedAt(signIn.Add(11 * time.Hour)), signIn.Add(11*time.Hour + 10*time.Minute), nil},
		{"active but past the absolute lifetime", renewedAt(signIn.Add(11*time.Hour + 59*time.Minute)), signIn.Add(12 * time.Hour), ErrExpired},
		{"no sign-in time (a cookie from before)", Identity{UserID: 1, Subject: "s", Expires: signIn.Add(time.Hour)}, signIn, ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := l.Check(tt.id, tt.now); !errors.Is(got, tt.want) || (tt.want == nil && got != nil) {
				t.Errorf("Check = %v, want %v", got, tt.want)
			}
		})
	}
	shorter := Lifetime{Idle: time.Hour, Max: 6 * time.Hour}
	if err := shorter.Check(fresh, signIn.Add(6*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Errorf("SESSION_MAX_LIFETIME shortened to 6h, a 6h-old sign-in: %v, want ErrExpired", err)
	}

	if _, due := l.Renew(fresh, signIn.Add(7*time.Minute)); due {
		t.Error("renewed before a quarter of the idle timeout")
	}
	renewed, due := l.Renew(fresh, signIn.Add(8*time.Minute))
	if !due || !renewed.IssuedAt.Equal(signIn.Add(8*time.Minute)) || !renewed.SignedInAt.Equal(signIn) || !renewed.Expires.Equal(fresh.Expires) {
		t.Errorf("Renew = %+v, %v; want issued now, same sign-in time and expiry", renewed, due)
	}
}
