package executions_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// approveLegacy reviews a plan of the legacy flows on lines and approves
// the file, as an admin must before it runs for real.
func approveLegacy(t *testing.T, b *bench, flowsID int64, flow string, lines []executions.LineInput) {
	t.Helper()
	ctx := context.Background()
	_, err := b.svc.Start(ctx, executions.StartRequest{Flow: flow, Lines: lines}, "user:alice")
	require.True(t, problem.Is(err, problem.Conflict), "a legacy file runs only as a plan first: %v", err)
	plan, err := b.svc.Start(ctx, executions.StartRequest{Flow: flow, Lines: lines, Mode: executions.ModePlan}, "user:alice")
	require.NoError(t, err)
	plan = b.wait(plan.ID, 30*time.Second)
	require.Equal(t, store.ExecPlanned, plan.State)
	require.NoError(t, b.svc.ApproveFlows(ctx, flowsID, plan.ID, "user:admin"))
}

func TestEnquiryFlowSavesTheEnquiryAndFallsBackWhenNothingIsFound(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchConfig{records: 3})
	flowsID := b.uploadFile("legacy", "testdata/legacy-sample.yaml")
	lines := append(msisdns(b.seeded, 3), executions.LineInput{MSISDN: "11999990000"})
	approveLegacy(t, b, flowsID, "Enquiry", lines)
	require.Empty(t, b.sim.Ledger(), "a plan of reads writes nothing")

	e, err := b.svc.Start(context.Background(), executions.StartRequest{Flow: "Enquiry", Lines: lines}, "user:alice")
	require.NoError(t, err)
	e = b.wait(e.ID, 30*time.Second)
	require.Equal(t, store.ExecSucceeded, e.State)
	got := b.lines(e.ID)
	for _, l := range got[:3] {
		var artefacts map[string]any
		require.NoError(t, json.Unmarshal(l.Artefacts, &artefacts))
		require.Contains(t, artefacts, "enquiry", describeLine(l))
	}
	unknown, err := b.svc.Line(context.Background(), e.ID, got[3].ID)
	require.NoError(t, err)
	methods := []string{}
	for _, st := range unknown.Steps {
		if st.Generation == unknown.Generation {
			methods = append(methods, st.Method)
		}
	}
	require.Equal(t, []string{"line.get_customer_enquiry", "line.get_customer_enquiry"}, methods,
		"an unknown number is not found by MSISDN, then looked up by customer id, and nothing is saved")
}

func TestCancelarNeverDeletesAContractWhoseSoftCancelWasApplied(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchConfig{records: 6})
	flowsID := b.uploadFile("legacy", "testdata/legacy-sample.yaml")
	lines := msisdns(b.seeded, 6)
	approveLegacy(t, b, flowsID, "Cancelar", lines)

	e, err := b.svc.Start(context.Background(), executions.StartRequest{Flow: "Cancelar", Lines: lines}, "user:alice")
	require.NoError(t, err)
	if e.State == store.ExecAwaitingApproval {
		require.Contains(t, e.Approval, "destructive")
		_, err = b.svc.Approve(context.Background(), e.ID, "user:alice")
		require.True(t, problem.Is(err, problem.Forbidden), "the starter cannot approve")
		_, err = b.svc.Approve(context.Background(), e.ID, "user:bob")
		require.NoError(t, err)
	}
	e = b.wait(e.ID, 30*time.Second)
	for _, l := range b.lines(e.ID) {
		require.Equal(t, store.LineSucceeded, l.State, describeLine(l))
	}
	require.Equal(t, store.ExecSucceeded, e.State)
	require.Empty(t, b.sim.LedgerFor("contract.delete", "", ""), "a soft cancel BSS applied never leads to delete_contract")
	require.NotEmpty(t, b.sim.Ledger())

	// Again: the lines are already cancelled; BSS answers "already in that
	// state", which is done, not a failure that falls through to Hard_Cancel.
	again, err := b.svc.Start(context.Background(), executions.StartRequest{Flow: "Cancelar", Lines: lines}, "user:alice")
	require.NoError(t, err)
	if again.State == store.ExecAwaitingApproval {
		_, err = b.svc.Approve(context.Background(), again.ID, "user:bob")
		require.NoError(t, err)
	}
	again = b.wait(again.ID, 30*time.Second)
	require.Equal(t, store.ExecSucceeded, again.State)
	require.Empty(t, b.sim.LedgerFor("contract.delete", "", ""))
}
