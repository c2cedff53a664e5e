package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// testRedis connects to REDIS_URL, or to the local Redis at
// 127.0.0.1:6379. If there is none it skips the test, except under CI,
// where the Redis-backed code must be tested.
func testRedis(t testing.TB) *redis.Client {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("redis at %s is unreachable and CI is set, so the Redis tests must run: %v", opts.Addr, err)
		}
		t.Skipf("redis at %s is unreachable (%v); start it to run this test (under CI it is required)", opts.Addr, err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// testRedisPrefix returns a key prefix unique to this test and deletes
// every key under it when the test ends.
func testRedisPrefix(t testing.TB, client *redis.Client) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "pff-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		keys, err := client.Keys(ctx, prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			err = client.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("clean up redis keys %s*: %v", prefix, err)
		}
	})
	return prefix
}

// limiterImplementations runs each test against both limiters.
func limiterImplementations() map[string]func(t *testing.T, clock *testClock) Limiter {
	return map[string]func(t *testing.T, clock *testClock) Limiter{
		"memory": func(_ *testing.T, clock *testClock) Limiter {
			return NewMemoryLimiter(MemoryLimiterConfig{Now: clock.Now})
		},
		"redis": func(t *testing.T, clock *testClock) Limiter {
			client := testRedis(t)
			return NewRedisLimiter(client, testRedisPrefix(t, client), clock.Now)
		},
	}
}

func TestLimiterBurstThenRefill(t *testing.T) {
	t.Parallel()
	for name, newLimiter := range limiterImplementations() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			clock := newTestClock()
			limiter := newLimiter(t, clock)
			limit := Limit{Rate: 10, Period: time.Minute, Burst: 3} // one per 6 s

			for i, wantRemaining := range []int{2, 1, 0} {
				d, err := limiter.Allow(ctx, "k", limit)
				require.NoError(t, err)
				require.Equal(t, Decision{
					Allowed: true, Limit: 3, Remaining: wantRemaining,
					ResetAfter: time.Duration(i+1) * 6 * time.Second,
				}, d, "request %d", i+1)
			}
			d, err := limiter.Allow(ctx, "k", limit)
			require.NoError(t, err)
			require.Equal(t, Decision{Allowed: false, Limit: 3, ResetAfter: 18 * time.Second, RetryAfter: 6 * time.Second}, d)

			clock.Advance(4 * time.Second)
			d, err = limiter.Allow(ctx, "k", limit)
			require.NoError(t, err)
			require.False(t, d.Allowed)
			require.Equal(t, 2*time.Second, d.RetryAfter)

			clock.Advance(d.RetryAfter)
			d, err = limiter.Allow(ctx, "k", limit)
			require.NoError(t, err)
			require.True(t, d.Allowed)
			require.Equal(t, 0, d.Remaining)

			other, err := limiter.Allow(ctx, "other", limit)
			require.NoError(t, err)
			require.True(t, other.Allowed, "keys have separate budgets")
			require.Equal(t, 2, other.Remaining)

			clock.Advance(time.Hour)
			d, err = limiter.Allow(ctx, "k", limit)
			require.NoError(t, err)
			require.Equal(t, 2, d.Remaining, "a full burst back, not more")
		})
	}
}

func TestLimiterSteadyRate(t *testing.T) {
	t.Parallel()
	for name, newLimiter := range limiterImplementations() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := newTestClock()
			limiter := newLimiter(t, clock)
			limit := PerSecond(5) // burst 5, one per 200 ms

			allowed := 0
			for range 100 { // 10 s at one attempt per 100 ms
				d, err := limiter.Allow(t.Context(), "k", limit)
				require.NoError(t, err)
				if d.Allowed {
					allowed++
				}
				clock.Advance(100 * time.Millisecond)
			}
			// The burst, then one per 200 ms until the last attempt at 9.9 s.
			require.Equal(t, 5+int(9900*time.Millisecond/(200*time.Millisecond)), allowed)
		})
	}
}

