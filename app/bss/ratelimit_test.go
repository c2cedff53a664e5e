package bss_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/resp"
)

const testRate = 50 // calls per second

// paced configures a system at testRate calls per second, evenly paced.
func paced(c *bss.SystemConfig) {
	c.Rate, c.Burst, c.MaxInFlight, c.Timeout = testRate, 1, 16, 5*time.Second
}

// fire makes n reads at once through client and requires each to succeed.
func fire(t *testing.T, client *bss.Client, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	outcomes := make([]bss.Outcome, n)
	for i := range n {
		wg.Go(func() {
			res, err := client.Call(ctx, "line.read_contract",
				map[string]any{"customer_id": singleCustomer, "contract_id": singleContract}, "")
			if err == nil {
				outcomes[i] = res.Outcome
			}
		})
	}
	wg.Wait()
	for i, o := range outcomes {
		require.Equal(t, bss.Success, o, "call %d", i)
	}
}

// arrivalJitter is how many calls over the budget a one-second window of
// arrivals may hold: calls are counted where they arrive, and on a busy
// machine the network and the scheduler can hold a few admitted at the end
// of one second until those of the next (53 of 50 seen while make test and
// a benchmark shared the machine). The aim itself, 5% over 10-second
// windows across two processes, is held by executions'
// TestTwoProcessesSharingRedisHoldBSSToItsRate without it.
const arrivalJitter = testRate / 10

// maxPerSecond is the most arrivals in any one-second window [t, t+1s).
func maxPerSecond(times []time.Time) int {
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	most, j := 0, 0
	for i := range times {
		for j < len(times) && times[j].Sub(times[i]) < time.Second {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

func arrivals(f *fixture) []time.Time {
	var out []time.Time
	for _, r := range f.sim.Requests() {
		out = append(out, r.Time)
	}
	return out
}

func TestRateLimitHoldsEveryOneSecondWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{system: paced})
	start := time.Now()
	fire(t, f.client, 2*testRate+25)
	times := arrivals(f)
	require.Len(t, times, 2*testRate+25)
	most := maxPerSecond(times)
	t.Logf("%d calls in %v, at most %d in one second", len(times), time.Since(start).Round(time.Millisecond), most)
	require.LessOrEqual(t, most, testRate+arrivalJitter, "no one-second window holds more than the budget")
	require.GreaterOrEqual(t, most, testRate*8/10, "and the budget is used")
}

// testRedisLimiter connects to REDIS_URL or 127.0.0.1:6379 and returns a
// limiter under a prefix of its own, or skips when Redis is unreachable.
func testRedisLimiter(t *testing.T, prefix string) *auth.RedisLimiter {
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
			t.Fatalf("redis at %s is unreachable and CI is set: %v", url, err)
		}
		t.Skipf("redis at %s is unreachable (%v): start it to test a rate budget shared between processes", url, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = client.Do(ctx, "DEL", prefix+"bss:cpm")
		_ = client.Close()
	})
	return auth.NewRedisLimiter(client, prefix, nil)
}

func TestRateLimitSharedThroughRedis(t *testing.T) {
	t.Parallel()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "pff-test:" + hex.EncodeToString(b) + ":"
	// Two limiters on two connections: two PFF processes sharing Redis.
	first := testRedisLimiter(t, prefix)
	second := testRedisLimiter(t, prefix)

	f := newFixture(t, fixtureOptions{system: paced, config: func(c *bss.Config) { c.Limiter = first }})
	other, err := bss.NewClient(f.cat, bss.Config{
		Systems: map[string]bss.SystemConfig{
			"bias": {Clusters: f.servers.URLs}, "bae": {Clusters: f.servers.URLs},
			"cpm": {Clusters: f.servers.URLs, Rate: testRate, Burst: 1, MaxInFlight: 16, Timeout: 5 * time.Second},
		},
		Limiter: second,
	})
	require.NoError(t, err)
	t.Cleanup(other.Close)

	var wg sync.WaitGroup
	wg.Go(func() { fire(t, f.client, testRate+10) })
	wg.Go(func() { fire(t, other, testRate+10) })
	wg.Wait()
	times := arrivals(f)
	require.Len(t, times, 2*testRate+20)
	most := maxPerSecond(times)
	t.Logf("two clients, %d calls, at most %d in one second", len(times), most)
	require.LessOrEqual(t, most, testRate+arrivalJitter, "the two clients share one budget")
}

func TestRateLimitGivesUpBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{system: func(c *bss.SystemConfig) { c.Rate, c.Burst = 1, 1 }})
	require.Equal(t, bss.Success, f.call(t, "line.read_contract",
		map[string]any{"customer_id": singleCustomer, "contract_id": singleContract}).Outcome)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := f.client.Call(ctx, "line.read_contract", map[string]any{"customer_id": singleCustomer, "contract_id": singleContract}, "")
	require.NoError(t, err)
	require.Equal(t, bss.Transient, res.Outcome)
	require.False(t, res.Sent)
	require.ErrorIs(t, res.Err, bss.ErrRateLimited)
	require.Less(t, time.Since(start), 50*time.Millisecond, "no point waiting past the deadline")
}
