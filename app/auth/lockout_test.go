package auth

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/testkit"
)

var (
	alicesLaptop = netip.MustParseAddr("198.51.100.10")
	attacker     = netip.MustParseAddr("203.0.113.66")
)

func newTestLockout(t *testing.T, clock *testkit.Clock, mutate ...func(*LockoutPolicy)) *Lockout {
	t.Helper()
	p := DefaultLockoutPolicy()
	for _, m := range mutate {
		m(&p)
	}
	l, err := NewLockout(p, clock.Now)
	require.NoError(t, err)
	return l
}

// botnet returns the n-th of many distinct attacking addresses.
func botnet(n int) netip.Addr { return netip.AddrFrom4([4]byte{192, 0, byte(n >> 8), byte(n)}) }

func TestLockoutSlowsDownThenLocksOneClient(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	l := newTestLockout(t, clock)

	for range 3 {
		require.True(t, l.Attempt("alice", attacker).Allowed)
	}
	// After the free attempts, waits double: 1 s, 2 s, 4 s, … capped at 30 s.
	for i, wait := range []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second} {
		v := l.Attempt("alice", attacker)
		require.Equal(t, LoginVerdict{Reason: SlowedDown, RetryAfter: wait}, v, "wait %d", i)
		clock.Advance(v.RetryAfter - time.Millisecond)
		require.False(t, l.Attempt("alice", attacker).Allowed, "not a moment early")
		clock.Advance(time.Millisecond)
		require.True(t, l.Attempt("alice", attacker).Allowed)
	}
	// That was the 10th: the client is locked out of this username.
	require.Equal(t, LoginVerdict{Reason: ClientLocked, RetryAfter: 15 * time.Minute}, l.Attempt("alice", attacker))

	require.True(t, l.Attempt("alice", alicesLaptop).Allowed, "other clients are not affected")
	require.True(t, l.Attempt("bob", attacker).Allowed, "nor other usernames")

	clock.Advance(15 * time.Minute)
	require.True(t, l.Attempt("alice", attacker).Allowed)
	require.Equal(t, ClientLocked, l.Attempt("alice", attacker).Reason,
		"within the window, a waited-out lock gives one attempt, not a fresh allowance")

	clock.Advance(15*time.Minute + time.Hour)
	for range 3 {
		require.True(t, l.Attempt("alice", attacker).Allowed, "counts forgotten after an idle window")
	}
}

func TestLockoutSuccessClearsClientCount(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	l := newTestLockout(t, clock)
	for range 3 {
		require.True(t, l.Attempt("alice", alicesLaptop).Allowed)
	}
	l.Succeeded("alice", alicesLaptop)
	for range 3 {
		require.True(t, l.Attempt("alice", alicesLaptop).Allowed)
	}
}

func TestLockoutDistributedAttackSparesTrustedClients(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	l := newTestLockout(t, clock)

	require.True(t, l.Attempt("Alice", alicesLaptop).Allowed)
	l.Succeeded("alice", alicesLaptop) // usernames are case-insensitive

	clock.Advance(time.Hour)
	for n := range 25 {
		require.True(t, l.Attempt("alice", botnet(n)).Allowed, "bot %d", n)
	}
	require.Equal(t, LoginVerdict{Reason: UserLocked, RetryAfter: 15 * time.Minute}, l.Attempt("alice", botnet(25)))
	require.Equal(t, UserLocked, l.Attempt("alice", botnet(0)).Reason)
	require.Equal(t, UserLocked, l.Attempt("ALICE ", netip.MustParseAddr("2001:db8::1")).Reason)

	for range 3 {
		require.True(t, l.Attempt("alice", alicesLaptop).Allowed, "the real user's usual client still gets in")
	}
	require.Equal(t, SlowedDown, l.Attempt("alice", alicesLaptop).Reason, "but is itself limited like any client")
	require.True(t, l.Attempt("bob", botnet(1)).Allowed, "other usernames are not affected")

	clock.Advance(15 * time.Minute)
	require.True(t, l.Attempt("alice", botnet(99)).Allowed)
	require.Equal(t, UserLocked, l.Attempt("alice", botnet(100)).Reason)
}

func TestLockoutTrustExpires(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	l := newTestLockout(t, clock, func(p *LockoutPolicy) { p.UserLockAfter = 3 })
	require.True(t, l.Attempt("alice", alicesLaptop).Allowed)
	l.Succeeded("alice", alicesLaptop)

	clock.Advance(30 * 24 * time.Hour)
	for n := range 3 {
		require.True(t, l.Attempt("alice", botnet(n)).Allowed)
	}
	require.Equal(t, UserLocked, l.Attempt("alice", alicesLaptop).Reason)
}

