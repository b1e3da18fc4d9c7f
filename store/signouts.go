package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// SignOutChannel is the PostgreSQL NOTIFY channel on which a sign-out is
// announced to every web process: the payload is "USER_ID UNIX_MICROS".
const SignOutChannel = "twelve_sign_out"

// SignOut is one user's sign-out: every sign-in of theirs made at or
// before At is over. Sign-ins (User.LastLoginAt) and sign-outs are both
// timed by the database's clock, so web processes whose clocks disagree
// still order them alike.
type SignOut struct {
	UserID int64
	At     time.Time
}

// signOutSQL records a sign-out and announces it in the same transaction
// (NOTIFY is delivered at commit, so a listener never hears of one that
// was rolled back). signed_out_at only moves forward.
const signOutSQL = `
WITH moved AS (
	UPDATE users SET signed_out_at = greatest(coalesce(signed_out_at, '-infinity'), now())
	WHERE id = ANY($1::bigint[])
	RETURNING id, signed_out_at
)
SELECT id, signed_out_at, pg_notify('` + SignOutChannel + `', id || ' ' || (extract(epoch FROM signed_out_at) * 1000000)::bigint)
FROM moved`

// SignOut ends every sign-in of user made until now, on every web process.
func (s *Store) SignOut(ctx context.Context, user int64) (SignOut, error) {
	out, err := s.signOut(ctx, []int64{user})
	if err == nil && len(out) == 0 {
		err = opError("sign out", pgx.ErrNoRows)
	}
	if err != nil {
		return SignOut{}, err
	}
	return out[0], nil
}

const usersByEmailSQL = `SELECT id FROM users WHERE lower(email) = $1 ORDER BY id`

// SignOutEmail ends every sign-in made until now of every user with email
// (one person may have signed in with two providers), and returns them.
func (s *Store) SignOutEmail(ctx context.Context, email string) ([]SignOut, error) {
	rows, _ := s.pool.Query(ctx, usersByEmailSQL, normalEmail(email))
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, opError("sign out by email", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.signOut(ctx, ids)
}

func (s *Store) signOut(ctx context.Context, ids []int64) ([]SignOut, error) {
	var out []SignOut
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, signOutSQL, ids)
		var err error
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (SignOut, error) {
			var so SignOut
			var notified any
			err := r.Scan(&so.UserID, &so.At, &notified)
			return so, err
		})
		return err
	})
	if err != nil {
		return nil, opError("sign out", err)
	}
	return out, nil
}

const signOutsSinceSQL = `SELECT id, signed_out_at FROM users WHERE signed_out_at > $1`

// SignOutsSince returns every sign-out recorded after since.
func (s *Store) SignOutsSince(ctx context.Context, since time.Time) ([]SignOut, error) {
	rows, _ := s.pool.Query(ctx, signOutsSinceSQL, since)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[SignOut])
	if err != nil {
		return nil, opError("sign-outs since", err)
	}
	return out, nil
}

const signedOutAtSQL = `SELECT signed_out_at FROM users WHERE id = $1`

// SignedOutAt returns user's last sign-out, or the zero time when there
// is none (or no such user).
func (s *Store) SignedOutAt(ctx context.Context, user int64) (time.Time, error) {
	var at *time.Time
	err := s.pool.QueryRow(ctx, signedOutAtSQL, user).Scan(&at)
	switch {
	case errors.Is(err, pgx.ErrNoRows) || (err == nil && at == nil):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, opError("signed out at", err)
	}
	return *at, nil
}

// SignOutListener hears sign-outs announced on SignOutChannel, on a
// connection of its own (a pooled connection cannot wait for
// notifications).
type SignOutListener struct {
	conn *pgx.Conn
}

// ListenSignOuts opens a connection to the pool's database and listens
// for sign-outs. Notifications sent from now on are kept for Next, so a
// caller that loads SignOutsSince after this call misses none.
func (s *Store) ListenSignOuts(ctx context.Context) (*SignOutListener, error) {
	conn, err := s.listen(ctx, SignOutChannel, "twelve sign-out listener")
	if err != nil {
		return nil, opError("listen for sign-outs", err)
	}
	return &SignOutListener{conn: conn}, nil
}

// listen opens a connection of its own to the pool's database, named
// name, and LISTENs on channel: a pooled connection cannot wait for
// notifications.
func (s *Store) listen(ctx context.Context, channel, name string) (*pgx.Conn, error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = name
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return conn, nil
}

// Next waits for the next sign-out. An error means the connection is
// lost (or ctx ended): close the listener and listen again.
func (l *SignOutListener) Next(ctx context.Context) (SignOut, error) {
	for {
		n, err := l.conn.WaitForNotification(ctx)
		if err != nil {
			return SignOut{}, opError("wait for sign-outs", err)
		}
		if so, err := parseSignOut(n.Payload); err == nil {
			return so, nil
		}
		// Not ours (someone else's NOTIFY on the channel): skip it.
	}
}

// Close closes the listener's connection.
func (l *SignOutListener) Close(ctx context.Context) error { return l.conn.Close(ctx) }

// parseSignOut reads a "USER_ID UNIX_MICROS" payload.
func parseSignOut(payload string) (SignOut, error) {
	uid, micros, ok := strings.Cut(payload, " ")
	id, err1 := strconv.ParseInt(uid, 10, 64)
	us, err2 := strconv.ParseInt(micros, 10, 64)
	if !ok || err1 != nil || err2 != nil || id <= 0 {
		return SignOut{}, fmt.Errorf("store: sign-out payload %q", payload)
	}
	return SignOut{UserID: id, At: time.UnixMicro(us)}, nil
}
