package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// The snapshot of the classes each web process keeps (package classes):
// five queries in one round trip, in one repeatable-read transaction so
// that members, settings and accommodations agree with their classes.
// Where is either empty (every class) or a filter on class id $1, kept
// apart so each plan uses its index.
const (
	loadClassesSQL        = `SELECT ` + classColumns + ` FROM classes %s ORDER BY id`
	loadMembersSQL        = `SELECT ` + memberColumns + ` FROM class_members m %s ORDER BY m.class_id, m.user_id`
	countMembersSQL       = `SELECT count(*) FROM class_members m %s`
	loadQuizSettingsSQL   = `SELECT ` + quizSettingsColumns + ` FROM class_quiz_settings %s ORDER BY class_id, quiz`
	loadAccommodationsSQL = `SELECT ` + accommodationColumns + ` FROM accommodations %s ORDER BY class_id, user_id, quiz`
)

// LoadClasses reads every class, archived ones too, with its members,
// quiz settings and accommodations, by class id. The classes' member
// lists are runs of one array, each capped: read them, append to them if
// need be, never write into them.
func (s *Store) LoadClasses(ctx context.Context) ([]ClassSnapshot, error) {
	snaps, err := s.loadClasses(ctx, 0)
	if err != nil {
		return nil, opError("load classes", err)
	}
	return snaps, nil
}

// LoadClass reads one class as LoadClasses does, or ErrNotFound when it
// is gone.
func (s *Store) LoadClass(ctx context.Context, id int64) (ClassSnapshot, error) {
	snaps, err := s.loadClasses(ctx, id)
	if err != nil {
		return ClassSnapshot{}, opError("load class", err)
	}
	if len(snaps) == 0 {
		return ClassSnapshot{}, ErrNotFound
	}
	return snaps[0], nil
}

// loadClasses reads class id, or every class when id is 0.
func (s *Store) loadClasses(ctx context.Context, id int64) ([]ClassSnapshot, error) {
	where := func(sql, column string) string {
		if id == 0 {
			return fmt.Sprintf(sql, "")
		}
		return fmt.Sprintf(sql, "WHERE "+column+" = $1")
	}
	var args []any
	if id != 0 {
		args = []any{id}
	}
	var (
		classes  []Class
		members  []Member
		settings []QuizSettings
		accs     []Accommodation
	)
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	b.Queue(where(loadClassesSQL, "id"), args...).Query(func(rows pgx.Rows) (err error) {
		classes, err = pgx.CollectRows(rows, scanClass)
		return err
	})
	// The count first, in the same round trip, so that the members are
	// read into one slice of the right size.
	var n int
	b.Queue(where(countMembersSQL, "m.class_id"), args...).QueryRow(func(row pgx.Row) error { return row.Scan(&n) })
	b.Queue(where(loadMembersSQL, "m.class_id"), args...).Query(func(rows pgx.Rows) (err error) {
		members, err = readMembers(rows, n)
		return err
	})
	b.Queue(where(loadQuizSettingsSQL, "class_id"), args...).Query(func(rows pgx.Rows) (err error) {
		settings, err = pgx.CollectRows(rows, scanQuizSettings)
		return err
	})
	b.Queue(where(loadAccommodationsSQL, "class_id"), args...).Query(func(rows pgx.Rows) (err error) {
		accs, err = pgx.CollectRows(rows, scanAccommodation)
		return err
	})
	err := s.inBatchTx(ctx, b, func(pgx.Tx) error { return nil })
	if err != nil {
		return nil, err
	}
	out := make([]ClassSnapshot, len(classes))
	at := make(map[int64]int, len(classes))
	for i, c := range classes {
		out[i].Class = c
		at[c.ID] = i
	}
	// Each list is ordered by class id; a row of a class the snapshot has
	// not (it cannot happen in one transaction, but never index blindly)
	// is left out.
	// Members are ordered by class: each class's are a run of the one
	// slice, capped so that nobody appends over the next class's.
	for start := 0; start < len(members); {
		end := start + 1
		for end < len(members) && members[end].ClassID == members[start].ClassID {
			end++
		}
		if i, ok := at[members[start].ClassID]; ok {
			out[i].Members = members[start:end:end]
		}
		start = end
	}
	for _, qs := range settings {
		if i, ok := at[qs.ClassID]; ok {
			out[i].Settings = append(out[i].Settings, qs)
		}
	}
	for _, a := range accs {
		if i, ok := at[a.ClassID]; ok {
			out[i].Accommodations = append(out[i].Accommodations, a)
		}
	}
	return out, nil
}

// readMembers reads rows of memberColumns into a slice of capacity n,
// through one set of scan targets: no allocation per member.
func readMembers(rows pgx.Rows, n int) ([]Member, error) {
	defer rows.Close()
	out := make([]Member, 0, n)
	var m Member
	var role, via pgtype.DriverBytes
	dest := []any{&m.ClassID, &m.UserID, &role, &via, &m.JoinedAt}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		m.Role, m.Via = internRole(role), internVia(via)
		out = append(out, m)
	}
	return out, rows.Err()
}

// ClassListener hears changes to classes announced on ClassChannel, on a
// connection of its own (a pooled connection cannot wait for
// notifications).
type ClassListener struct {
	conn *pgx.Conn
}

// ListenClasses opens a connection to the pool's database and listens for
// changes to classes. Notifications sent from now on are kept for Next,
// so a caller that loads the classes after this call misses none.
func (s *Store) ListenClasses(ctx context.Context) (*ClassListener, error) {
	conn, err := s.listen(ctx, ClassChannel, "twelve class listener")
	if err != nil {
		return nil, opError("listen for classes", err)
	}
	return &ClassListener{conn: conn}, nil
}

// Next waits for the next changed class and returns its id. An error
// means the connection is lost (or ctx ended): close the listener and
// listen again (and reload everything, since changes may have been
// missed meanwhile).
func (l *ClassListener) Next(ctx context.Context) (classID int64, err error) {
	for {
		n, err := l.conn.WaitForNotification(ctx)
		if err != nil {
			return 0, opError("wait for classes", err)
		}
		if id, err := strconv.ParseInt(n.Payload, 10, 64); err == nil && id > 0 {
			return id, nil
		}
		// Not ours (someone else's NOTIFY on the channel): skip it.
	}
}

// Close closes the listener's connection.
func (l *ClassListener) Close(ctx context.Context) error { return l.conn.Close(ctx) }
