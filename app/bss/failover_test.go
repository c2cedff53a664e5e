package bss_test

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
)

func TestWriteFailsOverWhenTheFirstClusterRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{clusters: 2})
	_, err := f.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultOutage, Refuse: true, Clusters: []int{0}})
	require.NoError(t, err)

	r := f.call(t, "line.set_contract_status", suspendArgs())
	require.Equal(t, bss.Success, r.Outcome, "err: %v", r.Err)
	require.Equal(t, 2, r.Attempts)
	require.Equal(t, f.servers.URLs[1], r.Cluster)
	require.Equal(t, 0, f.requestsTo(0), "the first cluster never got it")
	require.Equal(t, 1, f.requestsTo(1), "the second got it once")
	ledger := f.sim.Ledger()
	require.Len(t, ledger, 1)
	require.Equal(t, 1, ledger[0].Cluster)
}

func TestWriteFailsOverFromAnAddressNobodyListensOn(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	f := newFixture(t, fixtureOptions{system: func(c *bss.SystemConfig) {
		c.Clusters = append([]string{dead}, c.Clusters...)
	}})
	r := f.call(t, "line.delete_contract", map[string]any{"customer_id": singleCustomer, "contract_id": singleContract})
	require.Equal(t, bss.Success, r.Outcome, "err: %v", r.Err)
	require.Equal(t, 2, r.Attempts)
	require.Len(t, f.sim.Ledger(), 1)

	// The dead cluster now goes last, so the next call does not wait on it.
	r = f.call(t, "line.set_contract_status",
		map[string]any{"customer_id": familyCustomer, "contract_id": familyContract, "status": "ContractSuspended"})
	require.Equal(t, bss.Success, r.Outcome)
	require.Equal(t, 1, r.Attempts)
}

func TestNoWriteFailoverOnceSent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault bsssim.Fault
		opts  fixtureOptions
	}{
		{"reset after apply", bsssim.Fault{Kind: bsssim.FaultResetAfterApply, Clusters: []int{0}}, fixtureOptions{clusters: 2}},
		{"timeout after apply", bsssim.Fault{Kind: bsssim.FaultTimeoutAfterApply, Clusters: []int{0}},
			fixtureOptions{clusters: 2, system: func(c *bss.SystemConfig) { c.Timeout = 300 * time.Millisecond }}},
		{"502 after apply", bsssim.Fault{Kind: bsssim.FaultError, Status: 502, AfterApply: true, Clusters: []int{0}}, fixtureOptions{clusters: 2}},
		{"503", bsssim.Fault{Kind: bsssim.FaultError, Status: 503, Clusters: []int{0}}, fixtureOptions{clusters: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.opts)
			_, err := f.sim.AddFault(tt.fault)
			require.NoError(t, err)
			r := f.call(t, "line.set_contract_status", suspendArgs())
			require.True(t, r.Sent)
			require.Equal(t, 1, r.Attempts)
			require.Equal(t, 0, f.requestsTo(1), "never sent to a second cluster")
			switch tt.fault.Status {
			case 503:
				require.Equal(t, bss.Transient, r.Outcome)
				require.Empty(t, f.sim.Ledger())
			default:
				require.Equal(t, bss.Unknown, r.Outcome, "err: %v", r.Err)
				require.Len(t, f.sim.Ledger(), 1, "applied exactly once")
			}
		})
	}
}

func TestReadsFailOver(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault bsssim.Fault
	}{
		{"503", bsssim.Fault{Kind: bsssim.FaultError, Status: 503, Clusters: []int{0}}},
		{"500", bsssim.Fault{Kind: bsssim.FaultError, Status: 500, Clusters: []int{0}}},
		{"reset", bsssim.Fault{Kind: bsssim.FaultResetAfterApply, Clusters: []int{0}}},
		{"refused", bsssim.Fault{Kind: bsssim.FaultOutage, Refuse: true, Clusters: []int{0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, fixtureOptions{clusters: 3})
			_, err := f.sim.AddFault(tt.fault)
			require.NoError(t, err)
			r := f.call(t, "line.get_customer_enquiry", map[string]any{"msisdn": singleMSISDN})
			require.Equal(t, bss.Success, r.Outcome, "err: %v", r.Err)
			require.Equal(t, 2, r.Attempts)
			require.Equal(t, f.servers.URLs[1], r.Cluster)
			require.Equal(t, 0, f.requestsTo(2))
		})
	}
}

