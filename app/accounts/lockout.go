package accounts

import (
	"context"
	"net/netip"
	"time"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/store"
)

// LoginGuard slows down and then locks out repeated wrong passwords, at a
// login or a password change: auth.SharedLockout, whose state every
// replica shares, or LocalGuard.
type LoginGuard interface {
	Attempt(ctx context.Context, username string, client netip.Addr) (auth.LoginVerdict, error)
	Succeeded(ctx context.Context, username string, client netip.Addr) error
	Unlock(ctx context.Context, username string) error
}

// NewSharedLockout is the lockout of every replica on one database: its
// counts and locks are in PostgreSQL (login_attempts), so an attempt counts
// everywhere and an admin's unlock holds everywhere.
func NewSharedLockout(st *store.Store, policy auth.LockoutPolicy, now func() time.Time) (*auth.SharedLockout, error) {
	return auth.NewSharedLockout(policy, loginStore{st}, now)
}

// LocalGuard keeps the lockout in this process's memory, for a single
// process.
func LocalGuard(l *auth.Lockout) LoginGuard { return localGuard{l} }

type localGuard struct{ l *auth.Lockout }

func (g localGuard) Attempt(_ context.Context, username string, client netip.Addr) (auth.LoginVerdict, error) {
	return g.l.Attempt(username, client), nil
}

func (g localGuard) Succeeded(_ context.Context, username string, client netip.Addr) error {
	g.l.Succeeded(username, client)
	return nil
}

func (g localGuard) Unlock(_ context.Context, username string) error {
	g.l.Unlock(username)
	return nil
}

// loginStore keeps a SharedLockout's state in the store.
type loginStore struct{ store *store.Store }

func (s loginStore) UpdateLogin(ctx context.Context, username, client string, update func(*auth.LockoutUser, *auth.LockoutPair)) error {
	return s.store.UpdateLoginAttempts(ctx, username, client, func(user, pair *store.LoginAttempts) error {
		u := auth.LockoutUser{LockoutPair: lockoutPair(user), Trusted: user.Trusted}
		p := lockoutPair(pair)
		update(&u, &p)
		*user = store.LoginAttempts{Failures: u.Failures, Last: u.Last, BlockedUntil: u.BlockedUntil, Trusted: u.Trusted}
		*pair = store.LoginAttempts{Failures: p.Failures, Last: p.Last, BlockedUntil: p.BlockedUntil}
		return nil
	})
}

func (s loginStore) ClearLogin(ctx context.Context, username string) error {
	return s.store.ClearLoginAttempts(ctx, username)
}

func lockoutPair(a *store.LoginAttempts) auth.LockoutPair {
	return auth.LockoutPair{Failures: a.Failures, Last: a.Last, BlockedUntil: a.BlockedUntil}
}
