package store

import (
	"context"
	"time"
)

// NewConsoleSession is a console session to store. IDHash is the SHA-256 of
// the cookie's secret; the secret itself is never stored.
type NewConsoleSession struct {
	IDHash    []byte
	UserID    string
	CSRF      string
	ClientIP  string
	UserAgent string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ConsoleSession is a stored console session with its user as they are now.
type ConsoleSession struct {
	UserID   string
	Username string
	Role     string
	// Active is the user's; Current says the user's token version is still
	// the one the session was made with (no logout, new password or role).
	Active     bool
	Current    bool
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreateConsoleSession stores a session at the user's current token version.
func (s *Store) CreateConsoleSession(ctx context.Context, ns NewConsoleSession) error {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO console_sessions (id_hash, user_id, token_version, csrf, client_ip, user_agent, created_at, last_seen_at, expires_at)
		SELECT $1, u.id, u.token_version, $3, $4, $5, $6, $6, $7 FROM users u WHERE u.id = $2::uuid`,
		ns.IDHash, ns.UserID, ns.CSRF, ns.ClientIP, ns.UserAgent, ns.CreatedAt, ns.ExpiresAt)
	if err != nil {
		return wrap(err, "create console session")
	}
	if tag.RowsAffected() == 0 {
		return wrap(ErrNotFound, "create console session of user %q", ns.UserID)
	}
	return nil
}

// ConsoleSession returns a session and its user in one lookup.
func (s *Store) ConsoleSession(ctx context.Context, idHash []byte) (ConsoleSession, error) {
	var cs ConsoleSession
	err := s.pool.QueryRow(ctx, `
		SELECT u.id::text, u.username, u.role, u.active, u.token_version = c.token_version,
			c.csrf, c.created_at, c.last_seen_at, c.expires_at
		FROM console_sessions c JOIN users u ON u.id = c.user_id
		WHERE c.id_hash = $1`, idHash).
		Scan(&cs.UserID, &cs.Username, &cs.Role, &cs.Active, &cs.Current, &cs.CSRF, &cs.CreatedAt, &cs.LastSeenAt, &cs.ExpiresAt)
	if err != nil {
		return ConsoleSession{}, wrap(err, "console session")
	}
	return cs, nil
}

// TouchConsoleSession records that a session was used at a moment, which
// moves its idle expiry.
func (s *Store) TouchConsoleSession(ctx context.Context, idHash []byte, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE console_sessions SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $2`, idHash, at)
	return wrap(err, "touch console session")
}

// DeleteConsoleSession ends a session; ending one that is gone is no error.
func (s *Store) DeleteConsoleSession(ctx context.Context, idHash []byte) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE id_hash = $1`, idHash)
	return wrap(err, "delete console session")
}

// PruneConsoleSessions deletes the sessions past their absolute expiry at
// now, or idle since before idleSince, and says how many.
func (s *Store) PruneConsoleSessions(ctx context.Context, now, idleSince time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at < $2`, now, idleSince)
	if err != nil {
		return 0, wrap(err, "prune console sessions")
	}
	return tag.RowsAffected(), nil
}
