package accounts_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// TestConcurrentRightPasswordsAreNotLockedOut logs one user in 40 times at
// once from one client with the right password: every login succeeds. The
// lockout counts an attempt as a failure until its password is found right,
// and before the login gate 19 of 40 were refused as login_locked.
func TestConcurrentRightPasswordsAreNotLockedOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := store.Connect(ctx, store.PoolConfig{URL: storetest.NewDatabase(t)})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte("0123456789abcdef0123456789abcdef"), Issuer: "pff-test"})
	require.NoError(t, err)
	hasher, err := auth.NewPasswordHasher(auth.Argon2Params{Memory: 7 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 2)
	require.NoError(t, err)
	a, err := accounts.New(accounts.Config{Store: store.New(pool), Tokens: tokens, Hasher: hasher})
	require.NoError(t, err)
	const password = "correct horse battery staple"
	_, err = a.CreateUser(ctx, accounts.CreateUserRequest{Username: "ops", Email: "ops@example.com", Role: "operator", Password: password})
	require.NoError(t, err)

	client := netip.MustParseAddr("203.0.113.7")
	errs := make([]error, 40)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			_, errs[i] = a.Login(ctx, "ops", password, client)
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "login %d", i)
	}

	// The gate does not weaken the lockout: wrong passwords still lock.
	var refused error
	for range 20 {
		if _, refused = a.Login(ctx, "ops", "wrong password", client); !errors.Is(refused, accounts.ErrBadCredentials) {
			break
		}
	}
	require.ErrorContains(t, refused, "too many wrong passwords")
}
