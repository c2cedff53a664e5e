package mine

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/rules"
)

// FuzzMinedRulesParse holds the TSV writer to the rule parser: whatever the
// predicates and constants of the corpus, the mined rules parse back to
// themselves, without diagnostics.
func FuzzMinedRulesParse(f *testing.F) {
	f.Add("status", "ContractActive", "paymentType")
	f.Add("a.b", `it's "odd", (x) \ <= y`, "X")
	f.Add("p<q", "\t", "with space")
	f.Add("é", "A", "b'c")
	f.Fuzz(func(t *testing.T, p, value, q string) {
		m := New(Config{MinSupport: 3, MinConfidence: 0.5, Samples: 200, Workers: 1})
		for i := range 8 {
			c := fmt.Sprint("c", i)
			b := newGraph(c)
			k := c + "-k"
			b.entity(k, "contract")
			b.edge(c, "contract", k)
			b.cat(k, p, value)
			b.cat(k, q, value)
			b.add(k, q, "v"+c, kg.Literal, kg.ClassValue)
			m.Add(b.g)
		}
		res, err := m.Mine(context.Background())
		require.NoError(t, err)
		text := tsv(t, res)
		parsed, diags := rules.ParseTSV("mined.tsv", []byte(text), "")
		require.NoError(t, diags.Err(), text)
		require.Len(t, parsed, len(res.Rules), text)
		for i, r := range parsed {
			require.Equal(t, res.Rules[i].Pattern(), r.Pattern())
		}
		_, err = rules.Compile(parsed)
		require.NoError(t, err)
	})
}
