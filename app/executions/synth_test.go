package executions_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/executions"
)

// synthLine is a small customer with one Postpaid line, two active
// products and a party: enough for the flows of testdata/fix-flows.yaml, and cheap to
// make by the thousand (a generated record is 15 to 90 KB).
type synthLine struct {
	MSISDN, CustomerID, ContractID, ProductID, SecondProductID, PartyID string
}

// addSynthLines adds n synthetic customers numbered from first; lines of
// different first never share a number.
func addSynthLines(t testing.TB, sim *bsssim.Sim, first, n int) []synthLine {
	t.Helper()
	lines := make([]synthLine, n)
	for i := range lines {
		k := first + i
		l := synthLine{MSISDN: fmt.Sprintf("119%08d", k), CustomerID: fmt.Sprintf("C%031X", k),
			ContractID: fmt.Sprintf("K%031X", k), ProductID: fmt.Sprintf("P%031X", k), SecondProductID: fmt.Sprintf("Q%031X", k), PartyID: fmt.Sprintf("Y%031X", k)}
		since := map[string]any{"startDateTime": "2024-01-02T10:00:00.000-03:00"}
		status := func(s string) []any { return []any{map[string]any{"status": s, "validFor": since}} }
		doc := map[string]any{
			"id": l.CustomerID, "externalId": "EXT" + l.CustomerID, "status": status("CustomerActive"),
			"contract": []any{map[string]any{
				"id": l.ContractID, "externalId": "EXT" + l.ContractID, "paymentContext": "Postpaid",
				"status": status("ContractActive"),
				"product": []any{
					map[string]any{"id": l.ProductID, "externalId": "EXT" + l.ProductID,
						"productOfferingExternalId": "FRANQUIA_PLANO", "status": status("ProductActive")},
					map[string]any{"id": l.SecondProductID, "externalId": "EXT" + l.SecondProductID,
						"productOfferingExternalId": "BONUS", "status": status("ProductActive")},
				},
				"resource": []any{map[string]any{"resourceSpecificationExternalId": bss.MSISDNSpec,
					"resourceNumber": "55" + l.MSISDN, "status": status("ResourceActive")}},
				"relatedPartyInteractionRole": []any{map[string]any{"interactionRole": "ContractUser",
					"partyRoleId": l.PartyID, "validFor": since}},
			}},
		}
		require.NoError(t, sim.AddDocument(doc))
		lines[i] = l
	}
	return lines
}

func synthInputs(lines []synthLine) []executions.LineInput {
	out := make([]executions.LineInput, len(lines))
	for i, l := range lines {
		out[i] = executions.LineInput{MSISDN: l.MSISDN}
	}
	return out
}
