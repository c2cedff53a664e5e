package learn_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
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

// One record must never stop a corpus-wide job: values longer than an index
// key holds (ingest takes strings of up to 1 MiB) are built, stored and
// learned like any other, and a record the builder cannot use is skipped and
// counted.
func TestBuildKGAndTrainSurviveHostileRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	recs := generated(t, 30, 0, 5)
	longID, longKey, longCategory := hexString(1, 12_000), hexString(2, 10_000), "category "+hexString(3, 10_000)
	hostile := []func(doc map[string]any){
		func(doc map[string]any) { doc["externalId"] = longID },
		func(doc map[string]any) { doc[longKey] = "x" },
		// A value that looks categorical, so that it is learned: an entity
		// of the model.
		func(doc map[string]any) { doc["segment"] = longCategory },
	}
	for i, edit := range hostile {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(recs[i].Doc, &doc))
		edit(doc)
		b, err := json.Marshal(doc)
		require.NoError(t, err)
		recs[i].Doc = b
	}
	writeRecords(t, st, recs)
	// Stored before ingest checked for a customer id, say.
	unusable := []byte(`{"id":7}`)
	_, err := st.WriteRecords(ctx, []store.NewRecord{{CustomerID: "unusable", Document: unusable, ContentHash: sha256.Sum256(unusable), MSISDNs: []string{}}}, nil)
	require.NoError(t, err)

	b, skipped, err := learn.BuildKG(ctx, st, learn.CorpusConfig{})
	require.NoError(t, err)
	require.Equal(t, 1, skipped, "the record without a customer id")
	require.Equal(t, 31, b.Records)
	customer := func(i int) string {
		var doc struct{ ID string }
		require.NoError(t, json.Unmarshal(recs[i].Doc, &doc))
		return doc.ID
	}
	objects, err := st.KnownObjects(ctx, customer(0), "externalId", true)
	require.NoError(t, err)
	require.Equal(t, map[string]bool{longID: true}, objects, "the value is kept whole")
	objects, err = st.KnownObjects(ctx, customer(1), longKey, true)
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"x": true}, objects)

	m, err := learn.Train(ctx, st, learn.TrainRequest{Hyperparameters: quick})
	require.NoError(t, err)
	m, err = st.ModelByVersion(ctx, m.Version)
	require.NoError(t, err)
	require.Equal(t, store.ModelReady, m.State)
	vecs, err := st.EntityVectors(ctx, m.ID, []string{longCategory})
	require.NoError(t, err)
	require.Contains(t, vecs, longCategory, "the long value is an entity of the model")
}

// hexString returns n hex digits that do not compress.
func hexString(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, 11))
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return hex.EncodeToString(b)[:n]
}
