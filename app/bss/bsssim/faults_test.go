package bsssim

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/neterr"
)

// suspend is a write the fault tests send: the single customer's contract
// to ContractSuspended.
func suspend(base string) (method, url string, body map[string]any) {
	return "PATCH", base + "/bae/bssfSubscriptionManagement/v1/customer/" + singleCustomer + "/contract/" + singleContract,
		map[string]any{"status": []any{map[string]any{"status": "ContractSuspended"}}}
}

func TestFaultKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   Fault
		timeout time.Duration // of the client; 0 for none
		check   func(t *testing.T, a answer, err error, elapsed time.Duration)
		applied bool
	}{
		{
			name:  "error before applying",
			fault: Fault{Kind: FaultError, Status: 503, RetryAfter: 2 * time.Second},
			check: func(t *testing.T, a answer, err error, _ time.Duration) {
				require.NoError(t, err)
				require.Equal(t, 503, a.status)
				require.Equal(t, "2", a.header.Get("Retry-After"))
			},
		},
		{
			name:  "error after applying",
			fault: Fault{Kind: FaultError, Status: 502, AfterApply: true},
			check: func(t *testing.T, a answer, err error, _ time.Duration) {
				require.NoError(t, err)
				require.Equal(t, 502, a.status)
			},
			applied: true,
		},
		{
			name:  "latency",
			fault: Fault{Kind: FaultLatency, Latency: 150 * time.Millisecond},
			check: func(t *testing.T, a answer, err error, elapsed time.Duration) {
				require.NoError(t, err)
				require.Equal(t, 200, a.status)
				require.GreaterOrEqual(t, elapsed, 150*time.Millisecond)
			},
			applied: true,
		},
		{
			name:    "timeout after applying",
			fault:   Fault{Kind: FaultTimeoutAfterApply},
			timeout: 200 * time.Millisecond,
			check: func(t *testing.T, _ answer, err error, elapsed time.Duration) {
				require.Error(t, err)
				require.Less(t, elapsed, 5*time.Second, "the hold ends when the client leaves")
			},
			applied: true,
		},
		{
			name:  "reset after applying",
			fault: Fault{Kind: FaultResetAfterApply},
			check: func(t *testing.T, _ answer, err error, _ time.Duration) {
				require.Error(t, err)
			},
			applied: true,
		},
		{
			name:  "rate limit",
			fault: Fault{Kind: FaultRateLimit, RetryAfter: 1500 * time.Millisecond},
			check: func(t *testing.T, a answer, err error, _ time.Duration) {
				require.NoError(t, err)
				require.Equal(t, 429, a.status)
				require.Equal(t, "2", a.header.Get("Retry-After"), "rounded up to whole seconds")
			},
		},
		{
			name:  "outage answering 503",
			fault: Fault{Kind: FaultOutage},
			check: func(t *testing.T, a answer, err error, _ time.Duration) {
				require.NoError(t, err)
				require.Equal(t, 503, a.status)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, sv := newTestSim(t, Config{}, 1)
			_, err := s.AddFault(tt.fault)
			require.NoError(t, err)
			method, url, body := suspend(sv.URLs[0])
			start := time.Now()
			a, err := sendTimeout(t, method, url, body, tt.timeout)
			tt.check(t, a, err, time.Since(start))
			if tt.applied {
				require.Len(t, s.Ledger(), 1, "the write was applied")
			} else {
				require.Empty(t, s.Ledger(), "the write was not applied")
			}
			require.Equal(t, 1, s.Faults()[0].Hits)
		})
	}
}

// sendTimeout is send with a client timeout, returning transport errors.
func sendTimeout(t testing.TB, method, url string, body any, timeout time.Duration) (answer, error) {
	t.Helper()
	client := &http.Client{Timeout: timeout}
	req := newRequest(t, method, url, body)
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	return a, nil
}

