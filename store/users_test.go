package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	pool, err := store.Connect(context.Background(), store.PoolConfig{URL: storetest.NewDatabase(t)})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return store.New(pool)
}

func TestUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)

	alice, err := s.CreateUser(ctx, store.NewUser{Username: "Alice", Email: "alice@example.com", PasswordHash: "h1", Role: "admin"})
	require.NoError(t, err)
	require.True(t, alice.Active)

	_, err = s.CreateUser(ctx, store.NewUser{Username: "alice", Email: "other@example.com", PasswordHash: "h", Role: "viewer"})
	var conflict *store.ConflictError
	require.ErrorAs(t, err, &conflict, "usernames are unique whatever their case")
	require.Equal(t, "users_username_key", conflict.Constraint)
	_, err = s.CreateUser(ctx, store.NewUser{Username: "bob", Email: "ALICE@example.com", PasswordHash: "h", Role: "viewer"})
	require.ErrorAs(t, err, &conflict)
	_, err = s.CreateUser(ctx, store.NewUser{Username: "bob", Email: "bob@example.com", PasswordHash: "h", Role: "root"})
	require.Error(t, err, "roles are checked")

	got, err := s.UserByUsername(ctx, "ALICE")
	require.NoError(t, err)
	require.Equal(t, alice.ID, got.ID)
	_, err = s.UserByUsername(ctx, "nobody")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.UserByID(ctx, "not-a-uuid")
	require.ErrorIs(t, err, store.ErrNotFound)

	version, err := s.TokenVersion(ctx, alice.ID)
	require.NoError(t, err)
	require.NoError(t, s.RevokeTokens(ctx, alice.ID))
	bumped, err := s.TokenVersion(ctx, alice.ID)
	require.NoError(t, err)
	require.Equal(t, version+1, bumped)

	updated, err := s.UpdateUser(ctx, alice.ID, "admin", true)
	require.NoError(t, err)
	require.Equal(t, bumped, updated.TokenVersion, "no change, no revocation")
	updated, err = s.UpdateUser(ctx, alice.ID, "operator", true)
	require.NoError(t, err)
	require.Equal(t, bumped+1, updated.TokenVersion, "a role change revokes tokens")
	require.True(t, updated.UpdatedAt.After(alice.UpdatedAt))

	_, err = s.UpdateUser(ctx, alice.ID, "operator", false)
	require.NoError(t, err)
	_, err = s.TokenVersion(ctx, alice.ID)
	require.ErrorIs(t, err, store.ErrUserDisabled)

	require.NoError(t, s.SetPassword(ctx, alice.ID, "h2"))
	got, err = s.UserByID(ctx, alice.ID)
	require.NoError(t, err)
	require.Equal(t, "h2", got.PasswordHash)
	require.ErrorIs(t, s.SetPassword(ctx, "00000000-0000-0000-0000-000000000000", "h"), store.ErrNotFound)
}

func TestListUsersPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	for _, name := range []string{"dave", "carol", "bob", "erin"} {
		_, err := s.CreateUser(ctx, store.NewUser{Username: name, Email: name + "@example.com", PasswordHash: "h", Role: "viewer"})
		require.NoError(t, err)
	}
	page, err := s.ListUsers(ctx, store.UserFilter{Limit: 3})
	require.NoError(t, err)
	require.Equal(t, []string{"bob", "carol", "dave"}, usernames(page))
	page, err = s.ListUsers(ctx, store.UserFilter{After: "dave", Limit: 3})
	require.NoError(t, err)
	require.Equal(t, []string{"erin"}, usernames(page))
	active := false
	page, err = s.ListUsers(ctx, store.UserFilter{Active: &active, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, page)
}

func TestCreateFirstUserOnlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	created, err := s.CreateFirstUser(ctx, store.NewUser{Username: "root", Email: "root@example.com", PasswordHash: "h", Role: "admin"})
	require.NoError(t, err)
	require.True(t, created)
	created, err = s.CreateFirstUser(ctx, store.NewUser{Username: "second", Email: "second@example.com", PasswordHash: "h", Role: "admin"})
	require.NoError(t, err)
	require.False(t, created)
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	user, err := s.CreateUser(ctx, store.NewUser{Username: "robot", Email: "robot@example.com", PasswordHash: "h", Role: "operator"})
	require.NoError(t, err)
	hash := make([]byte, 32)
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	key, err := s.CreateAPIKey(ctx, store.NewAPIKey{ID: "k1", UserID: user.ID, Name: "ci", SecretHash: hash, ExpiresAt: &expires})
	require.NoError(t, err)
	require.Equal(t, "robot", key.Username)
	_, err = s.CreateAPIKey(ctx, store.NewAPIKey{ID: "k2", UserID: user.ID, Name: "ci", SecretHash: hash})
	var conflict *store.ConflictError
	require.ErrorAs(t, err, &conflict, "names are unique per user")

	stored, err := s.APIKeyForAuth(ctx, "k1")
	require.NoError(t, err)
	require.Equal(t, "operator", stored.Role)
	require.True(t, stored.UserActive)
	require.False(t, stored.Revoked)
	require.True(t, expires.Equal(*stored.ExpiresAt))

	require.NoError(t, s.TouchAPIKey(ctx, "k1", time.Now()))
	revoked, err := s.RevokeAPIKey(ctx, "k1")
	require.NoError(t, err)
	require.NotNil(t, revoked.RevokedAt)
	require.NotNil(t, revoked.LastUsedAt)
	stored, err = s.APIKeyForAuth(ctx, "k1")
	require.NoError(t, err)
	require.True(t, stored.Revoked)
	_, err = s.RevokeAPIKey(ctx, "absent")
	require.ErrorIs(t, err, store.ErrNotFound)

	keys, err := s.ListAPIKeys(ctx, store.APIKeyFilter{UserID: user.ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, keys, 1)
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	for i, status := range []string{"succeeded", "failed", "denied"} {
		code := 200 + i
		require.NoError(t, s.InsertAudit(ctx, store.AuditEntry{
			Actor: "alice", Method: "POST", Route: "/api/v1/users", Action: "POST /api/v1/users",
			Status: status, StatusCode: &code, RequestID: "r", Detail: json.RawMessage(`{"n":1}`),
		}))
	}
	require.Error(t, s.InsertAudit(ctx, store.AuditEntry{Action: "x", Status: "maybe"}), "statuses are checked")

	all, err := s.ListAudit(ctx, store.AuditFilter{Limit: 10})
	require.NoError(t, err)
	require.Len(t, all, 3)
	require.Equal(t, "denied", all[0].Status, "newest first")
	page, err := s.ListAudit(ctx, store.AuditFilter{Before: all[0].ID, Limit: 1})
	require.NoError(t, err)
	require.Equal(t, all[1].ID, page[0].ID)
	failed, err := s.ListAudit(ctx, store.AuditFilter{Status: "failed", Actor: "alice", Route: "/api/v1/users", Limit: 10})
	require.NoError(t, err)
	require.Len(t, failed, 1)
	none, err := s.ListAudit(ctx, store.AuditFilter{Since: time.Now().Add(time.Hour), Limit: 10})
	require.NoError(t, err)
	require.Empty(t, none)
}

func usernames(users []store.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.Username
	}
	return out
}
