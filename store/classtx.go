package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const classColumns = `id, slug, name, time_zone, starts_on, ends_on, join_code, archived_at, created_at`

// scanClass reads a row of classColumns.
func scanClass(row pgx.CollectableRow) (Class, error) {
	var c Class
	var startsOn, endsOn, archivedAt *time.Time
	var code *string
	err := row.Scan(&c.ID, &c.Slug, &c.Name, &c.TimeZone, &startsOn, &endsOn, &code, &archivedAt, &c.CreatedAt)
	c.StartsOn, c.EndsOn, c.ArchivedAt = deref(startsOn), deref(endsOn), deref(archivedAt)
	if code != nil {
		c.JoinCode = *code
	}
	return c, err
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// orNull is t for a timestamp or date parameter, NULL when zero.
func orNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// checkTimeZone refuses a time zone Go cannot load: the class's dates are
// read in it.
func checkTimeZone(tz string) error {
	if tz == "" {
		return fmt.Errorf("%w: no time zone", ErrInvalid)
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Errorf("%w: unknown time zone %q", ErrInvalid, tz)
	}
	return nil
}

// classWriteError maps the schema's refusals of a class write to the
// store's errors: a taken slug, a missing row (foreign key), a broken rule
// (check constraint).
func classWriteError(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505" && pgErr.ConstraintName == "classes_slug_key":
			return ErrSlugTaken
		case pgErr.Code == "23505" && pgErr.ConstraintName == "classes_join_code_key":
			return fmt.Errorf("%w: join code already used", ErrInvalid)
		case pgErr.Code == "23503":
			return ErrNotFound
		case pgErr.Code == "23514" || pgErr.Code == "23502" || pgErr.Code == "22007" || pgErr.Code == "22008":
			return fmt.Errorf("%w: %s", ErrInvalid, constraintOrMessage(pgErr))
		}
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotMember) ||
		errors.Is(err, ErrArchived) || errors.Is(err, ErrSlugTaken) {
		return err
	}
	return opError(op, err)
}

func constraintOrMessage(e *pgconn.PgError) string {
	if e.ConstraintName != "" {
		return e.ConstraintName
	}
	return e.Message
}

// classTx runs fn in a transaction and then announces a change to class
// id, when fn reports one (changed true), in the same transaction.
func (s *Store) classTx(ctx context.Context, fn func(tx pgx.Tx) (id int64, changed bool, err error)) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		id, changed, err := fn(tx)
		if err != nil || !changed {
			return err
		}
		_, err = tx.Exec(ctx, notifyClassSQL, id)
		return err
	})
}
