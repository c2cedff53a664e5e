package embed

import (
	"context"
	"slices"
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

func TestEvaluateTies(t *testing.T) {
	t.Parallel()
	// Entity 0 sits at −1000 and the relation is +1000, so the tail query of
	// (0, r, answer) has its anchor at 0 and ranks every other entity by its
	// position, while entity 0 itself is far away.
	tests := []struct {
		name      string
		positions []float32 // of entities 1, 2, …
		answer    int32
		known     []int32 // other true tails of (0, r, ·)
		want      float64
	}{
		{name: "alone in front", positions: []float32{3, 1, 2}, answer: 2, want: 1},
		{name: "all tied", positions: []float32{2, 2, 2, 2}, answer: 1, want: 2.5}, // mean of ranks 1…4
		{name: "behind two, tied with one", positions: []float32{1, 1, 5, 5, 9}, answer: 4, want: 3.5},
		{name: "filtered nearer and tied", positions: []float32{1, 1, 5, 5, 9}, answer: 4,
			known: []int32{1, 3}, want: 2},
		{name: "filtered farther changes nothing", positions: []float32{1, 4, 9}, answer: 2,
			known: []int32{3}, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := lineModel(t, append([]float32{-1000}, tt.positions...)...)
			m.relations[0] = 1000
			test := []Triple{{0, 0, tt.answer}}
			known := []Triple{test[0]}
			for _, k := range tt.known {
				known = append(known, Triple{0, 0, k})
			}
			metrics, err := m.Evaluate(context.Background(), test, EvalConfig{Filter: NewFilter(known)})
			require.NoError(t, err)
			// The head query's anchor is the answer's position − 1000, which is
			// nearest to entity 0 for all of these positions: rank 1.
			requireMetrics(t, []float64{tt.want, 1}, metrics)
		})
	}
}

// plainRank ranks answer among all distances the obvious way, as the
// reference for the blocked, early-exiting ranking.
func plainRank(dists []float32, answer int32, known []int32) float64 {
	d := dists[answer]
	var nearer, ties int
	for id, x := range dists {
		if int32(id) == answer || slices.Contains(known, int32(id)) {
			continue
		}
		if x < d {
			nearer++
		} else if x == d {
			ties++
		}
	}
	return 1 + float64(nearer) + float64(ties)/2
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
		var tails, heads []int32
		for _, k := range filter.tails(tr.Head, tr.Relation) {
			tails = append(tails, k.Tail)
		}
		for _, k := range filter.heads(tr.Relation, tr.Tail) {
			heads = append(heads, k.Head)
		}
		add(anchor, m.Entity(tr.Head), m.Relation(tr.Relation))
		ranks = append(ranks, plainRank(distances(anchor), tr.Tail, tails))
		sub(anchor, m.Entity(tr.Tail), m.Relation(tr.Relation))
		ranks = append(ranks, plainRank(distances(anchor), tr.Head, heads))
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
