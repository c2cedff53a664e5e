package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/resp"
	"github.com/pff/pff/internal/neterr"
	"github.com/pff/pff/internal/testkit"
)

// testRedis connects to REDIS_URL, or to the local Redis at
// 127.0.0.1:6379. If there is none it skips the test, except under CI,
// where the Redis-backed code must be tested.
func testRedis(t testing.TB) *resp.Client {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	client, err := resp.Open(url, resp.Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx); err != nil {
		_ = client.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("redis is unreachable and CI is set, so the Redis tests must run: %v", err)
		}
		t.Skipf("redis is unreachable (%v); start it to run this test (under CI it is required)", err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// testRedisPrefix returns a key prefix unique to this test and deletes
// every key under it when the test ends.
func testRedisPrefix(t testing.TB, client *resp.Client) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "pff-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		reply, err := client.Do(ctx, "KEYS", prefix+"*")
		var keys []resp.Value
		if err == nil {
			keys, err = reply.Array()
		}
		for _, k := range keys {
			var key string
			if key, err = k.Text(); err == nil {
				_, err = client.Do(ctx, "DEL", key)
			}
			if err != nil {
				break
			}
		}
		if err != nil {
			t.Errorf("clean up redis keys %s*: %v", prefix, err)
		}
	})
	return prefix
}

// limiterImplementations runs each test against both limiters.
func limiterImplementations() map[string]func(t *testing.T, clock *testkit.Clock) Limiter {
	return map[string]func(t *testing.T, clock *testkit.Clock) Limiter{
		"memory": func(_ *testing.T, clock *testkit.Clock) Limiter {
			return NewMemoryLimiter(MemoryLimiterConfig{Now: clock.Now})
		},
		"redis": func(t *testing.T, clock *testkit.Clock) Limiter {
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
			clock := testkit.NewClock()
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
			clock := testkit.NewClock()
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
			limiter := newLimiter(t, testkit.NewClock()) // the clock stands still
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
			limiter := newLimiter(t, testkit.NewClock())
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
	limiter := NewRedisLimiter(client, prefix, testkit.NewClock().Now)
	_, err := limiter.Allow(t.Context(), "k", Limit{Rate: 1, Period: time.Minute, Burst: 5})
	require.NoError(t, err)
	reply, err := client.Do(t.Context(), "PTTL", prefix+"k")
	require.NoError(t, err)
	ttl, err := reply.Int64()
	require.NoError(t, err)
	require.InDelta(t, time.Minute.Milliseconds(), ttl, 1000, "expires when the one request is earned back")
}

// cannedRedis is a server answering every command with reply.
func cannedRedis(t *testing.T, reply string) *resp.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		buf := make([]byte, 4096)
		for {
			// Each command arrives in one write, so one read is one command.
			if _, err := nc.Read(buf); err != nil {
				return
			}
			if _, err := nc.Write([]byte(reply)); err != nil {
				return
			}
		}
	})
	client, err := resp.Open("redis://"+ln.Addr().String(), resp.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func TestRedisLimiterReportsBadReplies(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		reply, want string
	}{
		"script error":   {reply: "-ERR user_script:1: boom\r\n", want: "ERR user_script:1: boom"},
		"not a list":     {reply: "+OK\r\n", want: `rate limit "k" in redis: resp: reply is simple string, not an array`},
		"not integers":   {reply: "*2\r\n:1\r\n$1\r\n2\r\n", want: "element 1: resp: reply is bulk string, not an integer"},
		"too few values": {reply: "*1\r\n:1\r\n", want: "script returned 1 values, want 2"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := NewRedisLimiter(cannedRedis(t, tt.reply), "x:", nil).Allow(t.Context(), "k", PerSecond(1))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestRedisLimiterDown(t *testing.T) {
	t.Parallel()
	client, err := resp.Open("redis://127.0.0.1:1", resp.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	_, err = NewRedisLimiter(client, "x:", nil).Allow(t.Context(), "k", PerSecond(1))
	require.True(t, neterr.Refused(err), "refused: %v", err)
}

func TestMemoryLimiterForgetsIdleKeys(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
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
	clock := testkit.NewClock()
	limiter := NewMemoryLimiter(MemoryLimiterConfig{MaxKeys: 640, Now: clock.Now})
	limit := Limit{Rate: 1, Period: time.Hour} // nobody goes idle
	for i := range 10_000 {
		_, err := limiter.Allow(t.Context(), fmt.Sprint("spray-", i), limit)
		require.NoError(t, err)
	}
	require.LessOrEqual(t, limiter.Len(), 640)
	require.Greater(t, limiter.Len(), 600)
}
