// Package accounts is PFF's people and machines: users, their passwords and
// roles, login with lockout, access tokens and their revocation, and API
// keys. The HTTP API, the command line and the console call the same
// operations; none of them knows how a password is hashed or a token checked.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/store"
)

// Config are the dependencies of Accounts. Zero values mean defaults where a
// default exists.
type Config struct {
	Store *store.Store
	// Tokens issues and checks access tokens; required to log in or
	// authenticate, not to manage users from the command line.
	Tokens *auth.Tokens
	// Versions caches users' token versions; nil asks the database each time.
	Versions *TokenVersions
	// Hasher hashes passwords; nil means PFF's argon2id parameters with one
	// hash per core at a time.
	Hasher *auth.PasswordHasher
	// Policy is the password policy; the zero value means auth.DefaultPasswordPolicy.
	Policy *auth.PasswordPolicy
	// Lockout slows down and locks out repeated failed logins and wrong
	// current passwords; nil means the default policy, shared by every
	// replica through the store (NewSharedLockout).
	Lockout LoginGuard
	// Now is the clock of keys and lockouts; nil means time.Now.
	Now func() time.Time
	// Logger receives warnings such as a failed password rehash.
	Logger *slog.Logger
}

// Accounts manages users and API keys and authenticates requests.
type Accounts struct {
	store    *store.Store
	tokens   *auth.Tokens
	versions auth.TokenVersions
	cache    *TokenVersions
	hasher   *auth.PasswordHasher
	policy   auth.PasswordPolicy
	lockout  LoginGuard
	logins   loginGate
	keys     *auth.APIKeyVerifier
	keyUse   *keyUse
	now      func() time.Time
	logger   *slog.Logger
}

// New makes the accounts service.
func New(cfg Config) (*Accounts, error) {
	if cfg.Store == nil {
		return nil, errors.New("accounts: Config.Store is required")
	}
	a := &Accounts{store: cfg.Store, tokens: cfg.Tokens, cache: cfg.Versions, hasher: cfg.Hasher,
		policy: auth.DefaultPasswordPolicy(), lockout: cfg.Lockout, now: cfg.Now, logger: cfg.Logger}
	if cfg.Policy != nil {
		a.policy = *cfg.Policy
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	if a.hasher == nil {
		hasher, err := NewPasswordHasher()
		if err != nil {
			return nil, err
		}
		a.hasher = hasher
	}
	if a.lockout == nil {
		lockout, err := NewSharedLockout(cfg.Store, auth.DefaultLockoutPolicy(), a.now)
		if err != nil {
			return nil, fmt.Errorf("accounts: login lockout: %w", err)
		}
		a.lockout = lockout
	}
	a.versions = storeVersions{cfg.Store}
	if cfg.Versions != nil {
		a.versions = cfg.Versions
	}
	a.keys = auth.NewAPIKeyVerifier(apiKeyStore{store: cfg.Store}, a.now)
	a.keyUse = &keyUse{store: cfg.Store, now: a.now}
	return a, nil
}

// NewPasswordHasher hashes with PFF's argon2id parameters, at most one hash
// per core at a time.
func NewPasswordHasher() (*auth.PasswordHasher, error) {
	hasher, err := auth.NewPasswordHasher(auth.DefaultArgon2Params(), runtime.GOMAXPROCS(0))
	if err != nil {
		return nil, fmt.Errorf("accounts: password hasher: %w", err)
	}
	return hasher, nil
}

// storeVersions reads token versions from the database every time.
type storeVersions struct{ store *store.Store }

func (s storeVersions) TokenVersion(ctx context.Context, userID string) (int64, error) {
	return s.store.TokenVersion(ctx, userID)
}

// forget drops a user's cached token version in this process at once; other
// processes learn of the change from PostgreSQL's notification.
func (a *Accounts) forget(userID string) {
	if a.cache != nil {
		a.cache.Invalidate(userID)
	}
}
