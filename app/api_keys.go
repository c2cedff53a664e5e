package app

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/store"
)

type createAPIKeyRequest struct {
	Username  string     `json:"username"`
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
}

type createdAPIKey struct {
	// Key is the whole key. It is shown this once and stored only as a hash.
	Key    string       `json:"key"`
	APIKey store.APIKey `json:"api_key"`
}

func (a *api) apiKeyRoutes() []route {
	const tag = "api-keys"
	return []route{
		{Method: http.MethodGet, Path: apiPrefix + "/api-keys", Role: auth.RoleAdmin, Tag: tag, Summary: "List API keys",
			Query:    []param{{"user_id", "only keys of this user"}, cursorParam, limitParam},
			Response: page[store.APIKey]{}, Handler: a.listAPIKeys},
		{Method: http.MethodPost, Path: apiPrefix + "/api-keys", Role: auth.RoleAdmin, Tag: tag,
			Summary: "Create an API key for a user; the key is in this response only", Request: createAPIKeyRequest{},
			Response: createdAPIKey{}, Status: http.StatusCreated, MaxBody: 4 << 10, Handler: a.createAPIKey},
		{Method: http.MethodDelete, Path: apiPrefix + "/api-keys/:id", Role: auth.RoleAdmin, Tag: tag, Summary: "Revoke an API key",
			Response: store.APIKey{}, Handler: a.revokeAPIKey},
	}
}

func (a *api) listAPIKeys(c echo.Context) error {
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	keys, err := a.store.ListAPIKeys(c.Request().Context(), store.APIKeyFilter{UserID: c.QueryParam("user_id"), After: after, Limit: limit + 1})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(keys, limit, func(k store.APIKey) string { return k.ID }))
}

func (a *api) createAPIKey(c echo.Context) error {
	var req createAPIKeyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	created, err := createAPIKey(c.Request().Context(), a.store, req, a.now())
	if err != nil {
		return err
	}
	c.Set(auditDetailKey, map[string]any{"api_key_id": created.APIKey.ID, "user": created.APIKey.Username})
	return c.JSON(http.StatusCreated, created)
}

func (a *api) revokeAPIKey(c echo.Context) error {
	key, err := a.store.RevokeAPIKey(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, key)
}

// createAPIKey makes a key for a user; the API and `pff apikey create` share it.
func createAPIKey(ctx context.Context, st *store.Store, req createAPIKeyRequest, now time.Time) (createdAPIKey, error) {
	var problems fieldErrors
	if req.Name == "" || len(req.Name) > 100 {
		problems.add("name", "is required, at most 100 characters")
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(now) {
		problems.add("expires_at", "must be in the future")
	}
	user, err := st.UserByUsername(ctx, req.Username)
	if errors.Is(err, store.ErrNotFound) {
		problems.add("username", "no user %q", req.Username)
	} else if err != nil {
		return createdAPIKey{}, err
	}
	if err := problems.err(); err != nil {
		return createdAPIKey{}, err
	}
	key := auth.GenerateAPIKey()
	stored, err := st.CreateAPIKey(ctx, store.NewAPIKey{
		ID: key.ID(), UserID: user.ID, Name: req.Name, SecretHash: key.Hash(), ExpiresAt: req.ExpiresAt,
	})
	if err != nil {
		return createdAPIKey{}, err
	}
	return createdAPIKey{Key: key.Reveal(), APIKey: stored}, nil
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

func (a *api) auditRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: apiPrefix + "/audit", Role: auth.RoleAdmin, Tag: "audit",
			Summary: "The audit log of mutating calls, newest first",
			Query: []param{{"actor", "user:<id> or api_key:<id>"}, {"route", "route template, e.g. /api/v1/users"},
				{"status", "succeeded, failed or denied"}, {"since", "RFC 3339 time"}, {"until", "RFC 3339 time"}, cursorParam, limitParam},
			Response: page[store.AuditEntry]{}, Handler: a.listAudit},
	}
}

func (a *api) listAudit(c echo.Context) error {
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	filter := store.AuditFilter{Actor: c.QueryParam("actor"), Route: c.QueryParam("route"), Status: c.QueryParam("status"), Limit: limit + 1}
	var problems fieldErrors
	if after != "" {
		if filter.Before, err = strconv.ParseInt(after, 10, 64); err != nil {
			problems.add("cursor", "is not one this API returned")
		}
	}
	for name, t := range map[string]*time.Time{"since": &filter.Since, "until": &filter.Until} {
		if raw := c.QueryParam(name); raw != "" {
			if *t, err = time.Parse(time.RFC3339, raw); err != nil {
				problems.add(name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
			}
		}
	}
	if err := problems.err(); err != nil {
		return err
	}
	entries, err := a.store.ListAudit(c.Request().Context(), filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(entries, limit, func(e store.AuditEntry) string { return strconv.FormatInt(e.ID, 10) }))
}
