package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

func (a *api) apiKeyRoutes() []route {
	const tag = "api-keys"
	return []route{
		{Method: http.MethodGet, Path: Prefix + "/api-keys", Role: auth.RoleAdmin, Tag: tag, Summary: "List API keys",
			Query:    []param{{"user_id", "only keys of this user"}, cursorParam, limitParam},
			Response: page[store.APIKey]{Items: []store.APIKey{apiKeyExample}}, Handler: a.listAPIKeys},
		{Method: http.MethodPost, Path: Prefix + "/api-keys", Role: auth.RoleAdmin, Tag: tag,
			Summary: "Create an API key for a user; the key is in this response only", Request: createAPIKeyExample,
			Response: createdAPIKeyExample, Status: http.StatusCreated, MaxBody: 4 << 10, Handler: a.createAPIKey},
		{Method: http.MethodDelete, Path: Prefix + "/api-keys/:id", Role: auth.RoleAdmin, Tag: tag, Summary: "Revoke an API key",
			Response: revokedAPIKeyExample, Handler: a.revokeAPIKey},
	}
}

func (a *api) listAPIKeys(c echo.Context) error {
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	keys, err := a.accounts.ListAPIKeys(c.Request().Context(), accounts.APIKeyFilter{UserID: c.QueryParam("user_id"), After: after, Limit: limit + 1})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(keys, limit, func(k store.APIKey) string { return k.ID }))
}

func (a *api) createAPIKey(c echo.Context) error {
	var req accounts.CreateAPIKeyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	created, err := a.accounts.CreateAPIKey(c.Request().Context(), req)
	if err != nil {
		return err
	}
	c.Set(auditDetailKey, map[string]any{"api_key_id": created.APIKey.ID, "user": created.APIKey.Username})
	return c.JSON(http.StatusCreated, created)
}

func (a *api) revokeAPIKey(c echo.Context) error {
	key, err := a.accounts.RevokeAPIKey(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, key)
}

func (a *api) auditRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: Prefix + "/audit", Role: auth.RoleAdmin, Tag: "audit",
			Summary: "The audit log of mutating calls, newest first",
			Query: []param{{"actor", "user:<id> or api_key:<id>"}, {"route", "route template, e.g. /api/v1/users"},
				{"status", "succeeded, failed or denied"}, {"since", "RFC 3339 time"}, {"until", "RFC 3339 time"}, cursorParam, limitParam},
			Response: page[store.AuditEntry]{Items: []store.AuditEntry{auditExample}}, Handler: a.listAudit},
	}
}

func (a *api) listAudit(c echo.Context) error {
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	filter := store.AuditFilter{Actor: c.QueryParam("actor"), Route: c.QueryParam("route"), Status: c.QueryParam("status"), Limit: limit + 1}
	if filter.Before, err = cursorID(after); err != nil {
		return err
	}
	var problems problem.Fields
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &filter.Since}, {"until", &filter.Until}} {
		if raw := c.QueryParam(p.name); raw != "" {
			if *p.t, err = time.Parse(time.RFC3339, raw); err != nil {
				problems.Add(p.name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
			}
		}
	}
	if err := problems.Err(); err != nil {
		return err
	}
	entries, err := a.accounts.Audit(c.Request().Context(), filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(entries, limit, func(e store.AuditEntry) string { return strconv.FormatInt(e.ID, 10) }))
}
