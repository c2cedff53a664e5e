package embed

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomGraph returns triples over n entities and r relations with some
// duplicates and self-loops, the kind of mess a real graph holds.
func randomGraph(seed uint64, entities, relations, triples int) []NamedTriple {
	rng := newRNG(seed)
	out := make([]NamedTriple, triples)
	for i := range out {
		out[i] = NamedTriple{
			Head:     fmt.Sprint("e", rng.intn(entities)),
			Relation: fmt.Sprint("r", rng.intn(relations)),
			Tail:     fmt.Sprint("e", rng.intn(entities)),
		}
	}
	return out
}

func TestSplitTriplesIsLeakFree(t *testing.T) {
	t.Parallel()
	for seed := range uint64(5) {
		triples := randomGraph(seed, 300, 7, 2000)
		ds, err := SplitTriples(triples, SplitConfig{Seed: seed, ValidFraction: 0.15, TestFraction: 0.1})
		require.NoError(t, err)

		train := make(map[NamedTriple]bool)
		trainEntities, trainRelations := make(map[string]bool), make(map[string]bool)
		for _, tr := range ds.Train {
			n := ds.Named(tr)
			train[n] = true
			trainEntities[n.Head], trainEntities[n.Tail], trainRelations[n.Relation] = true, true, true
		}
		seen := make(map[NamedTriple]bool)
		for _, split := range [][]Triple{ds.Valid, ds.Test} {
			for _, tr := range split {
				n := ds.Named(tr)
				require.False(t, train[n], "held-out %v is in train", n)
				require.False(t, seen[n], "%v is held out twice", n)
				seen[n] = true
				require.True(t, trainEntities[n.Head] && trainEntities[n.Tail] && trainRelations[n.Relation], "%v has a name unseen in train", n)
			}
		}

		distinct := slices.Clone(triples)
		slices.SortFunc(distinct, compareNamed)
		distinct = slices.Compact(distinct)
		require.Equal(t, len(distinct), len(ds.Train)+len(ds.Valid)+len(ds.Test), "every distinct triple lands in one split")
		require.InDelta(t, 0.15*float64(len(distinct)), len(ds.Valid), 1)
		require.InDelta(t, 0.10*float64(len(distinct)), len(ds.Test), 1)
	}
}

func TestSplitTriplesIsDeterministic(t *testing.T) {
	t.Parallel()
	triples := randomGraph(1, 100, 4, 600)
	a, err := SplitTriples(triples, SplitConfig{Seed: 42})
	require.NoError(t, err)

	reversed := slices.Clone(triples)
	slices.Reverse(reversed)
	b, err := SplitTriples(reversed, SplitConfig{Seed: 42})
	require.NoError(t, err)
	require.Equal(t, a, b, "the split must not depend on input order")

	c, err := SplitTriples(triples, SplitConfig{Seed: 43})
	require.NoError(t, err)
	require.NotEqual(t, a.Test, c.Test, "another seed, another split")
}

func TestSplitTriplesKeepsSparseGraphsTrainable(t *testing.T) {
	t.Parallel()
	// A chain: every triple but the interior ones holds the only mention of an
	// end entity, so few can be held out.
	triples := []NamedTriple{{"a", "r", "b"}, {"b", "r", "c"}, {"c", "r", "d"}, {"d", "r", "e"}}
	ds, err := SplitTriples(triples, SplitConfig{ValidFraction: 0.5, TestFraction: -1})
	require.NoError(t, err)
	require.Empty(t, ds.Test)
	require.Len(t, ds.Valid, 1, "holding out b→c or c→d leaves the other one as the last mention of c")
	for _, tr := range ds.Valid {
		n := ds.Named(tr)
		require.NotContains(t, []string{"a", "e"}, n.Head)
		require.NotContains(t, []string{"a", "e"}, n.Tail)
	}
}

func TestSplitTriplesErrors(t *testing.T) {
	t.Parallel()
	_, err := SplitTriples(nil, SplitConfig{})
	require.ErrorContains(t, err, "no triples")
	_, err = SplitTriples([]NamedTriple{{"a", "r", "b"}}, SplitConfig{ValidFraction: 0.6, TestFraction: 0.5})
	require.ErrorContains(t, err, "leave nothing to train on")
	_, err = SplitTriples([]NamedTriple{{"a", "r", "b"}, {"a", "", "b"}}, SplitConfig{})
	require.ErrorContains(t, err, "triple 1: empty name")
}

func TestSplitIndexedIsLeakFreeAndDeterministic(t *testing.T) {
	t.Parallel()
	named := randomGraph(3, 300, 7, 2000)
	var ents, rels Vocab
	indexed := make([]Triple, len(named))
	for i, n := range named {
		indexed[i] = Triple{ents.add(n.Head), rels.add(n.Relation), ents.add(n.Tail)}
	}
	split := func() ([]Triple, []Triple, []Triple) {
		train, valid, test, err := SplitIndexed(slices.Clone(indexed), ents.Len(), rels.Len(), SplitConfig{Seed: 9, ValidFraction: 0.15})
		require.NoError(t, err)
		return slices.Clone(train), valid, test
	}
	train, valid, test := split()
	train2, valid2, test2 := split()
	require.Equal(t, train, train2)
	require.Equal(t, valid, valid2)
	require.Equal(t, test, test2)

	inTrain := map[Triple]bool{}
	entities, relations := map[int32]bool{}, map[int32]bool{}
	for _, tr := range train {
		inTrain[tr] = true
		entities[tr.Head], entities[tr.Tail], relations[tr.Relation] = true, true, true
	}
	held := map[Triple]bool{}
	for _, tr := range slices.Concat(valid, test) {
		require.False(t, inTrain[tr] || held[tr], "%v is held out twice or trained on", tr)
		held[tr] = true
		require.True(t, entities[tr.Head] && entities[tr.Tail] && relations[tr.Relation])
	}
	distinct := slices.Clone(indexed)
	slices.SortFunc(distinct, compareByHead)
	require.Len(t, slices.Compact(distinct), len(train)+len(valid)+len(test))
	require.InDelta(t, 0.15*float64(len(distinct)), len(valid), 1)

	ds, err := NewIndexedDataset(ents.Names(), rels.Names(), train, valid, test)
	require.NoError(t, err)
	require.Equal(t, named[0], ds.Named(indexed[0]))
	_, err = NewIndexedDataset([]string{"a", "a"}, []string{"r"}, []Triple{{0, 0, 1}}, nil, nil)
	require.ErrorContains(t, err, "twice")
	_, err = NewIndexedDataset([]string{"a"}, []string{"r"}, []Triple{{0, 0, 1}}, nil, nil)
	require.ErrorContains(t, err, "range")
}
