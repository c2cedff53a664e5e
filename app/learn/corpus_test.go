package learn_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/embed"
)

func TestBuildKG(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	writeRecords(t, st, generated(t, 20, 0, 1))

	b, skipped, err := learn.BuildKG(ctx, st, learn.CorpusConfig{})
	require.NoError(t, err)
	require.Zero(t, skipped)
	require.Equal(t, 20, b.Records)
	require.Positive(t, b.Learnable)
	require.Less(t, b.Learnable, b.Triples, "ids, numbers and dates are left out")
	c, err := st.CorpusFingerprint(ctx)
	require.NoError(t, err)
	require.Equal(t, c.Fingerprint, b.Fingerprint)

	stats, err := st.KGStats(ctx, 5)
	require.NoError(t, err)
	require.Equal(t, b.Triples, stats.Triples)
	require.Equal(t, b.Learnable, stats.Learning.Triples)
	require.Len(t, stats.Learning.TopRelations, 5)
	var inBuckets int64
	for _, d := range stats.Learning.Degrees {
		inBuckets += d.Entities
	}
	require.Equal(t, stats.Learning.Entities, inBuckets)

	again, _, err := learn.BuildKG(ctx, st, learn.CorpusConfig{})
	require.NoError(t, err)
	require.Equal(t, b.Fingerprint, again.Fingerprint, "same corpus, same fingerprint")
	require.Equal(t, b.Triples, again.Triples, "a rebuild replaces the graph")

	strict, _, err := learn.BuildKG(ctx, st, learn.CorpusConfig{MaxCategoryValues: 2})
	require.NoError(t, err)
	require.Less(t, strict.Learnable, b.Learnable, "a lower cut-off leaves more predicates out")
}

func TestImportDataset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	triples := []embed.NamedTriple{{Head: "a", Relation: "r", Tail: "b"}, {Head: "b", Relation: "s", Tail: "c"}, {Head: "c", Relation: "r", Tail: "a"}, {Head: "a", Relation: "s", Tail: "c"}, {Head: "b", Relation: "r", Tail: "a"}}
	ds, err := embed.NewDataset(triples[:3], triples[3:4], triples[4:], embed.DatasetOptions{})
	require.NoError(t, err)
	b, err := learn.ImportDataset(ctx, st, ds)
	require.NoError(t, err)
	require.EqualValues(t, 5, b.Triples)
	require.EqualValues(t, 5, b.Learnable)
	require.Equal(t, learn.DatasetFingerprint(ds), b.Fingerprint)
	cg, err := learn.LoadCorpusGraph(ctx, st)
	require.NoError(t, err)
	require.ElementsMatch(t, triples, cg.Triples)
}
