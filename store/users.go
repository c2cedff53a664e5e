package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrUserDisabled is returned for credentials of a user who has been disabled.
var ErrUserDisabled = errors.New("user is disabled")

// User is an account that can log in or own API keys.
type User struct {
	ID           string    `json:"id"`
	Username     string    `json:"username"`
	Email        string    `json:"email"`
	PasswordHash string    `json:"-"`
	Role         string    `json:"role"`
	Active       bool      `json:"active"`
	TokenVersion int64     `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

const userColumns = `id::text, username, email, password_hash, role, active, token_version, created_at, updated_at`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.PasswordHash, &u.Role, &u.Active, &u.TokenVersion, &u.CreatedAt, &u.UpdatedAt)
	return u, err
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Username, Email, PasswordHash, Role string
}

// CreateUser adds an active user. A taken username or email is a *ConflictError.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `
		INSERT INTO users (username, email, password_hash, role) VALUES ($1, $2, $3, $4)
		RETURNING `+userColumns, nu.Username, nu.Email, nu.PasswordHash, nu.Role))
	return u, wrap(err, "create user %q", nu.Username)
}

// CreateFirstUser adds a user only when there is none yet, and reports
// whether it did; concurrent first starts create one user between them.
func (s *Store) CreateFirstUser(ctx context.Context, nu NewUser) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, wrap(err, "begin")
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit, Rollback is a no-op
	if _, err := tx.Exec(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return false, wrap(err, "lock users")
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&exists); err != nil {
		return false, wrap(err, "count users")
	}
	if exists {
		return false, nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO users (username, email, password_hash, role) VALUES ($1, $2, $3, $4)`,
		nu.Username, nu.Email, nu.PasswordHash, nu.Role); err != nil {
		return false, wrap(err, "create first user %q", nu.Username)
	}
	return true, wrap(tx.Commit(ctx), "commit first user")
}

// HasUsers reports whether any user exists.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var exists bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&exists)
	return exists, wrap(err, "look for users")
}

// UserByUsername finds a user by username, whatever its case.
func (s *Store) UserByUsername(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE lower(username) = lower($1)`, username))
	return u, wrap(err, "user %q", username)
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id::text = $1`, id))
	return u, wrap(err, "user %s", id)
}

// UserFilter selects users for ListUsers. Zero values select everything.
type UserFilter struct {
	Role   string
	Active *bool
	// After is the username the previous page ended with.
	After string
	Limit int
}

// ListUsers lists users in username order.
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]User, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+userColumns+` FROM users
		WHERE ($1 = '' OR role = $1) AND ($2::boolean IS NULL OR active = $2) AND lower(username) > lower($3)
		ORDER BY lower(username) LIMIT $4`, f.Role, f.Active, f.After, f.Limit)
	if err != nil {
		return nil, wrap(err, "list users")
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) { return scanUser(row) })
	return users, wrap(err, "list users")
}

// UpdateUser changes a user's role and active flag. Either change revokes the
// user's tokens, so a demoted or disabled user loses access at once.
func (s *Store) UpdateUser(ctx context.Context, id, role string, active bool) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `
		UPDATE users SET role = $2, active = $3,
			token_version = token_version + CASE WHEN role <> $2 OR active <> $3 THEN 1 ELSE 0 END
		WHERE id::text = $1 RETURNING `+userColumns, id, role, active))
	return u, wrap(err, "update user %s", id)
}

// SetPassword replaces a user's password hash and revokes their tokens.
func (s *Store) SetPassword(ctx context.Context, id, hash string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $2, token_version = token_version + 1 WHERE id::text = $1`, id, hash)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return wrap(err, "set password of %s", id)
}

// RehashPassword replaces a hash with one of new parameters without revoking
// tokens: the password itself is unchanged.
func (s *Store) RehashPassword(ctx context.Context, id, oldHash, newHash string) error {
	_, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $3 WHERE id::text = $1 AND password_hash = $2`, id, oldHash, newHash)
	return wrap(err, "rehash password of %s", id)
}

// RevokeTokens bumps a user's token version, invalidating every token issued so far.
func (s *Store) RevokeTokens(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET token_version = token_version + 1 WHERE id::text = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return wrap(err, "revoke tokens of %s", id)
}

// TokenVersion is the user's current token version. A disabled user has
// none: it returns ErrUserDisabled, so their tokens stop working at once.
func (s *Store) TokenVersion(ctx context.Context, userID string) (int64, error) {
	var version int64
	var active bool
	err := s.pool.QueryRow(ctx, `SELECT token_version, active FROM users WHERE id::text = $1`, userID).Scan(&version, &active)
	if err != nil {
		return 0, wrap(err, "token version of %s", userID)
	}
	if !active {
		return 0, ErrUserDisabled
	}
	return version, nil
}

// TokenVersionChannel is notified with a user's id whenever their token
// version or active flag changes.
const TokenVersionChannel = "pff_token_versions" // #nosec G101 -- a channel's name, not a credential

// ListenTokenVersions calls changed with the id of every user whose token
// version or active flag changes, after calling ready once it listens. It
// holds one connection and returns when ctx ends or the connection fails.
func (s *Store) ListenTokenVersions(ctx context.Context, ready func(), changed func(userID string)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return wrap(err, "listen for token versions")
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+TokenVersionChannel); err != nil {
		return wrap(err, "listen for token versions")
	}
	// The connection goes back to the pool after this; it must not keep listening.
	defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN "+TokenVersionChannel) //nolint:errcheck // a broken conn is discarded anyway
	ready()
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return wrap(err, "wait for token version changes")
		}
		changed(n.Payload)
	}
}
