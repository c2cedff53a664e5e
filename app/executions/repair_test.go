package executions_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

// TestARejectedRecordIsRepairedByAFlowAndThenAccepted goes from a REJECT to
// a repair: a generated record with an active product in a terminated
// contract is rejected; the flow for that fault runs on the contract's line
// against the simulator, which holds the same record; the simulator's
// corrected document is validated again and accepted.
func TestARejectedRecordIsRepairedByAFlowAndThenAccepted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	validator := productionValidator(t)

	// One record of each fault kind; take the one a flow can repair.
	g, err := gen.New(gen.Config{N: len(gen.Kinds()), Seed: 11, FaultRate: 1})
	require.NoError(t, err)
	var rec gen.Record
	for r, ok := g.Next(); ok; r, ok = g.Next() {
		if len(r.Faults) == 1 && r.Faults[0].Kind == gen.ActiveProductInTerminatedContract {
			rec = r
		}
	}
	require.NotEmpty(t, rec.Doc, "the generator made no record with an active product in a terminated contract")

	report, err := validator.Validate(ctx, rec.Doc)
	require.NoError(t, err)
	require.Equal(t, validation.Reject, report.Decision, report.Text())
	var pointer string
	for _, v := range report.Violations {
		if v.Category == string(gen.ActiveProductInTerminatedContract) {
			pointer = v.Pointers[0]
		}
	}
	require.NotEmpty(t, pointer, "the report names the fault: %s", report.Text())

	// The simulator holds the same record; the flow runs on the line of
	// the contract the report points at.
	b := newBench(t, benchConfig{workers: 2})
	require.NoError(t, b.sim.AddJSON(rec.Doc))
	b.uploadFile("repair", "testdata/repair-flows.yaml")
	doc, ok := b.sim.Document(rec.CustomerID)
	require.True(t, ok)
	msisdn := contractMSISDN(contractAt(t, doc, pointer))
	require.NotEmpty(t, msisdn, "the terminated contract %s has an MSISDN resource", pointer)

	e := b.start(executions.StartRequest{Flow: "Terminate_Orphan_Products", Lines: []executions.LineInput{{MSISDN: msisdn}}})
	e = b.wait(e.ID, 30*time.Second)
	line := b.lines(e.ID)[0]
	require.Equal(t, store.LineSucceeded, line.State, describeLine(line))
	require.Equal(t, 1, line.Writes, "one product was left active")
	require.Contains(t, line.Observations, "terminated 1 active product")

	repaired, ok := b.sim.DocumentJSON(rec.CustomerID)
	require.True(t, ok)
	report, err = validator.Validate(ctx, repaired)
	require.NoError(t, err)
	require.Equal(t, validation.Accept, report.Decision, "the repaired record is accepted: %s", report.Text())

	// Run again, it finds nothing to repair and writes nothing.
	again := b.start(executions.StartRequest{Flow: "Terminate_Orphan_Products", Lines: []executions.LineInput{{MSISDN: msisdn}}})
	again = b.wait(again.ID, 30*time.Second)
	require.Equal(t, store.ExecSucceeded, again.State)
	require.Zero(t, again.Writes)
}

// productionValidator judges records with the default rules and checks and
// the production schema.
func productionValidator(t *testing.T) *validation.Validator {
	t.Helper()
	rs, cs, err := validation.Defaults()
	require.NoError(t, err)
	sch, err := schema.Compile("production.json", validation.ProductionSchema())
	require.NoError(t, err)
	v, err := validation.New(validation.Config{Schema: sch, Rules: rs, Checks: cs})
	require.NoError(t, err)
	return v
}

// contractAt returns the contract a JSON pointer into a customer document
// lies in (/contract/N/...).
func contractAt(t *testing.T, doc map[string]any, pointer string) map[string]any {
	t.Helper()
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	require.GreaterOrEqual(t, len(parts), 2, pointer)
	require.Equal(t, "contract", parts[0], pointer)
	i, err := strconv.Atoi(parts[1])
	require.NoError(t, err)
	contracts, _ := doc["contract"].([]any)
	require.Less(t, i, len(contracts))
	c, _ := contracts[i].(map[string]any)
	return c
}
