package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrUnavailable marks an error that says the database could not be
// reached or cannot answer for now: the connection failed or was lost, or
// the server is shutting down or starting up. Trying again in a moment may
// succeed. Errors the store returns match it with errors.Is and still
// unwrap to the driver's error.
var ErrUnavailable = errors.New("store: database unavailable")

// opError wraps err from the operation op as "store: op: err", marked
// with ErrUnavailable when it says the database is unavailable.
func opError(op string, err error) error {
	return fmt.Errorf("store: %s: %w", op, markUnavailable(err))
}

// markUnavailable returns err marked with ErrUnavailable when it says the
// database is unavailable, and err itself otherwise.
func markUnavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || !unavailable(err) {
		return err
	}
	return &unavailableError{err}
}

// unavailable reports whether err says the database could not be reached
// or cannot answer now: a failed connection, an error pgx says is safe to
// retry because nothing reached the server, SQLSTATE class 08 (connection
// exception), 57P01 (admin_shutdown) or 57P03 (cannot_connect_now).
func unavailable(err error) bool {
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || pgconn.SafeToRetry(err) {
		return true
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) &&
		(strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P03")
}

// unavailableError is an error marked with ErrUnavailable; it reads as the
// error it marks.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string   { return e.err.Error() }
func (e *unavailableError) Unwrap() []error { return []error{e.err, ErrUnavailable} }
