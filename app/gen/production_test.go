package gen_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/internal/testkit"
)

// TestCleanRecordsMatchTheProductionSchema holds the generator to the schema
// the operations team inferred from its 14,550 production records: every
// fault-free record must validate against it.
func TestCleanRecordsMatchTheProductionSchema(t *testing.T) {
	t.Parallel()
	real, err := schema.Compile("real-schema.json", testkit.RealSchema())
	require.NoError(t, err)
	recs, err := gen.Generate(gen.Config{N: 200, Seed: 7})
	require.NoError(t, err)
	failures := map[string]int{}
	failed := 0
	for _, r := range recs {
		var doc any
		require.NoError(t, json.Unmarshal(r.Doc, &doc))
		errs := real.Validate(doc)
		if len(errs) > 0 {
			failed++
		}
		for _, e := range errs {
			failures[e.Keyword+": "+e.Message]++
		}
	}
	if failed > 0 {
		var lines []string
		for k, n := range failures {
			lines = append(lines, fmt.Sprintf("%4d %s", n, k))
		}
		sort.Strings(lines)
		t.Fatalf("%d of %d clean records fail the production schema:\n%s", failed, len(recs), lines)
	}
}

// vocabulary collects the values of the members that carry the record's
// categories, by member name.
func vocabulary(t *testing.T, doc []byte, into map[string]map[string]int) {
	t.Helper()
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && categoricalMembers[k] {
					if into[k] == nil {
						into[k] = map[string]int{}
					}
					into[k][s]++
				}
				walk(e)
			}
		}
	}
	var root any
	require.NoError(t, json.Unmarshal(doc, &root))
	walk(root)
}

var categoricalMembers = map[string]bool{
	"status": true, "reason": true, "name": true, "productOfferingExternalId": true, "charSpecExternalId": true,
	"resourceSpecificationExternalId": true, "interactionRole": true, "timeZone": true, "paymentContext": true,
	"billingAccountSpecExternalId": true, "billCycleSpecExternalId": true, "productOfferingPriceExternalId": true,
	"unitOfMeasure": true, "contactRole": true, "language": true,
}

// TestValuesResembleTheProductionExamples: every status, reason, plan and
// product name, offering and characteristic of the two production examples
// occurs in generated records, so a corpus of them teaches the learners
// production's vocabulary.
func TestValuesResembleTheProductionExamples(t *testing.T) {
	t.Parallel()
	real := map[string]map[string]int{}
	for _, r := range testkit.RealRecords() {
		vocabulary(t, r.Doc, real)
	}
	recs, err := gen.Generate(gen.Config{N: 300, Seed: 11})
	require.NoError(t, err)
	generated := map[string]map[string]int{}
	for _, r := range recs {
		vocabulary(t, r.Doc, generated)
	}
	for member, values := range real {
		for v := range values {
			require.Positive(t, generated[member][v], "%s %q of the production examples is never generated", member, v)
		}
	}
	// Statuses: the production vocabulary and nothing else.
	for v := range generated["status"] {
		require.Contains(t, gen.Statuses(), v)
	}
}
