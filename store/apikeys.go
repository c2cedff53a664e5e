package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// APIKey describes a machine credential. Its secret is never stored: only a
// hash of it, which this type does not expose.
type APIKey struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Username   string     `json:"username"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// NewAPIKey is what CreateAPIKey stores.
type NewAPIKey struct {
	ID, UserID, Name string
	SecretHash       []byte
	ExpiresAt        *time.Time
}

// StoredAPIKey is what verifying a key needs: its hash, and its user's role
// and state at the moment of the lookup.
type StoredAPIKey struct {
	ID         string
	SecretHash []byte
	UserID     string
	Role       string
	UserActive bool
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	Revoked    bool
}

// #nosec G101 -- column names, not a credential.
const apiKeyColumns = `k.id, k.user_id::text, u.username, k.name, k.created_at, k.expires_at, k.last_used_at, k.revoked_at`

func scanAPIKey(row pgx.Row) (APIKey, error) {
	var k APIKey
	err := row.Scan(&k.ID, &k.UserID, &k.Username, &k.Name, &k.CreatedAt, &k.ExpiresAt, &k.LastUsedAt, &k.RevokedAt)
	return k, err
}

// CreateAPIKey stores a key's hash under its public id.
func (s *Store) CreateAPIKey(ctx context.Context, nk NewAPIKey) (APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `
		WITH k AS (
			INSERT INTO api_keys (id, user_id, name, secret_hash, expires_at) VALUES ($1, $2::uuid, $3, $4, $5)
			RETURNING *
		)
		SELECT `+apiKeyColumns+` FROM k JOIN users u ON u.id = k.user_id`,
		nk.ID, nk.UserID, nk.Name, nk.SecretHash, nk.ExpiresAt))
	return k, wrap(err, "create api key %q", nk.Name)
}

// APIKeyForAuth looks a key up for verification.
func (s *Store) APIKeyForAuth(ctx context.Context, id string) (StoredAPIKey, error) {
	var k StoredAPIKey
	err := s.pool.QueryRow(ctx, `
		SELECT k.id, k.secret_hash, k.user_id::text, u.role, u.active, k.expires_at, k.last_used_at, k.revoked_at IS NOT NULL
		FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1`, id).
		Scan(&k.ID, &k.SecretHash, &k.UserID, &k.Role, &k.UserActive, &k.ExpiresAt, &k.LastUsedAt, &k.Revoked)
	return k, wrap(err, "api key %s", id)
}

// TouchAPIKey records that a key was used.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, id, at)
	return wrap(err, "touch api key %s", id)
}

// APIKeyFilter selects keys for ListAPIKeys. Zero values select everything.
type APIKeyFilter struct {
	UserID string
	// After is the id the previous page ended with.
	After string
	Limit int
}

// ListAPIKeys lists keys in id order.
func (s *Store) ListAPIKeys(ctx context.Context, f APIKeyFilter) ([]APIKey, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+apiKeyColumns+` FROM api_keys k JOIN users u ON u.id = k.user_id
		WHERE ($1 = '' OR k.user_id::text = $1) AND k.id > $2 ORDER BY k.id LIMIT $3`, f.UserID, f.After, f.Limit)
	if err != nil {
		return nil, wrap(err, "list api keys")
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (APIKey, error) { return scanAPIKey(row) })
	return keys, wrap(err, "list api keys")
}

// RevokeAPIKey stops a key from working. Revoking twice is not an error.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) (APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `
		WITH k AS (
			UPDATE api_keys SET revoked_at = coalesce(revoked_at, clock_timestamp()) WHERE id = $1 RETURNING *
		)
		SELECT `+apiKeyColumns+` FROM k JOIN users u ON u.id = k.user_id`, id))
	return k, wrap(err, "revoke api key %s", id)
}
