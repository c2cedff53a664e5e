package embed

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// lineModel puts entities on a line at the given positions, with one
// relation that translates by +1, so that distances are easy to work out by hand.
func lineModel(t *testing.T, positions ...float32) *Model {
	t.Helper()
	m, err := NewModel(L1, 1, positions, []float32{1})
	require.NoError(t, err)
	return m
}

func TestEvaluateHandComputedRanks(t *testing.T) {
	t.Parallel()
	// Entities 0…4 at 0, 1, 2, 2, 3; r = +1.
	m := lineModel(t, 0, 1, 2, 2, 3)
	test := []Triple{{0, 0, 1}, {0, 0, 2}}
	known := NewFilter([]Triple{{0, 0, 1}, {1, 0, 2}}, test)

	// Raw ranks. (0, r, 1): the tail query's anchor 0+1 = 1 hits entity 1
	// exactly: rank 1; the head query's anchor 1−1 = 0 hits entity 0: rank 1.
	// (0, r, 2): the tail anchor is 1, at distances 1, 0, 1, 1, 2 from the
	// entities; the answer 2 is at 1, entity 1 is nearer and 0 and 3 tie with
	// it: rank 1 + 1 + 2/2 = 3. The head anchor 2−1 = 1 is at the same
	// distances, the answer 0 at 1: again 1 + 1 + 2/2 = 3.
	raw, err := m.Evaluate(context.Background(), test, EvalConfig{Workers: 2})
	require.NoError(t, err)
	requireMetrics(t, []float64{1, 1, 3, 3}, raw)

	// Filtered, (0, r, 2)'s tail query drops entity 1 (as (0, r, 1) is known):
	// rank 1 + 0 + 2/2 = 2. Its head query drops entity 1 (as (1, r, 2) is
	// known): rank 2 as well.
	filtered, err := m.Evaluate(context.Background(), test, EvalConfig{Filter: known, Workers: 1})
	require.NoError(t, err)
	requireMetrics(t, []float64{1, 1, 2, 2}, filtered)
}

func requireMetrics(t *testing.T, ranks []float64, got Metrics) {
	t.Helper()
	var want Metrics
	for _, r := range ranks {
		want.MRR += 1 / r / float64(len(ranks))
		want.MR += r / float64(len(ranks))
		for k, hits := range map[float64]*float64{1: &want.Hits1, 3: &want.Hits3, 10: &want.Hits10} {
			if r <= k {
				*hits += 1 / float64(len(ranks))
			}
		}
	}
	require.InDelta(t, want.MRR, got.MRR, 1e-12)
	require.InDelta(t, want.MR, got.MR, 1e-12)
	require.InDelta(t, want.Hits1, got.Hits1, 1e-12)
	require.InDelta(t, want.Hits3, got.Hits3, 1e-12)
	require.InDelta(t, want.Hits10, got.Hits10, 1e-12)
	require.Equal(t, len(ranks), got.Queries)
}

func TestRankOfTies(t *testing.T) {
	t.Parallel()
	tail := func(k Triple) int32 { return k.Tail }
	tests := []struct {
		name   string
		dists  []float32
		answer int32
		known  []Triple
		want   float64
	}{
		{name: "alone in front", dists: []float32{3, 1, 2}, answer: 1, want: 1},
		{name: "all tied", dists: []float32{2, 2, 2, 2}, answer: 0, want: 2.5}, // mean of ranks 1…4
		{name: "behind two, tied with one", dists: []float32{1, 1, 5, 5, 9}, answer: 3, want: 3.5},
		{name: "filtered nearer and tied", dists: []float32{1, 1, 5, 5, 9}, answer: 3,
			known: []Triple{{Tail: 0}, {Tail: 2}, {Tail: 3}}, want: 2}, // the answer's own triple is skipped
		{name: "filtered farther changes nothing", dists: []float32{1, 4, 9}, answer: 1,
			known: []Triple{{Tail: 2}}, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, rankOf(tt.dists, tt.answer, tt.known, tail))
		})
	}
}

func TestEvaluateBlocksAndWorkersMatchPlainRanking(t *testing.T) {
	t.Parallel()
	const entities = 50
	m := randomModel(3, L2, entities, 4, 8)
	rng := newRNG(9)
	var test []Triple
	for range 37 { // not a multiple of the block size
		test = append(test, Triple{int32(rng.intn(entities)), int32(rng.intn(4)), int32(rng.intn(entities))})
	}
	filter := NewFilter(test[:10])
	got, err := m.Evaluate(context.Background(), test, EvalConfig{Filter: filter, Workers: 3})
	require.NoError(t, err)

	var ranks []float64
	distances := func(anchor []float32) []float32 {
		d := make([]float32, entities)
		for e := range d {
			d[e] = l2(anchor, m.Entity(int32(e)))
		}
		return d
	}
	anchor := make([]float32, m.Dim())
	for _, tr := range test {
		add(anchor, m.Entity(tr.Head), m.Relation(tr.Relation))
		ranks = append(ranks, rankOf(distances(anchor), tr.Tail, filter.tails(tr.Head, tr.Relation), func(k Triple) int32 { return k.Tail }))
		sub(anchor, m.Entity(tr.Tail), m.Relation(tr.Relation))
		ranks = append(ranks, rankOf(distances(anchor), tr.Head, filter.heads(tr.Relation, tr.Tail), func(k Triple) int32 { return k.Head }))
	}
	requireMetrics(t, ranks, got)
}

func TestEvaluateErrors(t *testing.T) {
	t.Parallel()
	m := lineModel(t, 0, 1)
	_, err := m.Evaluate(context.Background(), []Triple{{0, 0, 2}}, EvalConfig{})
	require.ErrorContains(t, err, "entity out of range")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = m.Evaluate(ctx, []Triple{{0, 0, 1}}, EvalConfig{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestFilter(t *testing.T) {
	t.Parallel()
	f := NewFilter([]Triple{{1, 0, 2}, {1, 0, 3}, {1, 1, 2}}, []Triple{{4, 0, 2}, {1, 0, 2}})
	require.True(t, f.Contains(Triple{1, 0, 3}))
	require.False(t, f.Contains(Triple{3, 0, 1}))
	require.Equal(t, []Triple{{1, 0, 2}, {1, 0, 3}}, f.tails(1, 0))
	require.Equal(t, []Triple{{1, 0, 2}, {4, 0, 2}}, f.heads(0, 2))
	require.Empty(t, f.tails(2, 0))
	require.Empty(t, f.heads(1, 3))
}
