package bss

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBreakerStates(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	var changes []string
	b := newBreaker(BreakerConfig{Failures: 2, CoolDown: time.Minute, Probes: 2}, func() time.Time { return now },
		func(from, to BreakerState) { changes = append(changes, from.String()+">"+to.String()) })

	tk, _, ok := b.allow()
	require.True(t, ok)
	b.done(tk, failing)
	tk, _, _ = b.allow()
	b.done(tk, healthy) // a success in between resets the count
	for range 2 {
		tk, _, _ = b.allow()
		b.done(tk, failing)
	}
	require.Equal(t, BreakerOpen, b.current())
	_, wait, ok := b.allow()
	require.False(t, ok)
	require.Equal(t, time.Minute, wait)

	now = now.Add(time.Minute)
	require.Equal(t, BreakerHalfOpen, b.current())
	p1, _, ok1 := b.allow()
	p2, _, ok2 := b.allow()
	_, _, ok3 := b.allow()
	require.True(t, ok1 && ok2)
	require.False(t, ok3, "only two probes")
	b.done(p1, neutral) // a cancelled probe frees its slot
	p3, _, ok := b.allow()
	require.True(t, ok)
	b.done(p2, healthy)
	require.Equal(t, BreakerClosed, b.current())
	b.done(p3, failing) // from before the change: ignored
	require.Equal(t, BreakerClosed, b.current())
	require.Equal(t, []string{"closed>open", "open>half-open", "half-open>closed"}, changes)
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":               0,
		"3":              3 * time.Second,
		"-1":             0,
		"99999999999999": time.Minute,
		"soon":           0,
		now.Add(10 * time.Second).Format(http.TimeFormat): 10 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		require.Equal(t, want, parseRetryAfter(in, now, time.Minute), "%q", in)
	}
}

func TestReadAnswers(t *testing.T) {
	t.Parallel()
	cat := testCatalogue(t)
	read, err := cat.Resolve("line.get_customer_enquiry", map[string]any{"customer_id": "C"})
	require.NoError(t, err)
	write, err := cat.Resolve("line.delete_contract", map[string]any{"customer_id": "C", "contract_id": "K"})
	require.NoError(t, err)
	tests := []struct {
		name    string
		req     Request
		status  int
		body    string
		outcome Outcome
	}{
		{"one-element list unwrapped", read, 200, `[{"id":"C"}]`, Success},
		{"two answers where one is expected", read, 200, `[{"id":"C"},{"id":"D"}]`, Rejected},
		{"null", read, 200, `null`, NotFound},
		{"empty 200 read", read, 200, ``, NotFound},
		{"not JSON read", read, 200, `<html>`, Transient},
		{"not JSON write", write, 200, `done`, Success},
		{"redirect", write, 307, ``, Rejected},
		{"408", write, 408, ``, Transient},
		{"501", write, 501, ``, Rejected},
		{"403 without already", write, 403, `{"message":"forbidden"}`, Rejected},
		{"403 already", write, 403, `{"message":"contract K already deleted"}`, AlreadyDone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, _ := classifyStatus(tt.req, tt.status, http.Header{}, []byte(tt.body), time.Minute)
			require.Equal(t, tt.outcome, r.Outcome, "err: %v", r.Err)
		})
	}
}
