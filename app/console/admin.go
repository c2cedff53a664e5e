package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/store"
)

type adminData struct {
	Users []store.User
	Keys  []store.APIKey
	// Created is an API key just made: shown this once.
	Created *accounts.CreatedAPIKey
	Self    string
}

func (c *Console) adminData(r *http.Request, p *principal) (adminData, error) {
	ctx := r.Context()
	d := adminData{Self: p.UserID}
	var err error
	if d.Users, err = c.cfg.Accounts.ListUsers(ctx, accounts.UserFilter{Limit: 500}); err != nil {
		return d, err
	}
	if d.Keys, err = c.cfg.Accounts.ListAPIKeys(ctx, accounts.APIKeyFilter{Limit: 500}); err != nil {
		return d, err
	}
	return d, nil
}

func (c *Console) adminPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	d, err := c.adminData(r, p)
	if err != nil {
		return err
	}
	return c.page(w, r, p, http.StatusOK, "admin", "Administration", "admin", d)
}

func (c *Console) createUser(w http.ResponseWriter, r *http.Request, a *act) error {
	req := accounts.CreateUserRequest{Username: strings.TrimSpace(r.PostFormValue("username")), Email: strings.TrimSpace(r.PostFormValue("email")),
		Role: r.PostFormValue("role"), Password: r.PostFormValue("password")}
	u, err := c.cfg.Accounts.CreateUser(r.Context(), req)
	if err != nil {
		return err
	}
	a.Target = u.ID
	a.Detail = map[string]any{"username": u.Username, "role": u.Role}
	setFlash(w, flash{Message: fmt.Sprintf("User %s created as %s.", u.Username, u.Role)})
	redirect(w, r, Prefix+"/admin")
	return nil
}

func (c *Console) updateUser(w http.ResponseWriter, r *http.Request, a *act) error {
	var req accounts.UpdateUserRequest
	if role := r.PostFormValue("role"); role != "" {
		req.Role = &role
	}
	if active := r.PostFormValue("active"); active != "" {
		on := active == "true"
		req.Active = &on
	}
	u, err := c.cfg.Accounts.UpdateUser(r.Context(), a.Principal, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	a.Detail = map[string]any{"username": u.Username, "role": u.Role, "active": u.Active}
	state := "active"
	if !u.Active {
		state = "disabled"
	}
	setFlash(w, flash{Message: fmt.Sprintf("User %s is %s, %s.", u.Username, u.Role, state)})
	redirect(w, r, Prefix+"/admin")
	return nil
}

// createKey makes an API key and shows it on the page it answers with,
// never in a redirect or a cookie: it is shown this once.
func (c *Console) createKey(w http.ResponseWriter, r *http.Request, a *act) error {
	req := accounts.CreateAPIKeyRequest{Username: strings.TrimSpace(r.PostFormValue("username")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	if days := r.PostFormValue("expires_days"); days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return fieldError("expires_days", "must be a positive number of days")
		}
		at := c.now().Add(time.Duration(n) * 24 * time.Hour)
		req.ExpiresAt = &at
	}
	created, err := c.cfg.Accounts.CreateAPIKey(r.Context(), req)
	if err != nil {
		return err
	}
	a.Target = created.APIKey.ID
	a.Detail = map[string]any{"username": req.Username, "name": req.Name}
	d, err := c.adminData(r, a.principal)
	if err != nil {
		return err
	}
	d.Created = &created
	a.Status = http.StatusCreated
	return c.page(w, r, a.principal, http.StatusCreated, "admin", "Administration", "admin", d)
}

func (c *Console) revokeKey(w http.ResponseWriter, r *http.Request, a *act) error {
	k, err := c.cfg.Accounts.RevokeAPIKey(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	a.Detail = map[string]any{"name": k.Name, "username": k.Username}
	setFlash(w, flash{Message: fmt.Sprintf("API key %s (%s) revoked.", k.ID, k.Name)})
	redirect(w, r, Prefix+"/admin")
	return nil
}

type auditData struct {
	Filter  store.AuditFilter
	Since   string
	Until   string
	Entries []store.AuditEntry
	Next    string
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	q := r.URL.Query()
	d := auditData{Filter: store.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Route: strings.TrimSpace(q.Get("route")),
		Status: q.Get("status"), Limit: pageSize + 1}, Since: q.Get("since"), Until: q.Get("until")}
	var err error
	if d.Filter.Before, err = int64Param(q, "before"); err != nil {
		return err
	}
	// Dates come from <input type="datetime-local"> (UTC, as the page says)
	// or as RFC 3339.
	for _, f := range []struct {
		name, raw string
		to        *time.Time
	}{{"since", d.Since, &d.Filter.Since}, {"until", d.Until, &d.Filter.Until}} {
		if f.raw == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.raw)
		if err != nil {
			if t, err = time.Parse("2006-01-02T15:04", f.raw); err != nil {
				return fieldError(f.name, "must be a date and time such as 2026-01-02T15:04")
			}
		}
		*f.to = t
	}
	list, err := c.cfg.Accounts.Audit(r.Context(), d.Filter)
	if err != nil {
		return err
	}
	d.Entries = list
	if len(list) > pageSize {
		d.Entries = list[:pageSize]
		next := url.Values{"before": {strconv.FormatInt(d.Entries[pageSize-1].ID, 10)}}
		for k, v := range map[string]string{"actor": d.Filter.Actor, "route": d.Filter.Route, "status": d.Filter.Status, "since": d.Since, "until": d.Until} {
			if v != "" {
				next.Set(k, v)
			}
		}
		d.Next = Prefix + "/admin/audit?" + next.Encode()
	}
	return c.page(w, r, p, http.StatusOK, "audit", "Audit log", "admin", d)
}
