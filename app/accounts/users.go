package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// CreateUserRequest creates a user.
type CreateUserRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	// Role is viewer, operator or admin.
	Role     string `json:"role"`
	Password string `json:"password"`
}

// UpdateUserRequest changes a user; nil fields stay as they are.
type UpdateUserRequest struct {
	Role   *string `json:"role"`
	Active *bool   `json:"active"`
}

// UserFilter selects users to list.
type UserFilter struct {
	// Role, when set, is viewer, operator or admin.
	Role string
	// Active, when set, keeps only active (or only disabled) users.
	Active *bool
	// After is the username the previous page ended with.
	After string
	Limit int
}

// CreateUser validates and creates a user.
func (a *Accounts) CreateUser(ctx context.Context, req CreateUserRequest) (store.User, error) {
	var problems problem.Fields
	if !validUsername(req.Username) {
		problems.Add("username", "must be 3 to 64 letters, digits, dots, dashes or underscores")
	}
	if addr, err := mail.ParseAddress(req.Email); err != nil || addr.Address != req.Email {
		problems.Add("email", "must be an email address such as ops@example.com")
	}
	if _, err := auth.ParseRole(req.Role); err != nil {
		problems.Add("role", "must be viewer, operator or admin")
	}
	if err := a.policy.Check(req.Username, req.Password); err != nil {
		problems.Add("password", "%v", err)
	}
	if err := problems.Err(); err != nil {
		return store.User{}, err
	}
	hash, err := a.hasher.Hash(ctx, req.Password)
	if err != nil {
		return store.User{}, err
	}
	user, err := a.store.CreateUser(ctx, store.NewUser{Username: req.Username, Email: req.Email, PasswordHash: hash, Role: req.Role})
	var conflict *store.ConflictError
	if errors.As(err, &conflict) {
		return store.User{}, problem.Conflictf("conflict", "a user with this username or email already exists")
	}
	return user, err
}

// ListUsers lists users by username.
func (a *Accounts) ListUsers(ctx context.Context, f UserFilter) ([]store.User, error) {
	if f.Role != "" {
		if _, err := auth.ParseRole(f.Role); err != nil {
			return nil, problem.FieldError("role", "must be viewer, operator or admin")
		}
	}
	return a.store.ListUsers(ctx, store.UserFilter{Role: f.Role, Active: f.Active, After: f.After, Limit: f.Limit})
}

// User returns a user by id.
func (a *Accounts) User(ctx context.Context, id string) (store.User, error) {
	user, err := a.store.UserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return user, problem.NotFoundf("no user %q", id)
	}
	return user, err
}

// UserByName returns a user by username.
func (a *Accounts) UserByName(ctx context.Context, username string) (store.User, error) {
	user, err := a.store.UserByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return user, problem.NotFoundf("no user %q", username)
	}
	return user, err
}

// UpdateUser changes a user's role or disables them, on behalf of by; a
// changed role or a disabled user revokes their tokens. Admins cannot demote
// or disable themselves, so an install always keeps an admin who can act.
func (a *Accounts) UpdateUser(ctx context.Context, by Principal, id string, req UpdateUserRequest) (store.User, error) {
	user, err := a.User(ctx, id)
	if err != nil {
		return user, err
	}
	role, active := user.Role, user.Active
	var problems problem.Fields
	if req.Role != nil {
		if _, err := auth.ParseRole(*req.Role); err != nil {
			problems.Add("role", "must be viewer, operator or admin")
		}
		role = *req.Role
	}
	if req.Active != nil {
		active = *req.Active
	}
	if by.UserID == user.ID && (role != user.Role || !active) {
		problems.Add("role", "admins cannot demote or disable themselves")
	}
	if err := problems.Err(); err != nil {
		return user, err
	}
	user, err = a.store.UpdateUser(ctx, user.ID, role, active)
	if err != nil {
		return user, err
	}
	a.forget(user.ID)
	return user, nil
}

// SetActive enables or disables a user by username, as an operator at the
// console of the server does (`pff user disable`).
func (a *Accounts) SetActive(ctx context.Context, username string, active bool) (store.User, error) {
	user, err := a.UserByName(ctx, username)
	if err != nil {
		return user, err
	}
	return a.UpdateUser(ctx, Principal{}, user.ID, UpdateUserRequest{Active: &active})
}

// ResetPassword sets a user's password without knowing the old one, and
// revokes their tokens.
func (a *Accounts) ResetPassword(ctx context.Context, username, password string) (store.User, error) {
	user, err := a.UserByName(ctx, username)
	if err != nil {
		return user, err
	}
	if err := a.policy.Check(user.Username, password); err != nil {
		return user, problem.FieldError("password", "%v", err)
	}
	if err := a.setPassword(ctx, user.ID, password); err != nil {
		return user, err
	}
	return user, nil
}

func (a *Accounts) setPassword(ctx context.Context, userID, password string) error {
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	if err := a.store.SetPassword(ctx, userID, hash); err != nil {
		return fmt.Errorf("accounts: set password: %w", err)
	}
	a.forget(userID)
	return nil
}

// Unlock lifts a login lockout of a user.
func (a *Accounts) Unlock(ctx context.Context, id string) error {
	user, err := a.User(ctx, id)
	if err != nil {
		return err
	}
	return a.lockout.Unlock(ctx, user.Username)
}

// CreateFirstAdmin creates an admin when there is no user at all, and
// reports whether it did: a fresh install's way in without a shell.
func (a *Accounts) CreateFirstAdmin(ctx context.Context, username, email, password string) (bool, error) {
	// Hashing costs tens of milliseconds: skip it on every start but the first.
	if exists, err := a.store.HasUsers(ctx); err != nil || exists {
		return false, err
	}
	if err := a.policy.Check(username, password); err != nil {
		return false, problem.FieldError("bootstrap_password", "%v", err)
	}
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return false, err
	}
	return a.store.CreateFirstUser(ctx, store.NewUser{Username: username, Email: email, PasswordHash: hash, Role: "admin"})
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
