package accounts

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// CreateAPIKeyRequest creates a key acting for a user.
type CreateAPIKeyRequest struct {
	Username  string     `json:"username"`
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// CreatedAPIKey is a new key; Key is the whole key, shown this once and
// stored only as a hash.
type CreatedAPIKey struct {
	Key    string       `json:"key"`
	APIKey store.APIKey `json:"api_key"`
}

// CreateAPIKey makes a key for a user.
func (a *Accounts) CreateAPIKey(ctx context.Context, req CreateAPIKeyRequest) (CreatedAPIKey, error) {
	var problems problem.Fields
	if req.Name == "" || len(req.Name) > 100 {
		problems.Add("name", "is required, at most 100 characters")
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(a.now()) {
		problems.Add("expires_at", "must be in the future")
	}
	user, err := a.store.UserByUsername(ctx, req.Username)
	if errors.Is(err, store.ErrNotFound) {
		problems.Add("username", "no user %q", req.Username)
	} else if err != nil {
		return CreatedAPIKey{}, err
	}
	if err := problems.Err(); err != nil {
		return CreatedAPIKey{}, err
	}
	key := auth.GenerateAPIKey()
	stored, err := a.store.CreateAPIKey(ctx, store.NewAPIKey{
		ID: key.ID(), UserID: user.ID, Name: req.Name, SecretHash: key.Hash(), ExpiresAt: req.ExpiresAt,
	})
	if err != nil {
		return CreatedAPIKey{}, err
	}
	return CreatedAPIKey{Key: key.Reveal(), APIKey: stored}, nil
}

// APIKeyFilter selects keys to list.
type APIKeyFilter struct {
	// UserID keeps the keys of one user.
	UserID string
	// After is the id the previous page ended with.
	After string
	Limit int
}

// ListAPIKeys lists keys by id.
func (a *Accounts) ListAPIKeys(ctx context.Context, f APIKeyFilter) ([]store.APIKey, error) {
	return a.store.ListAPIKeys(ctx, store.APIKeyFilter{UserID: f.UserID, After: f.After, Limit: f.Limit})
}

// RevokeAPIKey revokes a key at once, everywhere.
func (a *Accounts) RevokeAPIKey(ctx context.Context, id string) (store.APIKey, error) {
	key, err := a.store.RevokeAPIKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return key, problem.NotFoundf("no API key %q", id)
	}
	return key, err
}

// apiKeyStore lets auth.APIKeyVerifier read keys from the store. A key of a
// disabled user counts as revoked.
type apiKeyStore struct {
	store *store.Store
}

func (s apiKeyStore) APIKeyByID(ctx context.Context, id string) (auth.StoredAPIKey, error) {
	k, err := s.store.APIKeyForAuth(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return auth.StoredAPIKey{}, auth.ErrAPIKeyNotFound
	}
	if err != nil {
		return auth.StoredAPIKey{}, err
	}
	role, err := auth.ParseRole(k.Role)
	if err != nil {
		return auth.StoredAPIKey{}, err
	}
	out := auth.StoredAPIKey{ID: k.ID, Hash: k.SecretHash, UserID: k.UserID, Role: role, Revoked: k.Revoked || !k.UserActive}
	if k.ExpiresAt != nil {
		out.ExpiresAt = *k.ExpiresAt
	}
	return out, nil
}

// keyUse records that an API key authenticated a request, at most once a
// minute per key and process, so the hot path stays a single read.
type keyUse struct {
	store *store.Store
	now   func() time.Time
	last  sync.Map // key id → time.Time of the last recorded use
}

func (u *keyUse) record(ctx context.Context, id string) error {
	now := u.now()
	if last, ok := u.last.Load(id); ok && now.Sub(last.(time.Time)) < time.Minute {
		return nil
	}
	u.last.Store(id, now)
	return u.store.TouchAPIKey(ctx, id, now)
}
