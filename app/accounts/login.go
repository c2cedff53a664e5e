package accounts

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// Token is an access token issued at login.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// ErrBadCredentials is the one answer to a wrong username or password, so a
// caller cannot tell which was wrong.
var ErrBadCredentials = &problem.Error{Kind: problem.Unauthenticated, Code: "invalid_credentials",
	Message: "invalid username or password"}

// Login checks a username and password tried from client and issues an
// access token. Unknown users and wrong passwords get the same answer after
// the same work; repeated failures are slowed down and then locked out.
func (a *Accounts) Login(ctx context.Context, username, password string, client netip.Addr) (Token, error) {
	var problems problem.Fields
	if strings.TrimSpace(username) == "" || len(username) > 128 {
		problems.Add("username", "is required, at most 128 characters")
	}
	if password == "" || len(password) > 1024 {
		problems.Add("password", "is required, at most 1024 bytes")
	}
	if err := problems.Err(); err != nil {
		return Token{}, err
	}
	if a.tokens == nil {
		return Token{}, errors.New("accounts: logging in needs Config.Tokens")
	}
	verdict := a.lockout.Attempt(username, client)
	if !verdict.Allowed {
		return Token{}, &problem.Error{Kind: problem.TooMany, Code: "login_locked", RetryAfter: verdict.RetryAfter,
			Message: fmt.Sprintf("too many failed logins for this username; retry in %d s", ceilSeconds(verdict.RetryAfter))}
	}
	user, err := a.store.UserByUsername(ctx, username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := a.hasher.VerifyUnknownUser(ctx, password); err != nil {
			return Token{}, err
		}
		return Token{}, ErrBadCredentials
	case err != nil:
		return Token{}, err
	}
	ok, err := a.hasher.Verify(ctx, password, user.PasswordHash)
	if err != nil {
		return Token{}, err
	}
	if !ok || !user.Active {
		return Token{}, ErrBadCredentials
	}
	a.lockout.Succeeded(username, client)
	if a.hasher.NeedsRehash(user.PasswordHash) {
		a.rehash(ctx, user, password)
	}
	role, err := auth.ParseRole(user.Role)
	if err != nil {
		return Token{}, err
	}
	token, claims, err := a.tokens.Issue(user.ID, role, user.TokenVersion)
	if err != nil {
		return Token{}, err
	}
	return Token{AccessToken: token, TokenType: "bearer", ExpiresIn: int(claims.ExpiresAt.Sub(claims.IssuedAt).Seconds())}, nil
}

// rehash upgrades a hash made with older parameters; a failure only means
// the old hash stays for another login.
func (a *Accounts) rehash(ctx context.Context, user store.User, password string) {
	hash, err := a.hasher.Hash(ctx, password)
	if err == nil {
		err = a.store.RehashPassword(ctx, user.ID, user.PasswordHash, hash)
	}
	if err != nil {
		a.logger.Warn("password rehash failed", "user_id", user.ID, "error", err)
	}
}

// Logout revokes every access token of the user.
func (a *Accounts) Logout(ctx context.Context, userID string) error {
	if err := a.store.RevokeTokens(ctx, userID); err != nil {
		return err
	}
	a.forget(userID)
	return nil
}

// ChangePasswordRequest changes the caller's own password.
type ChangePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ChangePassword sets a user's password when they know the current one, and
// revokes their tokens.
func (a *Accounts) ChangePassword(ctx context.Context, userID string, req ChangePasswordRequest) error {
	user, err := a.User(ctx, userID)
	if err != nil {
		return err
	}
	ok, err := a.hasher.Verify(ctx, req.CurrentPassword, user.PasswordHash)
	if err != nil {
		return err
	}
	var problems problem.Fields
	if !ok {
		problems.Add("current_password", "is not the current password")
	}
	if err := a.policy.Check(user.Username, req.NewPassword); err != nil {
		problems.Add("new_password", "%v", err)
	}
	if err := problems.Err(); err != nil {
		return err
	}
	return a.setPassword(ctx, user.ID, req.NewPassword)
}

// ceilSeconds rounds up, as Retry-After wants.
func ceilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
