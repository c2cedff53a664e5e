package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

func (a *api) userRoutes() []route {
	const tag = "users"
	return []route{
		{Method: http.MethodGet, Path: Prefix + "/users", Role: auth.RoleAdmin, Tag: tag, Summary: "List users",
			Query:    []param{{"role", "only users with this role"}, {"active", "true or false"}, cursorParam, limitParam},
			Response: page[store.User]{Items: []store.User{userExample}}, Handler: a.listUsers},
		{Method: http.MethodPost, Path: Prefix + "/users", Role: auth.RoleAdmin, Tag: tag, Summary: "Create a user",
			Request: createUserExample, Response: userExample, Status: http.StatusCreated, MaxBody: 4 << 10, Handler: a.createUser},
		{Method: http.MethodGet, Path: Prefix + "/users/:id", Role: auth.RoleAdmin, Tag: tag, Summary: "Get a user",
			Response: userExample, Handler: a.getUser},
		{Method: http.MethodPatch, Path: Prefix + "/users/:id", Role: auth.RoleAdmin, Tag: tag,
			Summary: "Change a user's role or disable them (revokes their tokens)", Request: updateUserExample,
			Response: userExample, MaxBody: 4 << 10, Handler: a.updateUser},
		{Method: http.MethodPost, Path: Prefix + "/users/:id/unlock", Role: auth.RoleAdmin, Tag: tag, Status: http.StatusNoContent,
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
	filter := accounts.UserFilter{Role: c.QueryParam("role"), After: after, Limit: limit + 1}
	if raw := c.QueryParam("active"); raw != "" {
		active, err := strconv.ParseBool(raw)
		if err != nil {
			return problem.FieldError("active", "must be true or false")
		}
		filter.Active = &active
	}
	users, err := a.accounts.ListUsers(c.Request().Context(), filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(users, limit, func(u store.User) string { return strings.ToLower(u.Username) }))
}

func (a *api) createUser(c echo.Context) error {
	var req accounts.CreateUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	user, err := a.accounts.CreateUser(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, user)
}

func (a *api) getUser(c echo.Context) error {
	user, err := a.accounts.User(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, user)
}

func (a *api) updateUser(c echo.Context) error {
	var req accounts.UpdateUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, _ := principalOf(c)
	user, err := a.accounts.UpdateUser(c.Request().Context(), p, c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, user)
}

func (a *api) unlockUser(c echo.Context) error {
	if err := a.accounts.Unlock(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
