package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/store"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

type meResponse struct {
	User     store.User `json:"user"`
	APIKeyID string     `json:"api_key_id,omitempty"`
}

func (a *api) authRoutes() []route {
	const tag = "auth"
	return []route{
		{Method: http.MethodPost, Path: apiPrefix + "/auth/login", Public: true, Group: groupAuth, Tag: tag, MaxBody: 4 << 10,
			Summary: "Log in with a username and password (JSON)", Request: loginRequest{}, Response: tokenResponse{},
			Handler: a.login},
		{Method: http.MethodPost, Path: apiPrefix + "/auth/token", Public: true, Group: groupAuth, Tag: tag, MaxBody: 4 << 10,
			Summary:  "Log in with the OAuth2 password grant (form: grant_type=password, username, password)",
			Response: tokenResponse{}, Handler: a.passwordGrant},
		{Method: http.MethodPost, Path: apiPrefix + "/auth/logout", Role: auth.RoleViewer, Tag: tag, Status: http.StatusNoContent,
			Summary: "Revoke every access token of the calling user", Handler: a.logout},
		{Method: http.MethodGet, Path: apiPrefix + "/auth/me", Role: auth.RoleViewer, Tag: tag,
			Summary: "The calling user", Response: meResponse{}, Handler: a.me},
		{Method: http.MethodPost, Path: apiPrefix + "/auth/password", Role: auth.RoleViewer, Tag: tag, Status: http.StatusNoContent, MaxBody: 4 << 10,
			Summary: "Change the calling user's password (revokes their tokens)", Request: changePasswordRequest{},
			Handler: a.changePassword},
	}
}

var errBadCredentials = &apiError{Status: http.StatusUnauthorized, Code: "invalid_credentials",
	Message: "invalid username or password"}

func (a *api) login(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return a.issueToken(c, req.Username, req.Password)
}

func (a *api) passwordGrant(c echo.Context) error {
	if !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
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
	if grant := form.Get("grant_type"); grant != "password" {
		return badRequest("unsupported_grant_type", "grant_type must be password, not %q", grant)
	}
	return a.issueToken(c, form.Get("username"), form.Get("password"))
}

// issueToken checks a username and password and answers with an access
// token. Unknown users and wrong passwords get the same answer after the
// same work; repeated failures are slowed down and then locked out.
func (a *api) issueToken(c echo.Context, username, password string) error {
	var problems fieldErrors
	if strings.TrimSpace(username) == "" || len(username) > 128 {
		problems.add("username", "is required, at most 128 characters")
	}
	if password == "" || len(password) > 1024 {
		problems.add("password", "is required, at most 1024 bytes")
	}
	if err := problems.err(); err != nil {
		return err
	}
	c.Set(attemptedUserKey, username)
	ctx := c.Request().Context()
	client, _ := netip.ParseAddr(c.RealIP())
	verdict := a.lockout.Attempt(username, client)
	if !verdict.Allowed {
		c.Response().Header().Set("Retry-After", seconds(verdict.RetryAfter))
		return &apiError{Status: http.StatusTooManyRequests, Code: "login_locked",
			Message: fmt.Sprintf("too many failed logins for this username; retry in %s s", seconds(verdict.RetryAfter))}
	}
	user, err := a.store.UserByUsername(ctx, username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := a.hasher.VerifyUnknownUser(ctx, password); err != nil {
			return err
		}
		return errBadCredentials
	case err != nil:
		return err
	}
	ok, err := a.hasher.Verify(ctx, password, user.PasswordHash)
	if err != nil {
		return err
	}
	if !ok || !user.Active {
		return errBadCredentials
	}
	a.lockout.Succeeded(username, client)
	if a.hasher.NeedsRehash(user.PasswordHash) {
		a.rehash(ctx, user, password)
	}
	role, err := auth.ParseRole(user.Role)
	if err != nil {
		return err
	}
	token, claims, err := a.tokens.Issue(user.ID, role, user.TokenVersion)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tokenResponse{
		AccessToken: token,
		TokenType:   "bearer",
		ExpiresIn:   int(claims.ExpiresAt.Sub(claims.IssuedAt).Seconds()),
	})
}

// rehash upgrades a hash made with older parameters; a failure only means
// the old hash stays for another login.
func (a *api) rehash(ctx context.Context, user store.User, password string) {
	hash, err := a.hasher.Hash(ctx, password)
	if err == nil {
		err = a.store.RehashPassword(ctx, user.ID, user.PasswordHash, hash)
	}
	if err != nil {
		a.logger.Warn("password rehash failed", "user_id", user.ID, "error", err)
	}
}

func (a *api) logout(c echo.Context) error {
	p, _ := principalOf(c)
	if err := a.store.RevokeTokens(c.Request().Context(), p.UserID); err != nil {
		return err
	}
	a.versions.invalidate(p.UserID)
	return c.NoContent(http.StatusNoContent)
}

func (a *api) me(c echo.Context) error {
	p, _ := principalOf(c)
	user, err := a.store.UserByID(c.Request().Context(), p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, meResponse{User: user, APIKeyID: p.APIKeyID})
}

func (a *api) changePassword(c echo.Context) error {
	var req changePasswordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, _ := principalOf(c)
	ctx := c.Request().Context()
	user, err := a.store.UserByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	ok, err := a.hasher.Verify(ctx, req.CurrentPassword, user.PasswordHash)
	if err != nil {
		return err
	}
	var problems fieldErrors
	if !ok {
		problems.add("current_password", "is not the current password")
	}
	if err := a.policy.Check(user.Username, req.NewPassword); err != nil {
		problems.add("new_password", "%v", err)
	}
	if err := problems.err(); err != nil {
		return err
	}
	hash, err := a.hasher.Hash(ctx, req.NewPassword)
	if err != nil {
		return err
	}
	if err := a.store.SetPassword(ctx, user.ID, hash); err != nil {
		return err
	}
	a.versions.invalidate(user.ID)
	return c.NoContent(http.StatusNoContent)
}
