package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// retryable is an error pgx would call safe to retry: nothing reached the
// server.
type retryable struct{}

func (retryable) Error() string     { return "write failed before sending" }
func (retryable) SafeToRetry() bool { return true }

func TestOpErrorMarksUnavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection failure (08006)", &pgconn.PgError{Code: "08006"}, true},
		{"connection does not exist (08003)", &pgconn.PgError{Code: "08003"}, true},
		{"admin shutdown (57P01)", &pgconn.PgError{Code: "57P01"}, true},
		{"cannot connect now (57P03)", &pgconn.PgError{Code: "57P03"}, true},
		{"safe to retry", fmt.Errorf("send: %w", retryable{}), true},
		{"unique violation (23505)", &pgconn.PgError{Code: "23505"}, false},
		{"query canceled (57014)", &pgconn.PgError{Code: "57014"}, false},
		{"a code too short to have a class", &pgconn.PgError{Code: "0"}, false},
		{"not found", ErrNotFound, false},
		{"any other error", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := opError("op", tt.err)
			if got := errors.Is(err, ErrUnavailable); got != tt.want {
				t.Errorf("errors.Is(opError(%v), ErrUnavailable) = %v, want %v", tt.err, got, tt.want)
			}
			if !errors.Is(err, tt.err) && !errors.As(err, new(*pgconn.PgError)) {
				t.Errorf("opError(%v) no longer unwraps to the error it wraps", tt.err)
			}
			if want := "store: op: " + tt.err.Error(); err.Error() != want {
				t.Errorf("opError(%v) reads %q, want %q", tt.err, err.Error(), want)
			}
		})
	}
}

func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Port 1 on loopback: nothing listens there, so connecting is refused.
	pool, err := Open(ctx, "postgres://twelve@127.0.0.1:1/twelve?sslmode=disable", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	err = New(pool).Ping(ctx)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Ping on an unreachable database = %v, want an error that is ErrUnavailable", err)
	}
	var connErr *pgconn.ConnectError
	if !errors.As(err, &connErr) {
		t.Errorf("Ping's error %v does not unwrap to the driver's ConnectError", err)
	}
}
