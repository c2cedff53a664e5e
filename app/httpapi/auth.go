package httpapi

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type meResponse struct {
	User     store.User `json:"user"`
	APIKeyID string     `json:"api_key_id,omitempty"`
}

func (a *api) authRoutes() []route {
	const tag = "auth"
	return []route{
		{Method: http.MethodPost, Path: Prefix + "/auth/login", Public: true, Group: groupAuth, Tag: tag, MaxBody: 4 << 10,
			Summary: "Log in with a username and password (JSON)", Request: loginExample, Response: tokenExample,
			Handler: a.login},
		{Method: http.MethodPost, Path: Prefix + "/auth/token", Public: true, Group: groupAuth, Tag: tag, MaxBody: 4 << 10,
			Summary:     "Log in with the OAuth2 password grant (form: grant_type=password, username, password)",
			RequestType: echo.MIMEApplicationForm, Request: "grant_type=password&username=ops&password=correct+horse+battery+staple",
			Response: tokenExample, Handler: a.passwordGrant},
		{Method: http.MethodPost, Path: Prefix + "/auth/logout", Role: auth.RoleViewer, Tag: tag, Status: http.StatusNoContent,
			Summary: "Revoke every access token of the calling user (not with an API key: 403)", Handler: a.logout},
		{Method: http.MethodGet, Path: Prefix + "/auth/me", Role: auth.RoleViewer, Tag: tag,
			Summary: "The calling user", Response: meResponse{User: userExample}, Handler: a.me},
		{Method: http.MethodPost, Path: Prefix + "/auth/password", Role: auth.RoleViewer, Tag: tag, Status: http.StatusNoContent, MaxBody: 4 << 10,
			Summary: "Change the calling user's password (revokes their tokens); wrong current passwords count towards the login lockout (429); not with an API key (403)", Request: changePasswordExample,
			Handler: a.changePassword},
	}
}

func (a *api) login(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return a.issueToken(c, req.Username, req.Password)
}

func (a *api) passwordGrant(c echo.Context) error {
	if !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		return &problem.Error{Kind: problem.Unsupported, Code: "unsupported_media_type",
			Message: "the request body must be application/x-www-form-urlencoded"}
	}
	if err := c.Request().ParseForm(); err != nil {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return err
		}
		return badRequest("invalid_form", "the form could not be parsed")
	}
	form := c.Request().PostForm
	var fields [3]string
	for i, name := range []string{"grant_type", "username", "password"} {
		v, err := formValue(form, name)
		if err != nil {
			return err
		}
		fields[i] = v
	}
	if grant := fields[0]; grant != "password" {
		return badRequest("unsupported_grant_type", "grant_type must be password, not %q", printable(grant))
	}
	return a.issueToken(c, fields[1], fields[2])
}

func (a *api) issueToken(c echo.Context, username, password string) error {
	c.Set(attemptedUserKey, username)
	client, _ := netip.ParseAddr(c.RealIP())
	token, err := a.accounts.Login(c.Request().Context(), username, password, client)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, token)
}

func (a *api) logout(c echo.Context) error {
	p, _ := principalOf(c)
	if err := a.accounts.Logout(c.Request().Context(), p); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *api) me(c echo.Context) error {
	p, _ := principalOf(c)
	user, err := a.accounts.User(c.Request().Context(), p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, meResponse{User: user, APIKeyID: p.APIKeyID})
}

func (a *api) changePassword(c echo.Context) error {
	var req accounts.ChangePasswordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, _ := principalOf(c)
	client, _ := netip.ParseAddr(c.RealIP())
	if err := a.accounts.ChangePassword(c.Request().Context(), p, client, req); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
