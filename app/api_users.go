package app

import (
	"context"
	"net/http"
	"net/mail"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/store"
)

type createUserRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

type updateUserRequest struct {
	Role   *string `json:"role"`
	Active *bool   `json:"active"`
}

func (a *api) userRoutes() []route {
	const tag = "users"
	return []route{
		{Method: http.MethodGet, Path: apiPrefix + "/users", Role: auth.RoleAdmin, Tag: tag, Summary: "List users",
			Query:    []param{{"role", "only users with this role"}, {"active", "true or false"}, cursorParam, limitParam},
			Response: page[store.User]{}, Handler: a.listUsers},
		{Method: http.MethodPost, Path: apiPrefix + "/users", Role: auth.RoleAdmin, Tag: tag, Summary: "Create a user",
			Request: createUserRequest{}, Response: store.User{}, Status: http.StatusCreated, MaxBody: 4 << 10, Handler: a.createUser},
		{Method: http.MethodGet, Path: apiPrefix + "/users/:id", Role: auth.RoleAdmin, Tag: tag, Summary: "Get a user",
			Response: store.User{}, Handler: a.getUser},
		{Method: http.MethodPatch, Path: apiPrefix + "/users/:id", Role: auth.RoleAdmin, Tag: tag,
			Summary: "Change a user's role or disable them (revokes their tokens)", Request: updateUserRequest{},
			Response: store.User{}, MaxBody: 4 << 10, Handler: a.updateUser},
		{Method: http.MethodPost, Path: apiPrefix + "/users/:id/unlock", Role: auth.RoleAdmin, Tag: tag, Status: http.StatusNoContent,
			Summary: "Lift a login lockout of a user", Handler: a.unlockUser},
	}
}

var (
	cursorParam = param{"cursor", "next_cursor of the previous page"}
	limitParam  = param{"limit", "items per page, 1 to 200 (default 50)"}
)

func (a *api) listUsers(c echo.Context) error {
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	filter := store.UserFilter{After: after, Limit: limit + 1}
	var problems fieldErrors
	if role := c.QueryParam("role"); role != "" {
		if _, err := auth.ParseRole(role); err != nil {
			problems.add("role", "must be viewer, operator or admin")
		}
		filter.Role = role
	}
	if raw := c.QueryParam("active"); raw != "" {
		active, err := strconv.ParseBool(raw)
		if err != nil {
			problems.add("active", "must be true or false")
		}
		filter.Active = &active
	}
	if err := problems.err(); err != nil {
		return err
	}
	users, err := a.store.ListUsers(c.Request().Context(), filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(users, limit, func(u store.User) string { return strings.ToLower(u.Username) }))
}

func (a *api) createUser(c echo.Context) error {
	var req createUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	user, err := createUser(c.Request().Context(), a.store, a.hasher, a.policy, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, user)
}

func (a *api) getUser(c echo.Context) error {
	user, err := a.store.UserByID(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, user)
}

func (a *api) updateUser(c echo.Context) error {
	var req updateUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	user, err := a.store.UserByID(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	role, active := user.Role, user.Active
	var problems fieldErrors
	if req.Role != nil {
		if _, err := auth.ParseRole(*req.Role); err != nil {
			problems.add("role", "must be viewer, operator or admin")
		}
		role = *req.Role
	}
	if req.Active != nil {
		active = *req.Active
	}
	if p, _ := principalOf(c); p.UserID == user.ID && (role != user.Role || !active) {
		problems.add("role", "admins cannot demote or disable themselves")
	}
	if err := problems.err(); err != nil {
		return err
	}
	user, err = a.store.UpdateUser(ctx, user.ID, role, active)
	if err != nil {
		return err
	}
	// This process forgets at once; the others on the notification.
	a.versions.invalidate(user.ID)
	return c.JSON(http.StatusOK, user)
}

func (a *api) unlockUser(c echo.Context) error {
	user, err := a.store.UserByID(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	a.lockout.Unlock(user.Username)
	return c.NoContent(http.StatusNoContent)
}

// createUser validates and creates a user; the API and `pff user create` share it.
func createUser(ctx context.Context, st *store.Store, hasher *auth.PasswordHasher, policy auth.PasswordPolicy, req createUserRequest) (store.User, error) {
	var problems fieldErrors
	if !validUsername(req.Username) {
		problems.add("username", "must be 3 to 64 letters, digits, dots, dashes or underscores")
	}
	if addr, err := mail.ParseAddress(req.Email); err != nil || addr.Address != req.Email {
		problems.add("email", "must be an email address such as ops@example.com")
	}
	if _, err := auth.ParseRole(req.Role); err != nil {
		problems.add("role", "must be viewer, operator or admin")
	}
	if err := policy.Check(req.Username, req.Password); err != nil {
		problems.add("password", "%v", err)
	}
	if err := problems.err(); err != nil {
		return store.User{}, err
	}
	hash, err := hasher.Hash(ctx, req.Password)
	if err != nil {
		return store.User{}, err
	}
	return st.CreateUser(ctx, store.NewUser{Username: req.Username, Email: req.Email, PasswordHash: hash, Role: req.Role})
}

func validUsername(s string) bool {
	if len(s) < 3 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
