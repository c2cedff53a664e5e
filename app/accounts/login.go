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
	leave, err := a.logins.enter(ctx, username)
	if err != nil {
		return Token{}, err
	}
	defer leave()
	if err := a.attempt(ctx, username, client); err != nil {
		return Token{}, err
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
	a.succeeded(ctx, username, client)
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

// attempt asks the lockout whether username may try a password from client
// now; the attempt counts as a failure until succeeded takes it back.
func (a *Accounts) attempt(ctx context.Context, username string, client netip.Addr) error {
	verdict, err := a.lockout.Attempt(ctx, username, client)
	if err != nil {
		return err
	}
	if !verdict.Allowed {
		return &problem.Error{Kind: problem.TooMany, Code: "login_locked", RetryAfter: verdict.RetryAfter,
			Message: fmt.Sprintf("too many wrong passwords for this username; retry in %d s", ceilSeconds(verdict.RetryAfter))}
	}
	return nil
}

// succeeded takes back an attempt whose password was right. Failing to
// record it only leaves the attempt counted, so it does not fail the call.
func (a *Accounts) succeeded(ctx context.Context, username string, client netip.Addr) {
	if err := a.lockout.Succeeded(ctx, username, client); err != nil {
		a.logger.Warn("record a successful login", "error", err)
	}
}

// errNotWithAPIKey refuses to a machine what only the person may do.
func errNotWithAPIKey(what string) error {
	return problem.Forbiddenf("an API key cannot %s: log in as the person (POST /api/v1/auth/login)", what)
}

// Logout revokes every access token of the calling person; an API key
// cannot log its user out.
func (a *Accounts) Logout(ctx context.Context, by Principal) error {
	if by.APIKeyID != "" {
		return errNotWithAPIKey("log a person out")
	}
	if err := a.store.RevokeTokens(ctx, by.UserID); err != nil {
		return err
	}
	a.forget(by.UserID)
	return nil
}

// ChangePasswordRequest changes the caller's own password.
type ChangePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ChangePassword sets the calling person's password when they know the
// current one, tried from client, and revokes their tokens. A wrong current
// password counts towards the lockout like a failed login, so the route is
// no oracle for guessing; an API key cannot change a password.
func (a *Accounts) ChangePassword(ctx context.Context, by Principal, client netip.Addr, req ChangePasswordRequest) error {
	if by.APIKeyID != "" {
		return errNotWithAPIKey("change a password")
	}
	user, err := a.User(ctx, by.UserID)
	if err != nil {
		return err
	}
	if err := a.attempt(ctx, user.Username, client); err != nil {
		return err
	}
	ok, err := a.hasher.Verify(ctx, req.CurrentPassword, user.PasswordHash)
	if err != nil {
		return err
	}
	var problems problem.Fields
	if ok {
		a.succeeded(ctx, user.Username, client)
	} else {
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
