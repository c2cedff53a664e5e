package knowledge_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/store"
)

// TestRulesThatCanNeverFire: uploading a rule set warns, at each rule's
// line, about constants and predicates the corpus never holds and about
// rules no stored record applies to.
func TestRulesThatCanNeverFire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	recs, err := gen.Generate(gen.Config{N: 20, Seed: 8})
	require.NoError(t, err)
	batch := make([]store.NewRecord, 0, len(recs))
	for _, r := range recs {
		nr, err := records.Prepare(ingest.Document{Data: r.Doc, Source: r.FileName()})
		require.NoError(t, err)
		batch = append(batch, nr)
	}
	_, err = st.WriteRecords(ctx, batch, nil)
	require.NoError(t, err)
	src, err := knowledge.NewSource(knowledge.SourceConfig{Store: st})
	require.NoError(t, err)
	lib := knowledge.NewLibrary(st.Store, src, nil)

	const set = "5\t5\t1\tpaymentContext(X,'Postpaid') <= status(X,'active')\n" +
		"5\t5\t1\tstatus(X,'ContractActive') <= type(X,'contract')\n" +
		"5\t5\t1\tstatus(X,'ContractActive') <= contrat(X,Y)\n" +
		"5\t5\t1\tstatus(X,'ContractActive') <= type(X,'product'), paymentContext(X,'Postpaid')\n"
	created, err := lib.Create(ctx, knowledge.KindRules, knowledge.CreateRequest{Name: "ops", Content: set}, "user:test")
	require.NoError(t, err, "warnings do not refuse a rule set")
	require.Len(t, created.Notes, 4)
	require.Contains(t, created.Notes[0].Message, "no corpus graph is built")
	lines := map[int]string{}
	for _, n := range created.Notes[1:] {
		require.Equal(t, "warning", n.Severity)
		lines[n.Line] = n.Message
	}
	require.Contains(t, lines[1], "never applied to any of the 20 stored records")
	require.Contains(t, lines[3], "never applied")
	require.Contains(t, lines[4], "never applied")

	_, _, err = learn.BuildKG(ctx, st.Store, learn.CorpusConfig{})
	require.NoError(t, err)
	diags := knowledge.LintAgainstCorpus(ctx, st.Store, "ops.tsv", []byte(set), 0)
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	require.Len(t, got, 3, strings.Join(got, "\n"))
	require.Contains(t, got[0], "ops.tsv:1:")
	require.Contains(t, got[0], "constant 'active' never occurs as the object of status")
	require.Contains(t, got[0], "can never apply")
	require.Contains(t, got[1], "ops.tsv:3:")
	require.Contains(t, got[1], "predicate contrat never occurs")
	require.Contains(t, got[2], "ops.tsv:4:")
	require.Contains(t, got[2], "never applied to any of the 20 stored records")
}