func TestRetryAfterPausesTheCluster(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{clusters: 2})
	_, err := f.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultError, Status: 503, RetryAfter: 30 * time.Second, Clusters: []int{0}, Times: 1})
	require.NoError(t, err)
	r := f.call(t, "line.set_contract_status", suspendArgs())
	require.Equal(t, bss.Transient, r.Outcome)
	require.Equal(t, 30*time.Second, r.RetryAfter)
	// The next write goes straight to the other cluster: nothing is sent to
	// the paused one.
	r = f.call(t, "line.set_contract_status", suspendArgs())
	require.Equal(t, bss.Success, r.Outcome)
	require.Equal(t, 1, r.Attempts)
	require.Equal(t, f.servers.URLs[1], r.Cluster)
	require.Equal(t, 1, f.requestsTo(0))

	// A 429 pauses the whole system: nothing is sent until it passes.
	_, err = f.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultRateLimit, RetryAfter: 30 * time.Second, Times: 1})
	require.NoError(t, err)
	r = f.call(t, "line.read_contract", map[string]any{"customer_id": singleCustomer, "contract_id": singleContract})
	require.Equal(t, bss.Transient, r.Outcome)
	before := len(f.sim.Requests())
	r = f.call(t, "line.read_contract", map[string]any{"customer_id": singleCustomer, "contract_id": singleContract})
	require.Equal(t, bss.Transient, r.Outcome)
	require.False(t, r.Sent)
	require.ErrorIs(t, r.Err, bss.ErrBackingOff)
	require.Greater(t, r.RetryAfter, 29*time.Second)
	require.Len(t, f.sim.Requests(), before)
}

func TestBreakerOpensAndLetsOnlyProbesThrough(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{system: func(c *bss.SystemConfig) {
		c.Breaker = bss.BreakerConfig{Failures: 3, CoolDown: 300 * time.Millisecond, Probes: 1}
	}})
	outage, err := f.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultOutage, Status: 503})
	require.NoError(t, err)
	read := func() bss.Result {
		return f.call(t, "line.read_contract", map[string]any{"customer_id": singleCustomer, "contract_id": singleContract})
	}
	for range 3 {
		r := read()
		require.Equal(t, bss.Transient, r.Outcome)
		require.True(t, r.Sent)
	}
	state, _ := f.client.BreakerState("cpm")
	require.Equal(t, bss.BreakerOpen, state)
	r := read()
	require.Equal(t, bss.Transient, r.Outcome)
	require.False(t, r.Sent, "an open breaker sends nothing")
	require.ErrorIs(t, r.Err, bss.ErrBreakerOpen)
	require.Greater(t, r.RetryAfter, time.Duration(0))
	require.Len(t, f.sim.Requests(), 3)
	other, _ := f.client.BreakerState("bias")
	require.Equal(t, bss.BreakerClosed, other, "breakers are per system")

	// After the cool-down one probe goes through; a slow one, so the other
	// calls arrive while it is in flight.
	time.Sleep(350 * time.Millisecond)
	_, err = f.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultLatency, Latency: 200 * time.Millisecond})
	require.NoError(t, err)
	results := make([]bss.Result, 6)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = read() })
	}
	wg.Wait()
	sent := 0
	for _, r := range results {
		if r.Sent {
			sent++
		} else {
			require.True(t, errors.Is(r.Err, bss.ErrBreakerOpen), "%v", r.Err)
		}
	}
	require.Equal(t, 1, sent, "only the probe")
	require.Len(t, f.sim.Requests(), 4)
	state, _ = f.client.BreakerState("cpm")
	require.Equal(t, bss.BreakerOpen, state, "the failed probe opened it again")

	// BSS recovers: the next probe closes the breaker.
	f.sim.RemoveFault(outage)
	time.Sleep(350 * time.Millisecond)
	require.Equal(t, bss.Success, read().Outcome)
	state, _ = f.client.BreakerState("cpm")
	require.Equal(t, bss.BreakerClosed, state)
	require.Equal(t, bss.Success, read().Outcome)
}

func TestBreakerIgnoresRejections(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{system: func(c *bss.SystemConfig) {
		c.Breaker = bss.BreakerConfig{Failures: 2}
	}})
	for range 5 {
		r := f.call(t, "line.delete_contract", map[string]any{"customer_id": singleCustomer, "contract_id": "nope"})
		require.Equal(t, bss.Rejected, r.Outcome)
	}
	state, _ := f.client.BreakerState("bae")
	require.Equal(t, bss.BreakerClosed, state, "a 4xx says BSS is up")
}
