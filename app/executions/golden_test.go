package executions_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/store"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// runOne runs flow on one line as its own execution, approving it as a
// second person when it needs that, and returns the line when it settled.
func (b *bench) runOne(flow string, line executions.LineInput) store.Line {
	b.t.Helper()
	ctx := context.Background()
	e, err := b.svc.Start(ctx, executions.StartRequest{Flow: flow, Lines: []executions.LineInput{line}}, "user:alice")
	require.NoError(b.t, err)
	if e.State == store.ExecAwaitingApproval {
		_, err = b.svc.Approve(ctx, e.ID, "user:bob")
		require.NoError(b.t, err)
	}
	b.wait(e.ID, 30*time.Second)
	lines := b.lines(e.ID)
	require.Len(b.t, lines, 1)
	return lines[0]
}

// seededLine is a generated customer's line as the simulator holds it.
type seededLine struct {
	customerID string
	msisdn     string
	contract   map[string]any
}

// pickLines returns the first n lines of the simulator's customers whose
// contract satisfies ok, in the order the customers were generated, from
// records with a generated fault (faulty) or without; a line is any
// contract with an MSISDN, not only the record's first.
func pickLines(t *testing.T, sim *bsssim.Sim, seeded []bsssim.Seeded, n int, faulty bool, ok func(contract map[string]any) bool) []seededLine {
	t.Helper()
	var out []seededLine
	for _, s := range seeded {
		if faulty != (len(s.Faults) > 0) {
			continue
		}
		doc, found := sim.Document(s.CustomerID)
		require.True(t, found)
		contracts, _ := doc["contract"].([]any)
		for _, c := range contracts {
			contract, _ := c.(map[string]any)
			msisdn := contractMSISDN(contract)
			if msisdn == "" || !ok(contract) {
				continue
			}
			out = append(out, seededLine{customerID: s.CustomerID, msisdn: msisdn, contract: contract})
			if len(out) == n {
				return out
			}
		}
	}
	t.Fatalf("only %d of the %d lines wanted are in the simulator", len(out), n)
	return nil
}

func contractMSISDN(contract map[string]any) string {
	resources, _ := contract["resource"].([]any)
	for _, r := range resources {
		res, _ := r.(map[string]any)
		if res["resourceSpecificationExternalId"] == bss.MSISDNSpec {
			num, _ := res["resourceNumber"].(string)
			if n, err := bss.NationalMSISDN(num); err == nil {
				return n
			}
		}
	}
	return ""
}

func paymentIn(contexts ...string) func(map[string]any) bool {
	return func(c map[string]any) bool {
		for _, pc := range contexts {
			if c["paymentContext"] == pc && bss.CurrentStatus(c) == "ContractActive" {
				return true
			}
		}
		return false
	}
}

func products(contract map[string]any, status string, n int) []map[string]any {
	var out []map[string]any
	list, _ := contract["product"].([]any)
	for _, p := range list {
		product, _ := p.(map[string]any)
		if bss.CurrentStatus(product) == status && len(out) < n {
			out = append(out, product)
		}
	}
	return out
}

// goldenCase is one run of a legacy flow on one line, whose BSS calls are
// compared with testdata/golden/<name>.golden.
type goldenCase struct {
	name  string
	flow  string
	line  executions.LineInput
	state string
	// setup injects the simulator's faults before the run.
	setup func(t *testing.T, sim *bsssim.Sim)
	// check asserts what the case is about on the calls.
	check func(t *testing.T, calls []recordedCall)
}

