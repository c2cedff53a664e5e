package bss_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
)

func TestOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    fixtureOptions
		faults  []bsssim.Fault
		method  string
		args    map[string]any
		outcome bss.Outcome
		sent    bool
		applied int // writes in the ledger afterwards
		check   func(t *testing.T, r bss.Result)
	}{
		{
			name: "read success", method: "line.get_customer_enquiry", args: map[string]any{"msisdn": singleMSISDN},
			outcome: bss.Success, sent: true,
			check: func(t *testing.T, r bss.Result) {
				require.Equal(t, singleCustomer, r.Value.(map[string]any)["id"])
				require.NoError(t, r.Err)
			},
		},
		{
			name: "read 404 is not_found with no value", method: "line.get_customer_enquiry", args: map[string]any{"customer_id": "nobody"},
			outcome: bss.NotFound, sent: true,
			check: func(t *testing.T, r bss.Result) {
				require.Nil(t, r.Value)
				require.NoError(t, r.Err)
				require.Equal(t, 404, r.Status)
			},
		},
		{
			name: "read of an empty list is not_found", method: "line.get_customer_enquiry", args: map[string]any{"msisdn": "11999999999"},
			outcome: bss.NotFound, sent: true,
			check: func(t *testing.T, r bss.Result) { require.Nil(t, r.Value) },
		},
		{
			name: "empty 204 is success", method: "line.set_contract_status",
			args:    map[string]any{"msisdn": singleMSISDN, "status": "ContractInactive"},
			outcome: bss.Success, sent: true, applied: 1,
			check: func(t *testing.T, r bss.Result) {
				require.Equal(t, 204, r.Status)
				require.Nil(t, r.Value)
			},
		},
		{
			name: "409 already in that state is already_done", method: "line.set_contract_status",
			args:    map[string]any{"customer_id": singleCustomer, "contract_id": singleContract, "status": "ContractActive"},
			outcome: bss.AlreadyDone, sent: true,
			check: func(t *testing.T, r bss.Result) {
				require.Equal(t, 409, r.Status)
				require.NoError(t, r.Err)
			},
		},
		{
			name: "soft cancel of a control line", opts: fixtureOptions{control: true},
			method: "line.set_soft_cancel_control", args: map[string]any{"msisdn": singleMSISDN},
			outcome: bss.Success, sent: true, applied: 1,
		},
		{
			name: "422 is rejected", method: "line.set_soft_cancel_control", args: map[string]any{"msisdn": singleMSISDN},
			outcome: bss.Rejected, sent: true,
			check: func(t *testing.T, r bss.Result) {
				var se *bss.StatusError
				require.True(t, errors.As(r.Err, &se))
				require.Equal(t, 422, se.Status)
				require.Contains(t, se.Body, "not a Control or Prepaid line")
			},
		},
		{
			name: "a write's 404 is rejected", method: "line.delete_contract",
			args:    map[string]any{"customer_id": singleCustomer, "contract_id": "nope"},
			outcome: bss.Rejected, sent: true,
		},
		{
			name: "503 is transient and says when to retry", faults: []bsssim.Fault{{Kind: bsssim.FaultError, Status: 503, RetryAfter: 7 * time.Second}},
			method: "line.set_contract_status", args: suspendArgs(),
			outcome: bss.Transient, sent: true,
			check: func(t *testing.T, r bss.Result) { require.Equal(t, 7*time.Second, r.RetryAfter) },
		},
		{
			name: "429 is transient", faults: []bsssim.Fault{{Kind: bsssim.FaultRateLimit, RetryAfter: 2 * time.Second}},
			method: "line.get_customer_enquiry", args: map[string]any{"msisdn": singleMSISDN},
			outcome: bss.Transient, sent: true,
			check: func(t *testing.T, r bss.Result) { require.Equal(t, 2*time.Second, r.RetryAfter) },
		},
		{
			name: "a write's 500 is unknown", faults: []bsssim.Fault{{Kind: bsssim.FaultError, Status: 500, AfterApply: true}},
			method: "line.set_contract_status", args: suspendArgs(),
			outcome: bss.Unknown, sent: true, applied: 1,
		},
		{
			name: "a write's 502 is unknown", faults: []bsssim.Fault{{Kind: bsssim.FaultError, Status: 502}},
			method: "line.set_contract_status", args: suspendArgs(),
			outcome: bss.Unknown, sent: true,
		},
		{
			name: "a read's 500 is transient", faults: []bsssim.Fault{{Kind: bsssim.FaultError, Status: 500}},
			method: "line.read_contract", args: map[string]any{"customer_id": singleCustomer, "contract_id": singleContract},
			outcome: bss.Transient, sent: true,
		},
		{
			name:   "a write that timed out after it was sent is unknown",
			opts:   fixtureOptions{system: func(c *bss.SystemConfig) { c.Timeout = 300 * time.Millisecond }},
			faults: []bsssim.Fault{{Kind: bsssim.FaultTimeoutAfterApply}},
			method: "line.set_contract_status", args: suspendArgs(),
			outcome: bss.Unknown, sent: true, applied: 1,
		},
		{
			name:   "a read that timed out is transient",
			opts:   fixtureOptions{system: func(c *bss.SystemConfig) { c.Timeout = 300 * time.Millisecond }},
			faults: []bsssim.Fault{{Kind: bsssim.FaultLatency, Latency: 2 * time.Second}},
			method: "line.read_contract", args: map[string]any{"customer_id": singleCustomer, "contract_id": singleContract},
			outcome: bss.Transient, sent: true,
		},
		{
			name:   "a write whose connection was reset after it was applied is unknown",
			faults: []bsssim.Fault{{Kind: bsssim.FaultResetAfterApply}},
			method: "line.delete_contract", args: map[string]any{"customer_id": singleCustomer, "contract_id": singleContract},
			outcome: bss.Unknown, sent: true, applied: 1,
		},
		{
			name: "destructive success", method: "line.delete_contract",
			args:    map[string]any{"customer_id": singleCustomer, "contract_id": singleContract},
			outcome: bss.Success, sent: true, applied: 1,
		},
		{
			name: "the party of a contract", method: "line.get_individual_party",
			args:    map[string]any{"external_id": "userPartyExternalId_" + singleContractX},
			outcome: bss.Success, sent: true,
			check: func(t *testing.T, r bss.Result) { require.Equal(t, singleParty, r.Value.(map[string]any)["id"]) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.opts)
			for _, fault := range tt.faults {
				_, err := f.sim.AddFault(fault)
				require.NoError(t, err)
			}
			r := f.call(t, tt.method, tt.args)
			require.Equal(t, tt.outcome, r.Outcome, "err: %v", r.Err)
			require.Equal(t, tt.sent, r.Sent)
			require.Equal(t, 1, r.Attempts)
			require.Len(t, f.sim.Ledger(), tt.applied)
			if r.Outcome != bss.Success && r.Outcome != bss.AlreadyDone && r.Outcome != bss.NotFound {
				require.Error(t, r.Err, "a failure says why")
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestIdempotencyKeyTravelsWithWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	res, err := f.client.Call(t.Context(), "line.set_contract_status", suspendArgs(), "run-1/line-9/step-3")
	require.NoError(t, err)
	require.Equal(t, bss.Success, res.Outcome)
	_, err = f.client.Call(t.Context(), "line.read_contract",
		map[string]any{"customer_id": singleCustomer, "contract_id": singleContract}, "read-key")
	require.NoError(t, err)
	ledger := f.sim.Ledger()
	require.Len(t, ledger, 1)
	require.Equal(t, "run-1/line-9/step-3", ledger[0].IdempotencyKey)
	reqs := f.sim.Requests()
	require.Equal(t, "", reqs[1].IdempotencyKey, "reads carry no key")
}

func TestCallRefusesBadArgsWithoutSending(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	_, err := f.client.Call(t.Context(), "line.delete_contract", map[string]any{"customer_id": singleCustomer}, "k")
	var ae *bss.ArgsError
	require.True(t, errors.As(err, &ae))
	require.Equal(t, map[string][]string{"by_ids": {"contract_id"}}, ae.Missing)
	require.Empty(t, f.sim.Requests())
}
