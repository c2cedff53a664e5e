package auth

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/resp"
	"github.com/pff/pff/internal/testkit"
)

// stallingLimiter answers like a Redis that was paused: not at all, until
// the caller gives up, unless it is up.
type stallingLimiter struct {
	up    atomic.Bool
	calls atomic.Int64
}

func (s *stallingLimiter) Allow(ctx context.Context, _ string, limit Limit) (Decision, error) {
	s.calls.Add(1)
	if s.up.Load() {
		return decide(limit, true, 0), nil
	}
	<-ctx.Done()
	return Decision{}, ctx.Err()
}

// TestAStalledPrimaryCostsOneTimeoutThenNothing stalls the primary: the
// first request waits for the timeout, the next ones go straight to memory,
// and once a background probe finds the primary back, it is used again.
func TestAStalledPrimaryCostsOneTimeoutThenNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := testkit.NewClock()
	primary := &stallingLimiter{}
	l := &FallbackLimiter{Primary: primary, Fallback: NewMemoryLimiter(MemoryLimiterConfig{Now: clock.Now}),
		Timeout: 50 * time.Millisecond, Backoff: 5 * time.Second, Now: clock.Now}
	limit := PerMinute(1000)

	start := time.Now()
	d, err := l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	require.True(t, d.Allowed, "decided in memory")
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	start = time.Now()
	for range 1000 {
		d, err := l.Allow(ctx, "k", limit)
		require.NoError(t, err)
		require.NotZero(t, d.Limit)
	}
	require.Less(t, time.Since(start), 500*time.Millisecond, "a thousand requests do not wait for the stalled primary")
	require.EqualValues(t, 1, primary.calls.Load(), "the primary is not asked during the back-off")

	primary.up.Store(true)
	clock.Advance(5 * time.Second)
	_, err = l.Allow(ctx, "k", limit) // due: a probe starts in the background
	require.NoError(t, err)
	require.Eventually(t, func() bool { return l.downUntil.Load() == 0 }, 5*time.Second, time.Millisecond, "the probe finds it back")
	before := primary.calls.Load()
	_, err = l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	require.Equal(t, before+1, primary.calls.Load(), "the primary decides again")
}

// TestAPausedRedisCostsOneTimeout points the Redis limiter at a server that
// accepts connections and never answers, as a paused Redis does.
func TestAPausedRedisCostsOneTimeout(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() }) // held open, never answered
		}
	}()
	client, err := resp.Open("redis://"+l.Addr().String()+"/0", resp.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	limiter := &FallbackLimiter{Primary: NewRedisLimiter(client, "test:", nil), Fallback: NewMemoryLimiter(MemoryLimiterConfig{})}

	start := time.Now()
	_, err = limiter.Allow(context.Background(), "k", PerMinute(10))
	require.NoError(t, err)
	first := time.Since(start)
	require.Less(t, first, 900*time.Millisecond, "bounded by the limiter's timeout, not Redis's 1 s read timeout")
	start = time.Now()
	for range 100 {
		_, err := limiter.Allow(context.Background(), "k", PerMinute(1000))
		require.NoError(t, err)
	}
	require.Less(t, time.Since(start), 100*time.Millisecond, "later requests do not wait")
}
