package embed

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomModel returns a model with uniform random embeddings.
func randomModel(seed uint64, norm Norm, entities, relations, dim int) *Model {
	rng := newRNG(seed)
	m := &Model{dim: dim, norm: norm, entities: make([]float32, entities*dim), relations: make([]float32, relations*dim)}
	for _, p := range [][]float32{m.entities, m.relations} {
		for i := range p {
			p[i] = 2*rng.float32() - 1
		}
	}
	return m
}

func TestModelDistance(t *testing.T) {
	t.Parallel()
	l1Model, err := NewModel(L1, 2, []float32{0, 0, 3, 4}, []float32{1, 1})
	require.NoError(t, err)
	d, err := l1Model.Distance(Triple{0, 0, 1}) // |0+1−3| + |0+1−4|
	require.NoError(t, err)
	require.Equal(t, float32(5), d)

	l2Model, err := NewModel(L2, 2, []float32{0, 0, 3, 4}, []float32{0, 0})
	require.NoError(t, err)
	d, err = l2Model.Distance(Triple{0, 0, 1})
	require.NoError(t, err)
	require.Equal(t, float32(5), d)

	_, err = l1Model.Distance(Triple{0, 1, 1})
	require.ErrorContains(t, err, "relation out of range")
	require.Nil(t, l1Model.Entity(2))
	require.Equal(t, []float32{3, 4}, l1Model.Entity(1))
}

func TestNewModelErrors(t *testing.T) {
	t.Parallel()
	_, err := NewModel(L1, 0, nil, nil)
	require.ErrorContains(t, err, "dimension")
	_, err = NewModel(L1, 2, []float32{1, 2, 3}, nil)
	require.ErrorContains(t, err, "not multiples")
	_, err = NewModel(Norm(7), 2, nil, nil)
	require.ErrorContains(t, err, "unknown norm")
}

func TestTopTailsAndHeadsMatchFullSort(t *testing.T) {
	t.Parallel()
	for _, norm := range []Norm{L1, L2} {
		m := randomModel(5, norm, 60, 3, 5)
		allBy := func(anchor func(e int32) Triple) []Candidate {
			var all []Candidate
			for e := range int32(60) {
				d, err := m.Distance(anchor(e))
				require.NoError(t, err)
				all = append(all, Candidate{Entity: e, Distance: d})
			}
			slices.SortFunc(all, compareCandidates)
			return all
		}
		tails, err := m.TopTails(7, 2, 10)
		require.NoError(t, err)
		want := allBy(func(e int32) Triple { return Triple{7, 2, e} })
		require.Equal(t, want[:10], tails)

		heads, err := m.TopHeads(1, 9, 100) // more than there are
		require.NoError(t, err)
		wantHeads := allBy(func(e int32) Triple { return Triple{e, 1, 9} })
		for i := range heads { // h + r − t and t − r − h differ in float rounding only
			require.Equal(t, wantHeads[i].Entity, heads[i].Entity)
			require.InDelta(t, wantHeads[i].Distance, heads[i].Distance, 1e-5)
		}
		require.Len(t, heads, 60)
	}
	m := randomModel(1, L1, 4, 1, 2)
	_, err := m.TopTails(4, 0, 1)
	require.ErrorContains(t, err, "entity out of range")
	none, err := m.TopHeads(0, 0, 0)
	require.NoError(t, err)
	require.Empty(t, none)
}

func TestDistanceDoesNotAllocate(t *testing.T) {
	m, err := NewModel(L1, 64, make([]float32, 64*3), make([]float32, 64))
	require.NoError(t, err)
	require.Zero(t, testing.AllocsPerRun(100, func() { _, _ = m.Distance(Triple{0, 0, 1}) }))
}
