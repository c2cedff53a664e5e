package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
)

func TestLoginAttemptsAreUpdatedOneAtATimeAndPruned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

	// Concurrent updates of one username see each other's counts.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			require.NoError(t, s.UpdateLoginAttempts(ctx, "alice", "203.0.113.7", func(user, pair *store.LoginAttempts) error {
				user.Failures++
				pair.Failures++
				user.Last, pair.Last = now, now
				return nil
			}))
		})
	}
	wg.Wait()
	var user, pair store.LoginAttempts
	read := func() {
		require.NoError(t, s.UpdateLoginAttempts(ctx, "alice", "203.0.113.7", func(u, p *store.LoginAttempts) error {
			user, pair = *u, *p
			return nil
		}))
	}
	read()
	require.Equal(t, 20, user.Failures)
	require.Equal(t, 20, pair.Failures)
	require.True(t, pair.Last.Equal(now))

	require.NoError(t, s.UpdateLoginAttempts(ctx, "alice", "198.51.100.1", func(u, p *store.LoginAttempts) error {
		u.Trusted = map[string]time.Time{"198.51.100.1": now}
		*p = store.LoginAttempts{} // nothing known: the row goes
		return nil
	}))
	require.NoError(t, s.ClearLoginAttempts(ctx, "alice"))
	read()
	require.Zero(t, user.Failures)
	require.Zero(t, pair.Failures, "every client's count is cleared")
	require.Contains(t, user.Trusted, "198.51.100.1", "trusted clients are kept")

	require.NoError(t, s.UpdateLoginAttempts(ctx, "bob", "192.0.2.1", func(u, p *store.LoginAttempts) error {
		u.Failures, u.Last, p.Failures, p.Last = 1, now, 1, now
		return nil
	}))
	deleted, err := s.PruneLoginAttempts(ctx, now.Add(2*time.Hour), now.Add(time.Hour), now.Add(-30*24*time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 2, deleted, "bob's idle counts go; alice's trusted client stays")
	read()
	require.Contains(t, user.Trusted, "198.51.100.1")
}