func TestOutageRefusesConnections(t *testing.T) {
	t.Parallel()
	s, sv := newTestSim(t, Config{}, 2)
	id, err := s.AddFault(Fault{Kind: FaultOutage, Refuse: true, Clusters: []int{0}})
	require.NoError(t, err)
	_, err = sendTimeout(t, "GET", sv.URLs[0]+"/_sim/health", nil, time.Second)
	require.True(t, neterr.Refused(err), "refused: %v", err)
	a, err := sendTimeout(t, "GET", sv.URLs[1]+"/_sim/health", nil, time.Second)
	require.NoError(t, err)
	require.Equal(t, 200, a.status, "the other cluster serves")

	require.True(t, s.RemoveFault(id))
	a, err = sendTimeout(t, "GET", sv.URLs[0]+"/_sim/health", nil, time.Second)
	require.NoError(t, err, "the cluster is back on the same address")
	require.Equal(t, 200, a.status)
}

func TestFaultSelection(t *testing.T) {
	t.Parallel()
	s, sv := newTestSim(t, Config{}, 2)
	_, err := s.AddFault(Fault{Kind: FaultError, Status: 500, Method: "GET", Path: "/cpm/**", Clusters: []int{1}, Times: 2})
	require.NoError(t, err)
	read := "/cpm/business/v1/readContract/customer/" + singleCustomer + "/contract/" + singleContract
	require.Equal(t, 200, send(t, "GET", sv.URLs[0]+read, nil).status, "other cluster")
	require.Equal(t, 200, send(t, "GET", sv.URLs[1]+enquiryPath+"?customerId="+singleCustomer, nil).status, "other path")
	require.Equal(t, 500, send(t, "GET", sv.URLs[1]+read, nil).status)
	require.Equal(t, 500, send(t, "GET", sv.URLs[1]+read, nil).status)
	require.Equal(t, 200, send(t, "GET", sv.URLs[1]+read, nil).status, "Times: 2")
	log := s.Requests()
	require.Len(t, log, 5)
	require.Equal(t, []int{1}, log[2].Faults)
	require.Empty(t, log[4].Faults)
}

func TestFaultRateIsSeeded(t *testing.T) {
	t.Parallel()
	pattern := func(seed uint64) []bool {
		s := New(Config{Seed: seed})
		_, err := s.AddFault(Fault{Kind: FaultError, Rate: 0.5})
		require.NoError(t, err)
		h := s.Handler()
		var hits []bool
		for range 64 {
			rec := httptestRecorder()
			h.ServeHTTP(rec, newRequest(t, "GET", "/bias/nothing", nil))
			hits = append(hits, rec.Code == 503)
		}
		return hits
	}
	a, b, c := pattern(7), pattern(7), pattern(8)
	require.Equal(t, a, b, "the same seed hits the same requests")
	require.NotEqual(t, a, c)
	n := 0
	for _, hit := range a {
		if hit {
			n++
		}
	}
	require.InDelta(t, 32, n, 16, "about half")
}

func TestMatchPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/bias/**", "/bias/vivoUpdateContractStatus/v1/updateStatus", true},
		{"/bias/**", "/bae/x", false},
		{"/bae/*/v1/customer/*/contract/*", "/bae/bssfSubscriptionManagement/v1/customer/C/contract/K", true},
		{"/bae/*/v1/customer/*/contract/*", "/bae/bssfSubscriptionManagement/v1/customer/C/contract/K/x", false},
		{"/bias/vivo*/**", "/bias/vivoCreateClient/v1/customer", true},
		{"/**/updateStatus", "/bias/vivoUpdateContractStatus/v1/updateStatus", true},
		{"/x", "/x/", true},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, matchPath(tt.pattern, tt.path), "%s ~ %s", tt.pattern, tt.path)
	}
	_, err := New(Config{}).AddFault(Fault{Kind: "boom"})
	require.ErrorContains(t, err, `fault kind "boom"`)
	_, err = New(Config{}).AddFault(Fault{Kind: FaultError, Refuse: true})
	require.ErrorContains(t, err, "only an outage refuses")
}
