package bsssim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLedgerCountsDuplicatesByDefault(t *testing.T) {
	t.Parallel()
	s, sv := newTestSim(t, Config{}, 2)
	// Two different changes with the same key, on two clusters: both apply.
	method, url, body := suspend(sv.URLs[0])
	require.Equal(t, 200, send(t, method, url, body, "Idempotency-Key", "step-7").status)
	_, url, _ = suspend(sv.URLs[1])
	body = map[string]any{"status": []any{map[string]any{"status": "ContractActive"}}}
	require.Equal(t, 200, send(t, method, url, body, "Idempotency-Key", "step-7").status)

	ledger := s.Ledger()
	require.Len(t, ledger, 2)
	require.Equal(t, []int{0, 1}, []int{ledger[0].Cluster, ledger[1].Cluster})
	require.Equal(t, []int64{1, 2}, []int64{ledger[0].Seq, ledger[1].Seq})
	require.Equal(t, map[string]string{"customer_id": singleCustomer, "contract_id": singleContract, "msisdn": singleMSISDN},
		ledger[0].Targets)
	require.Equal(t, "ContractActive -> ContractSuspended", ledger[0].Detail)
	require.Equal(t, "ContractSuspended -> ContractActive", ledger[1].Detail)
	require.Equal(t, routePatchContract, ledger[0].Route)
	require.Len(t, s.LedgerFor("contract.status", "contract_id", singleContract), 2)

	s.ClearLedger()
	require.Empty(t, s.Ledger())
}

func TestHonouredIdempotencyKeysReplay(t *testing.T) {
	t.Parallel()
	s, sv := newTestSim(t, Config{HonourIdempotencyKeys: true}, 1)
	method, url, body := suspend(sv.URLs[0])
	first := send(t, method, url, body, "Idempotency-Key", "step-1")
	require.Equal(t, 200, first.status)
	again := send(t, method, url, body, "Idempotency-Key", "step-1")
	require.Equal(t, 200, again.status, "the stored answer, not 409")
	require.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	require.JSONEq(t, string(first.body), string(again.body))
	require.Len(t, s.Ledger(), 1)

	other := send(t, method, url, body, "Idempotency-Key", "step-2")
	require.Equal(t, 409, other.status, "a new key is a new request")
}
