package bss_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
)

// TestVerifyEveryWrite checks, for each verifiable write, that its verify
// says "not applied" before and "applied" after.
func TestVerifyEveryWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method string
		args         map[string]any
		opts         fixtureOptions
	}{
		{name: "contract status by ids", method: "line.set_contract_status", args: suspendArgs()},
		{name: "contract status by msisdn", method: "line.set_contract_status",
			args: map[string]any{"msisdn": singleMSISDN, "status": "ContractInactive"}},
		{name: "activate product", method: "line.set_product_status",
			args: map[string]any{"msisdn": familyDependentL, "activate": true,
				"product_offering_external_id": "CONSUMER_MV", "product_external_id": familyTermProdExt}},
		{name: "terminate product", method: "line.set_product_status",
			args: map[string]any{"msisdn": singleMSISDN, "activate": "false", "product_id": singleProduct,
				"customer_id": singleCustomer, "contract_id": singleContract}},
		{name: "soft cancel control", method: "line.set_soft_cancel_control",
			args: map[string]any{"msisdn": singleMSISDN}, opts: fixtureOptions{control: true}},
		{name: "soft cancel postpaid", method: "line.set_soft_cancel_postpaid",
			args: map[string]any{"msisdn": familyMSISDN, "reason": "Migração Pós → Controle"}},
		{name: "consumer list", method: "line.set_consumer_list",
			args: map[string]any{"provider_customer_external_id": familyCustExt, "provider_contract_external_id": familyContractExt,
				"provider_product_external_id": familyProviderExt,
				"consumers":                    []any{map[string]any{"consumerContractExternalId": familyDependentX}}}},
		{name: "create client", method: "line.set_create_client",
			args: map[string]any{"data": map[string]any{"externalId": "555000111", "name": "Nova"}}},
		{name: "delete contract", method: "line.delete_contract",
			args: map[string]any{"customer_id": singleCustomer, "contract_id": singleContract}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.opts)
			req, err := f.cat.Resolve(tt.method, tt.args)
			require.NoError(t, err)
			require.True(t, req.Verifiable())

			applied, known, err := f.client.Verify(t.Context(), req, nil)
			require.NoError(t, err)
			require.True(t, known)
			require.False(t, applied, "not applied before the write")

			res := f.client.Do(t.Context(), req)
			require.Equal(t, bss.Success, res.Outcome, "err: %v", res.Err)

			applied, known, err = f.client.Verify(t.Context(), req, nil)
			require.NoError(t, err)
			require.True(t, known)
			require.True(t, applied, "applied after the write")
		})
	}
}

func TestVerifyTellsAnUnknownWrite(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{clusters: 2})
	fault, err := f.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultResetAfterApply, Method: "POST"})
	require.NoError(t, err)
	req, err := f.cat.Resolve("line.set_contract_status", map[string]any{"msisdn": singleMSISDN, "status": "ContractSuspended"})
	require.NoError(t, err)
	req.IdempotencyKey = "step-1"
	res := f.client.Do(t.Context(), req)
	require.Equal(t, bss.Unknown, res.Outcome)

	// Verify reads fine (the fault hits POSTs only) and says it was applied,
	// so the engine need not resend.
	applied, known, err := f.client.Verify(t.Context(), req, nil)
	require.NoError(t, err)
	require.True(t, known)
	require.True(t, applied)

	// Had it resent anyway, BSS would have answered "already".
	f.sim.RemoveFault(fault)
	res = f.client.Do(t.Context(), req)
	require.Equal(t, bss.AlreadyDone, res.Outcome)
	require.Len(t, f.sim.Ledger(), 1)
}

func TestVerifyCannotTell(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})

	req, err := f.cat.Resolve("line.set_party_terminated", map[string]any{"party_id": singleParty})
	require.NoError(t, err)
	require.False(t, req.Verifiable())
	_, known, err := f.client.Verify(t.Context(), req, nil)
	require.False(t, known)
	require.ErrorIs(t, err, bss.ErrNotVerifiable)

	// The verify read fails: unknown, never "not applied".
	_, err = f.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultError, Status: 503, Method: "GET"})
	require.NoError(t, err)
	req, err = f.cat.Resolve("line.set_contract_status", suspendArgs())
	require.NoError(t, err)
	applied, known, err := f.client.Verify(t.Context(), req, nil)
	require.False(t, applied)
	require.False(t, known)
	require.ErrorContains(t, err, "line.read_contract was transient")

	// A Request rebuilt from its operation and args (say, by the engine
	// after a restart) is resolved again.
	rebuilt := bss.Request{Operation: "line.set_contract_status", Args: suspendArgs()}
	f.sim.ClearFaults()
	applied, known, err = f.client.Verify(t.Context(), rebuilt, nil)
	require.NoError(t, err)
	require.True(t, known)
	require.False(t, applied)
}

func TestVerifyExpressionMustBeBoolean(t *testing.T) {
	t.Parallel()
	override := []byte(`
methods:
  line.set_soft_cancel_control:
    variants:
      - id: by_msisdn
        requires: [msisdn]
        system: bias
        method: POST
        path: bias/vivoUpdateContractStatus/v1/updateStatus
        body: {communicationId: "{msisdn|national}", communicationIdType: E.164, status: [{status: CtrlCancelado}]}
        effect: write
        verify:
          method: line.get_customer_enquiry
          args: {msisdn: "{msisdn}"}
          expr: result.nosuch
`)
	cat, err := bss.LoadCatalogue(override)
	require.NoError(t, err)
	f := newFixture(t, fixtureOptions{})
	sc := bss.SystemConfig{Clusters: f.servers.URLs}
	client, err := bss.NewClient(cat, bss.Config{
		Systems: map[string]bss.SystemConfig{"bias": sc, "bae": sc, "cpm": sc},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	req, err := cat.Resolve("line.set_soft_cancel_control", map[string]any{"msisdn": singleMSISDN})
	require.NoError(t, err)
	applied, known, err := client.Verify(t.Context(), req, nil)
	require.False(t, applied)
	require.False(t, known, "a nil is not false")
	require.ErrorContains(t, err, "not a boolean")
}
