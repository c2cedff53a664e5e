package executions_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/flows"
	"github.com/pff/pff/app/resp"
	"github.com/pff/pff/store"
)

// redisLimiter connects to REDIS_URL or 127.0.0.1:6379 and returns a GCRA
// limiter on its own connection under prefix, as one PFF process has; it
// skips when Redis is unreachable, unless CI is set.
func redisLimiter(t *testing.T, prefix string) *auth.RedisLimiter {
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
		t.Skipf("redis at %s is unreachable (%v): start it to test a rate shared between processes", url, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = client.Do(ctx, "DEL", prefix+"bss:bias")
		_ = client.Close()
	})
	return auth.NewRedisLimiter(client, prefix, nil)
}

// mostIn is the most arrivals in any window [t, t+d) that starts at an
// arrival.
func mostIn(times []time.Time, d time.Duration) int {
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	most, j := 0, 0
	for i := range times {
		for j < len(times) && times[j].Sub(times[i]) < d {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

func TestTwoProcessesSharingRedisHoldBSSToItsRate(t *testing.T) {
	t.Parallel()
	const rate = 50 // BIAS's calls per second, for all PFF processes together
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "pff-test:" + hex.EncodeToString(b) + ":"
	limited := func(limiter *auth.RedisLimiter, cluster int) benchConfig {
		return benchConfig{workers: 8, clusters: 2, cluster: cluster,
			bss: func(c *bss.Config) {
				c.Limiter = limiter
				bias := c.Systems["bias"]
				bias.Rate, bias.Burst = rate, 1
				c.Systems["bias"] = bias
			}}
	}
	// Two processes, each on its own Redis connection and calling its own
	// cluster of the simulator, so that its log tells them apart.
	bench := newBench(t, limited(redisLimiter(t, prefix), 0))
	bench.newProcess(limited(redisLimiter(t, prefix), 1))
	bench.uploadFile("fix", "testdata/fix-flows.yaml")
	lines := addSynthLines(t, bench.sim, 0, 240) // 3 BIAS calls each: 720 calls, 14 s at 50/s

	start := time.Now()
	e := bench.start(executions.StartRequest{Flow: "Six_Reads", Lines: synthInputs(lines)})
	e = bench.wait(e.ID, 60*time.Second)
	require.Equal(t, store.ExecSucceeded, e.State)
	var bias []time.Time
	byProcess := [2]int{}
	for _, r := range bench.sim.Requests() {
		if strings.HasPrefix(r.Path, "/bias/") {
			bias = append(bias, r.Time)
			byProcess[r.Cluster]++
		}
	}
	require.Len(t, bias, 720)
	most := mostIn(bias, 10*time.Second)
	t.Logf("%d BIAS calls in %v, %v by process; at most %d in a 10 s window (%.1f/s)",
		len(bias), time.Since(start).Round(time.Millisecond), byProcess, most, float64(most)/10)
	require.LessOrEqual(t, most, rate*10*105/100, "no 10 s window exceeds 52.5 calls/s")
	for i, n := range byProcess {
		require.Greater(t, n, len(bias)/4, "process %d made its share of the calls: the budget is shared, not halved", i)
	}
}

func TestAnOpenBreakerLetsOnlyItsProbesThrough(t *testing.T) {
	t.Parallel()
	const (
		failures = 3
		coolDown = 300 * time.Millisecond
	)
	reg := prometheus.NewRegistry()
	metrics, err := bss.NewMetrics(reg)
	require.NoError(t, err)
	b := newBench(t, benchConfig{workers: 8,
		system: func(c *bss.SystemConfig) {
			c.Breaker = bss.BreakerConfig{Failures: failures, CoolDown: coolDown, Probes: 1}
		},
		bss: func(c *bss.Config) { c.Metrics = metrics },
		engine: func(c *executions.EngineConfig) {
			c.DefaultRetry = &flows.RetryPolicy{Attempts: 4, Backoff: 50 * time.Millisecond, MaxBackoff: time.Second,
				On: []string{flows.CodeTransient, flows.CodeTimeout}}
		}})
	b.uploadFile("fix", "testdata/fix-flows.yaml")
	lines := addSynthLines(t, b.sim, 0, 40)
	_, err = b.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultOutage, Path: "/bias/**"})
	require.NoError(t, err)

	start := time.Now()
	e := b.start(executions.StartRequest{Flow: "Known_Lines_Only", Lines: synthInputs(lines)})
	e = b.wait(e.ID, 60*time.Second)
	took := time.Since(start)
	require.Equal(t, store.ExecPartiallyFailed, e.State)
	require.Equal(t, 40, e.Failed, "every line fails: BIAS is down")
	state, _ := b.client.BreakerState("bias")
	require.NotEqual(t, bss.BreakerClosed, state)

	attempted := callsTo(t, reg, "bias")
	reached := 0
	for _, r := range b.sim.Requests() {
		if strings.HasPrefix(r.Path, "/bias/") {
			reached++
		}
	}
	// The calls that open it (and those already in flight), then one probe
	// per cool-down.
	bound := failures + 8 + int(took/coolDown) + 1
	t.Logf("%d calls to BIAS in %v, %d reached it (bound %d)", attempted, took.Round(time.Millisecond), reached, bound)
	require.LessOrEqual(t, reached, bound, "an open breaker lets only its probes through")
	require.Greater(t, attempted, reached, "the breaker answered the others itself")

	// BSS is back: the next probe closes the breaker and the lines run.
	b.sim.ClearFaults()
	time.Sleep(coolDown)
	_, n, err := b.svc.Retry(context.Background(), e.ID, nil)
	require.NoError(t, err)
	require.Equal(t, 40, n)
	e = b.wait(e.ID, 30*time.Second)
	require.Equal(t, store.ExecSucceeded, e.State)
	state, _ = b.client.BreakerState("bias")
	require.Equal(t, bss.BreakerClosed, state)
}

// callsTo sums pff_bss_calls_total for a system.
func callsTo(t *testing.T, reg *prometheus.Registry, system string) int {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	total := 0.0
	for _, f := range families {
		if f.GetName() != "pff_bss_calls_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "system" && l.GetValue() == system {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return int(total)
}