// TestLegacyFlowsCallBSSAsTheGoldenFilesSay runs every flow of
// legacy-sample.yaml against the simulator and compares the requests BSS
// saw (method, path, query, body) and its answers with golden files,
// including the branches the legacy engine got wrong. Rewrite the files
// with `go test ./app/executions -run Golden -update`, and review the diff.
func TestLegacyFlowsCallBSSAsTheGoldenFilesSay(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchConfig{records: 48, faultRate: 0.25, record: true, workers: 2})
	flowsID := b.uploadFile("legacy", "testdata/legacy-sample.yaml")
	approveLegacy(t, b, flowsID, "Enquiry", msisdns(b.seeded, 1))

	prepaid := pickLines(t, b.sim, b.seeded, 5, false, paymentIn("Prepaid", "Control"))
	postpaid := pickLines(t, b.sim, b.seeded, 4, false, paymentIn("Postpaid"))
	terminated := pickLines(t, b.sim, b.seeded, 1, true, func(c map[string]any) bool {
		return bss.CurrentStatus(c) == bss.StatusTerminated && c["paymentContext"] == "Postpaid"
	})[0]
	info := func(l seededLine) map[string]any {
		return map[string]any{"customer_id": l.customerID, "contract": map[string]any{"id": l.contract["id"], "externalId": l.contract["externalId"]}}
	}
	toTerminate := products(postpaid[2].contract, "ProductActive", 2)
	require.Len(t, toTerminate, 2)
	active := products(postpaid[3].contract, "ProductActive", 1)
	require.Len(t, active, 1)

	noDelete := func(t *testing.T, calls []recordedCall) {
		for _, c := range calls {
			require.NotEqual(t, http.MethodDelete, c.Method, "a soft cancel BSS applied or found done never leads to delete_contract: %s", c)
		}
	}
	deletes := func(t *testing.T, calls []recordedCall) {
		n := 0
		for _, c := range calls {
			if c.Method == http.MethodDelete {
				n++
			}
		}
		require.Equal(t, 1, n, "Hard_Cancel deletes the contract once, after the soft cancel was refused")
	}
	// refuse answers the soft cancel with status, times times (0: always).
	refuse := func(status, times int) func(t *testing.T, sim *bsssim.Sim) {
		return func(t *testing.T, sim *bsssim.Sim) {
			_, err := sim.AddFault(bsssim.Fault{Kind: bsssim.FaultError, Status: status, Method: http.MethodPost,
				Path: "/bias/vivoUpdateContractStatus/v1/updateStatus", Times: times})
			require.NoError(t, err)
		}
	}

	cases := []goldenCase{
		{name: "enquiry", flow: "Enquiry", line: executions.LineInput{MSISDN: postpaid[0].msisdn}, state: store.LineSucceeded},
		{name: "enquiry-fallback", flow: "Enquiry", line: executions.LineInput{MSISDN: "11999990000"}, state: store.LineSucceeded,
			check: func(t *testing.T, calls []recordedCall) {
				require.Len(t, calls, 2, "an unknown number is looked up again by customer id")
				require.Contains(t, calls[1].Query, "customerId=11999990000")
			}},
		{name: "contratos", flow: "Contratos", line: executions.LineInput{MSISDN: postpaid[0].msisdn}, state: store.LineSucceeded},
		{name: "cancelar-prepaid", flow: "Cancelar", line: executions.LineInput{MSISDN: prepaid[0].msisdn}, state: store.LineSucceeded,
			check: func(t *testing.T, calls []recordedCall) {
				noDelete(t, calls)
				require.Equal(t, http.StatusNoContent, calls[len(calls)-1].Status, "the soft cancel was answered 204")
			}},
		{name: "cancelar-prepaid-again", flow: "Cancelar", line: executions.LineInput{MSISDN: prepaid[0].msisdn}, state: store.LineSucceeded,
			check: func(t *testing.T, calls []recordedCall) {
				noDelete(t, calls)
				require.Equal(t, http.StatusConflict, calls[len(calls)-1].Status, "already in that state counts as done")
			}},
		{name: "cancelar-postpaid", flow: "Cancelar", line: executions.LineInput{MSISDN: postpaid[1].msisdn}, state: store.LineSucceeded, check: noDelete},
		{name: "cancelar-terminated", flow: "Cancelar", line: executions.LineInput{MSISDN: terminated.msisdn}, state: store.LineSucceeded, check: deletes},
		{name: "cancelar-refused", flow: "Cancelar", line: executions.LineInput{MSISDN: prepaid[1].msisdn}, state: store.LineSucceeded,
			setup: refuse(http.StatusUnprocessableEntity, 1), check: deletes},
		{name: "cancelar-busy", flow: "Cancelar", line: executions.LineInput{MSISDN: prepaid[4].msisdn}, state: store.LineSucceeded,
			setup: refuse(http.StatusServiceUnavailable, 1), check: func(t *testing.T, calls []recordedCall) {
				noDelete(t, calls)
				require.Equal(t, http.StatusServiceUnavailable, calls[1].Status)
				require.Equal(t, http.StatusNoContent, calls[2].Status,
					"a soft cancel BSS did not process (503) is sent again, as the retry policy says")
			}},
		{name: "cancelar-unavailable", flow: "Cancelar", line: executions.LineInput{MSISDN: prepaid[2].msisdn}, state: store.LineFailed,
			setup: refuse(http.StatusServiceUnavailable, 0), check: func(t *testing.T, calls []recordedCall) {
				noDelete(t, calls)
				require.Equal(t, http.StatusServiceUnavailable, calls[len(calls)-1].Status,
					"a soft cancel BSS never processed fails the line; it is not a refusal that falls through to Hard_Cancel")
			}},
		{name: "soft-cancel-control", flow: "Soft_Cancel_Control", line: executions.LineInput{MSISDN: prepaid[3].msisdn}, state: store.LineSucceeded, check: noDelete},
		{name: "soft-cancel-postpaid", flow: "Soft_Cancel_Postpaid", line: executions.LineInput{MSISDN: postpaid[2].msisdn}, state: store.LineSucceeded, check: noDelete},
		{name: "hard-cancel", flow: "Hard_Cancel", state: store.LineSucceeded, check: deletes,
			line: executions.LineInput{MSISDN: postpaid[1].msisdn, Columns: map[string]any{"info": info(postpaid[1])}}},
		{name: "terminate-product", flow: "terminate_product", state: store.LineSucceeded,
			line: executions.LineInput{MSISDN: postpaid[2].msisdn, Columns: map[string]any{"info": info(postpaid[2]),
				"failed_products": []any{map[string]any{"id": toTerminate[0]["id"]}, map[string]any{"id": toTerminate[1]["id"]}}}},
			check: func(t *testing.T, calls []recordedCall) {
				require.Len(t, calls, 2, "one PATCH per failed product")
			}},
		{name: "activate-product", flow: "activate_product", state: store.LineSucceeded,
			line: executions.LineInput{MSISDN: postpaid[3].msisdn, Columns: map[string]any{"failed_products": []any{
				map[string]any{"product_offering_external_id": active[0]["productOfferingExternalId"], "product_external_id": active[0]["externalId"]},
				map[string]any{"product_offering_external_id": "BONUS", "product_external_id": "BONUS5GBGOLDEN"},
			}}},
			check: func(t *testing.T, calls []recordedCall) {
				require.Len(t, calls, 2, "one POST per failed product")
				require.Equal(t, http.StatusConflict, calls[0].Status, "an active product is already done")
				require.Equal(t, http.StatusOK, calls[1].Status, "a missing product is created")
			}},
		{name: "criar-cliente", flow: "Criar Cliente", line: executions.LineInput{MSISDN: postpaid[0].msisdn}, state: store.LineSucceeded,
			check: func(t *testing.T, calls []recordedCall) {
				require.Len(t, calls, 1)
				require.Equal(t, http.StatusBadRequest, calls[0].Status, "the legacy flow sends the bare MSISDN, which BSS refuses")
			}},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.flow] = true
	}
	for _, flow := range []string{"terminate_product", "activate_product", "Cancelar", "Hard_Cancel", "Soft_Cancel_Control",
		"Soft_Cancel_Postpaid", "Criar Cliente", "Contratos", "Enquiry"} {
		require.True(t, covered[flow], "flow %s has a golden case", flow)
	}

	b.rec.take()
	for _, c := range cases {
		if c.setup != nil {
			c.setup(t, b.sim)
		}
		line := b.runOne(c.flow, c.line)
		b.sim.ClearFaults()
		calls := b.rec.take()
		var got strings.Builder
		fmt.Fprintf(&got, "# %s on %s: %s %s\n", c.flow, c.line.MSISDN, line.State, line.ErrorCode)
		for _, call := range calls {
			got.WriteString(call.String() + "\n")
		}
		path := filepath.Join("testdata", "golden", c.name+".golden")
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, []byte(got.String()), 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "no golden file for %s: run with -update and review it", c.name)
		require.Equal(t, string(want), got.String(), "%s: BSS calls differ from %s", c.name, path)
		require.Equal(t, c.state, line.State, "%s: %s", c.name, describeLine(line))
		if c.check != nil {
			c.check(t, calls)
		}
	}
}
