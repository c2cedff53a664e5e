package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/testkit"
)

// memoryLockoutStore is a LockoutStore in a map, as PostgreSQL keeps it.
type memoryLockoutStore struct {
	mu    sync.Mutex
	users map[string]LockoutUser
	pairs map[pairKey]LockoutPair
}

func (m *memoryLockoutStore) UpdateLogin(_ context.Context, username, client string, update func(*LockoutUser, *LockoutPair)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	user, pair := m.users[username], m.pairs[pairKey{username, client}]
	update(&user, &pair)
	m.users[username], m.pairs[pairKey{username, client}] = user, pair
	return nil
}

func (m *memoryLockoutStore) ClearLogin(_ context.Context, username string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	user := m.users[username]
	user.LockoutPair = LockoutPair{}
	m.users[username] = user
	for k := range m.pairs {
		if k.username == username {
			delete(m.pairs, k)
		}
	}
	return nil
}

// TestSharedLockoutAppliesTheSamePolicy replays the slow-down and lock of
// one client, and a distributed attack, on a SharedLockout: two of them on
// one store decide as one.
func TestSharedLockoutAppliesTheSamePolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := testkit.NewClock()
	st := &memoryLockoutStore{users: map[string]LockoutUser{}, pairs: map[pairKey]LockoutPair{}}
	replicas := make([]*SharedLockout, 2)
	for i := range replicas {
		l, err := NewSharedLockout(DefaultLockoutPolicy(), st, clock.Now)
		require.NoError(t, err)
		replicas[i] = l
	}
	attempt := func(n int, username string, client int) LoginVerdict {
		v, err := replicas[n%2].Attempt(ctx, username, botnet(client))
		require.NoError(t, err)
		return v
	}
	for i := range 3 {
		require.True(t, attempt(i, "alice", 0).Allowed)
	}
	require.Equal(t, LoginVerdict{Reason: SlowedDown, RetryAfter: time.Second}, attempt(3, "alice", 0))

	require.NoError(t, replicas[0].Succeeded(ctx, "bob", botnet(1000)))
	for n := range 25 {
		require.True(t, attempt(n, "bob", n).Allowed)
	}
	require.Equal(t, UserLocked, attempt(0, "Bob", 99).Reason)
	require.True(t, attempt(1, "bob", 1000).Allowed, "a trusted client still gets in")

	require.NoError(t, replicas[1].Unlock(ctx, "BOB"))
	require.True(t, attempt(0, "bob", 99).Allowed, "unlocked for every replica")
}
