package store

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ConflictError is returned when a write would break a uniqueness rule.
type ConflictError struct {
	// Constraint is the unique index or constraint that refused the write.
	Constraint string
}

func (e *ConflictError) Error() string {
	return "conflicts with an existing row (" + e.Constraint + ")"
}

// wrap gives err the operation's context and turns PostgreSQL's answers that
// callers act on into ErrNotFound and *ConflictError.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	op := fmt.Sprintf(format, args...)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("store: %s: %w", op, &ConflictError{Constraint: pgErr.ConstraintName})
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
