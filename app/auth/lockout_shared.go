package auth

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// LockoutStore keeps a SharedLockout's state where every replica sees it.
type LockoutStore interface {
	// UpdateLogin loads the state of username and of (username, client),
	// lets update change them, and saves them, atomically with respect to
	// every other update of the username. A state nothing is known of is a
	// zero value.
	UpdateLogin(ctx context.Context, username, client string, update func(user *LockoutUser, pair *LockoutPair)) error
	// ClearLogin forgets the username's failures and locks, from every
	// client, keeping its trusted clients.
	ClearLogin(ctx context.Context, username string) error
}

// SharedLockout is Lockout's policy on state kept in a LockoutStore, so that
// replicas count attempts together and an unlock sent to one holds for all.
// It is safe for concurrent use when its store is.
type SharedLockout struct {
	policy LockoutPolicy
	store  LockoutStore
	now    func() time.Time
}

// NewSharedLockout returns a lockout on store; now is its clock, nil
// meaning time.Now.
func NewSharedLockout(policy LockoutPolicy, store LockoutStore, now func() time.Time) (*SharedLockout, error) {
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &SharedLockout{policy: policy, store: store, now: now}, nil
}

// Policy is the lockout's policy, for pruning its store.
func (l *SharedLockout) Policy() LockoutPolicy { return l.policy }

// Attempt is Lockout.Attempt on the shared state.
func (l *SharedLockout) Attempt(ctx context.Context, username string, client netip.Addr) (LoginVerdict, error) {
	now, key := l.now(), ClientKey(client)
	var verdict LoginVerdict
	err := l.store.UpdateLogin(ctx, normalizeUsername(username), key, func(user *LockoutUser, pair *LockoutPair) {
		user.forgetUntrusted(now, l.policy.TrustFor)
		verdict = l.policy.attempt(pair, user, key, now)
	})
	if err != nil {
		return LoginVerdict{}, fmt.Errorf("auth: login attempt: %w", err)
	}
	return verdict, nil
}

// Succeeded is Lockout.Succeeded on the shared state.
func (l *SharedLockout) Succeeded(ctx context.Context, username string, client netip.Addr) error {
	now, key := l.now(), ClientKey(client)
	err := l.store.UpdateLogin(ctx, normalizeUsername(username), key, func(user *LockoutUser, pair *LockoutPair) {
		l.policy.succeeded(pair, user, key, now)
	})
	if err != nil {
		return fmt.Errorf("auth: successful login: %w", err)
	}
	return nil
}

// Unlock is Lockout.Unlock on the shared state.
func (l *SharedLockout) Unlock(ctx context.Context, username string) error {
	if err := l.store.ClearLogin(ctx, normalizeUsername(username)); err != nil {
		return fmt.Errorf("auth: unlock: %w", err)
	}
	return nil
}