func TestLockoutKeepsFewTrustedClients(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	l := newTestLockout(t, clock, func(p *LockoutPolicy) { p.UserLockAfter = 1 })
	for n := range 6 { // one more than MaxTrustedClients
		l.Succeeded("alice", botnet(n))
		clock.Advance(time.Minute)
	}
	require.True(t, l.Attempt("alice", attacker).Allowed) // locks alice
	require.Equal(t, UserLocked, l.Attempt("alice", botnet(0)).Reason, "the oldest was dropped")
	for n := 1; n < 6; n++ {
		require.True(t, l.Attempt("alice", botnet(n)).Allowed)
	}
}

func TestLockoutCutsLongUsernames(t *testing.T) {
	t.Parallel()
	l := newTestLockout(t, testkit.NewClock())
	long := strings.Repeat("x", 300)
	for i := range 3 {
		require.True(t, l.Attempt(long+fmt.Sprint(i), attacker).Allowed)
	}
	require.Equal(t, SlowedDown, l.Attempt(long, attacker).Reason, "counted together by their first 256 bytes")
	for key := range l.pairs {
		require.Len(t, key.username, 256)
	}
}

func TestLockoutCountsIPv6ByPrefix(t *testing.T) {
	t.Parallel()
	l := newTestLockout(t, testkit.NewClock())
	for i := range 3 {
		addr := netip.MustParseAddr(fmt.Sprintf("2001:db8:1:2::%x", i+1))
		require.True(t, l.Attempt("alice", addr).Allowed)
	}
	require.Equal(t, SlowedDown, l.Attempt("alice", netip.MustParseAddr("2001:db8:1:2:ffff::1")).Reason)
	require.True(t, l.Attempt("alice", netip.MustParseAddr("2001:db8:1:3::1")).Allowed)
}

func TestLockoutConcurrentAttemptsCannotSkipDelays(t *testing.T) {
	t.Parallel()
	l := newTestLockout(t, testkit.NewClock()) // the clock stands still
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if l.Attempt("alice", attacker).Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(3), allowed.Load())
}

func TestLockoutUnlock(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	l := newTestLockout(t, clock)
	for n := range 25 {
		l.Attempt("alice", botnet(n))
	}
	for range 3 {
		l.Attempt("alice", attacker)
	}
	require.False(t, l.Attempt("alice", attacker).Allowed)
	l.Unlock("Alice")
	require.True(t, l.Attempt("alice", attacker).Allowed)
	require.True(t, l.Attempt("alice", botnet(200)).Allowed)
}

func TestLockoutMemoryIsBounded(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	l := newTestLockout(t, clock, func(p *LockoutPolicy) { p.MaxTracked = 100 })
	for n := range 10_000 {
		l.Attempt(fmt.Sprint("user-", n), botnet(n))
	}
	require.LessOrEqual(t, len(l.pairs), 100)
	require.LessOrEqual(t, len(l.users), 100)

	clock.Advance(time.Hour)
	for n := range 100 {
		l.Attempt("bob", botnet(n))
		clock.Advance(time.Hour) // each attempt is alone in its window
	}
	require.Len(t, l.users, 1, "stale usernames swept")
	require.Len(t, l.pairs, 1)
}

func TestLockoutPolicyValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, DefaultLockoutPolicy().Validate())
	tests := map[string]func(*LockoutPolicy){
		"no free failures":       func(p *LockoutPolicy) { p.FreeFailures = 0 },
		"no base delay":          func(p *LockoutPolicy) { p.BaseDelay = 0 },
		"max delay below base":   func(p *LockoutPolicy) { p.MaxDelay = p.BaseDelay / 2 },
		"lock before delays":     func(p *LockoutPolicy) { p.ClientLockAfter = p.FreeFailures },
		"no user lock threshold": func(p *LockoutPolicy) { p.UserLockAfter = 0 },
		"no lock duration":       func(p *LockoutPolicy) { p.LockDuration = 0 },
		"no window":              func(p *LockoutPolicy) { p.Window = 0 },
		"no trust":               func(p *LockoutPolicy) { p.TrustFor = 0 },
		"no trusted clients":     func(p *LockoutPolicy) { p.MaxTrustedClients = 0 },
		"nothing tracked":        func(p *LockoutPolicy) { p.MaxTracked = 0 },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := DefaultLockoutPolicy()
			mutate(&p)
			_, err := NewLockout(p, nil)
			require.Error(t, err)
		})
	}
}

func TestLockReasonString(t *testing.T) {
	t.Parallel()
	for r, want := range map[LockReason]string{
		NotLocked: "not locked", SlowedDown: "slowed down", ClientLocked: "client locked", UserLocked: "username locked", 9: "LockReason(9)",
	} {
		require.Equal(t, want, r.String())
	}
}
