package validation_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/internal/testkit"
)

// statusEnums returns the enums of every "status" member of a JSON Schema.
func statusEnums(t *testing.T, data []byte) []string {
	t.Helper()
	var doc any
	require.NoError(t, json.Unmarshal(data, &doc))
	var out []string
	var walk func(v any, key string)
	walk = func(v any, key string) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		if enum, ok := m["enum"].([]any); ok && key == "status" {
			for _, e := range enum {
				out = append(out, e.(string))
			}
		}
		if props, ok := m["properties"].(map[string]any); ok {
			for k, p := range props {
				walk(p, k)
			}
		}
		walk(m["items"], key)
	}
	walk(doc, "")
	return out
}

// TestStatusVocabularyIsProductions: the default status-in-vocabulary check
// accepts every status of the production schema, which production uses, and
// refuses ContractSuspended, which it does not.
func TestStatusVocabularyIsProductions(t *testing.T) {
	t.Parallel()
	statuses := statusEnums(t, validation.ProductionSchema())
	require.Contains(t, statuses, "ContractInactive")
	require.Contains(t, statuses, "ResourceInactive")
	src, err := validation.DefaultSource()
	require.NoError(t, err)
	for _, status := range append(statuses, "CustomerActive", "BillingAccountActive", "ContractSuspended") {
		doc := fmt.Sprintf(`{"id": "A4C123B1612DD272D1371C17149D4395", "status": [{"status": %q, "validFor": {"startDateTime": "2024-01-02T10:00:00.000-03:00"}}]}`, status)
		report, err := src.V.Validate(t.Context(), []byte(doc))
		require.NoError(t, err)
		unknown := strings.Contains(report.Explanation, "unknown_status")
		require.Equal(t, status == "ContractSuspended", unknown, "%s: %s", status, report.Explanation)
	}
}

// TestProductionRecordsAreAccepted: both production examples pass the
// default rules and checks, and the production schema.
func TestProductionRecordsAreAccepted(t *testing.T) {
	t.Parallel()
	rs, cs, err := validation.Defaults()
	require.NoError(t, err)
	prod, err := schema.Compile("real-schema.json", validation.ProductionSchema())
	require.NoError(t, err)
	v, err := validation.New(validation.Config{Rules: rs, Checks: cs, Schema: prod, Now: gen.DefaultNow})
	require.NoError(t, err)
	for _, r := range testkit.RealRecords() {
		report, err := v.Validate(t.Context(), r.Doc)
		require.NoError(t, err)
		require.Equal(t, validation.Accept, report.Decision, "%s: %s", r.Name, report.Text())
	}
}