func TestLimiterConcurrentExactBudget(t *testing.T) {
	t.Parallel()
	for name, newLimiter := range limiterImplementations() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			limiter := newLimiter(t, newTestClock()) // the clock stands still
			limit := Limit{Rate: 1, Period: time.Hour, Burst: 25}
			var allowed atomic.Int64
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for range 20 {
						d, err := limiter.Allow(t.Context(), "shared", limit)
						if err != nil {
							t.Error(err)
							return
						}
						if d.Allowed {
							allowed.Add(1)
						}
					}
				})
			}
			wg.Wait()
			require.Equal(t, int64(25), allowed.Load())
		})
	}
}

func TestLimiterRejectsInvalidLimit(t *testing.T) {
	t.Parallel()
	limits := map[string]Limit{
		"zero":             {},
		"zero period":      {Rate: 1},
		"negative burst":   {Rate: 1, Period: time.Second, Burst: -1},
		"faster than 1 µs": {Rate: 2000, Period: time.Millisecond},
		"window over year": {Rate: 1, Period: 24 * time.Hour, Burst: 400},
		"negative rate":    {Rate: -1, Period: time.Second},
		"absurd rate":      {Rate: math.MaxInt, Period: time.Hour},
		"absurd burst":     {Rate: 1, Period: time.Second, Burst: math.MaxInt},
		"negative period":  {Rate: 1, Period: -time.Second},
	}
	for name, newLimiter := range limiterImplementations() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			limiter := newLimiter(t, newTestClock())
			for what, limit := range limits {
				_, err := limiter.Allow(t.Context(), "k", limit)
				require.ErrorIs(t, err, ErrInvalidLimit, what)
			}
		})
	}
}

func TestRedisLimiterKeysExpireWhenIdle(t *testing.T) {
	t.Parallel()
	client := testRedis(t)
	prefix := testRedisPrefix(t, client)
	limiter := NewRedisLimiter(client, prefix, newTestClock().Now)
	_, err := limiter.Allow(t.Context(), "k", Limit{Rate: 1, Period: time.Minute, Burst: 5})
	require.NoError(t, err)
	ttl, err := client.PTTL(t.Context(), prefix+"k").Result()
	require.NoError(t, err)
	require.InDelta(t, time.Minute, ttl, float64(time.Second), "expires when the one request is earned back")
}

// scriptReply is a redis.Scripter whose scripts all return one reply.
type scriptReply struct {
	redis.Scripter
	val any
	err error
}

func (s scriptReply) EvalSha(ctx context.Context, _ string, _ []string, _ ...any) *redis.Cmd {
	cmd := redis.NewCmd(ctx)
	cmd.SetVal(s.val)
	cmd.SetErr(s.err)
	return cmd
}

func TestRedisLimiterReportsBadReplies(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		reply scriptReply
		want  string
	}{
		"redis down":     {reply: scriptReply{err: errors.New("connection refused")}, want: "connection refused"},
		"not a list":     {reply: scriptReply{val: "OK"}, want: `rate limit "k" in redis`},
		"too few values": {reply: scriptReply{val: []any{int64(1)}}, want: "script returned 1 values, want 2"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := NewRedisLimiter(tt.reply, "x:", nil).Allow(t.Context(), "k", PerSecond(1))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestMemoryLimiterForgetsIdleKeys(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	limiter := NewMemoryLimiter(MemoryLimiterConfig{Now: clock.Now})
	limit := PerSecond(1)
	spray := func(prefix string, n int) {
		for i := range n {
			_, err := limiter.Allow(t.Context(), fmt.Sprint(prefix, i), limit)
			require.NoError(t, err)
		}
	}
	spray("old-", 1000)
	require.Equal(t, 1000, limiter.Len())

	clock.Advance(time.Second) // every old key has its burst back
	spray("new-", 4000)
	require.Equal(t, 4000, limiter.Len(), "idle keys swept as new ones arrive")
}

func TestMemoryLimiterBoundsKeys(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	limiter := NewMemoryLimiter(MemoryLimiterConfig{MaxKeys: 640, Now: clock.Now})
	limit := Limit{Rate: 1, Period: time.Hour} // nobody goes idle
	for i := range 10_000 {
		_, err := limiter.Allow(t.Context(), fmt.Sprint("spray-", i), limit)
		require.NoError(t, err)
	}
	require.LessOrEqual(t, limiter.Len(), 640)
	require.Greater(t, limiter.Len(), 600)
}
