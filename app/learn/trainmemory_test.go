package learn_test

import (
	"context"
	"fmt"
	"runtime/debug"
	"runtime/metrics"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/embed"
)

// TestTrainPhasesStayInTheirMemoryBudgets trains on a graph of 60,000
// random triples through the corpus path and holds every phase's peak
// memory, above what the process held before, to a budget of a fixed
// allowance plus bytes per triple and per embedding: what the phase must
// hold (ids, not names; a model, its optimizer state and a copy) and no
// more. It is not parallel, so that no other test's memory counts, and it
// is skipped under the race detector, which multiplies memory.
func TestTrainPhasesStayInTheirMemoryBudgets(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("memory budgets are measured without -race and -short")
	}
	ctx := context.Background()
	st := newStore(t)
	const entities, relations, triples, dim = 6_000, 50, 60_000, 32
	ds := randomDataset(t, entities, relations, triples)
	_, err := learn.ImportDataset(ctx, st, ds)
	require.NoError(t, err)

	debug.FreeOSMemory()
	baseline := heldBytes()
	var phases []learn.PhaseStat
	_, err = learn.Train(ctx, st, learn.TrainRequest{
		Hyperparameters: learn.Hyperparameters{Dim: dim, Epochs: 1, Negatives: 4, EvalEvery: 1, Seed: 1},
		Phase:           func(p learn.PhaseStat) { phases = append(phases, p) },
	})
	require.NoError(t, err)

	const mib = 1 << 20
	model := float64(entities * dim * 4)
	budget := map[string]float64{
		// Interned names, 12-byte triples and their growth by append; as
		// strings they took hundreds of bytes each.
		"load": 12*mib + 64*triples,
		// The model, Adagrad's state and the best model's copy; the triples
		// and their order; a filter of only the validation sample's triples.
		"train": 12*mib + 3.5*model + 40*triples,
		// The test ranking's filter holds the triples twice over.
		"evaluate":  12*mib + 2*model + 56*triples,
		"calibrate": 12*mib + 2*model + 56*triples,
		// The rows for COPY share the model's vectors.
		"save": 12*mib + 2*model + 40*triples,
	}
	var names []string
	for _, p := range phases {
		names = append(names, p.Name)
		grown := p.PeakMiB*mib - float64(baseline)
		t.Logf("%-9s %6.2f s, peak %.1f MiB, %.1f MiB over the baseline, budget %.1f MiB", p.Name, p.Seconds, p.PeakMiB, grown/mib, budget[p.Name]/mib)
		require.LessOrEqual(t, grown, budget[p.Name], "phase %s", p.Name)
	}
	require.Equal(t, []string{"load", "train", "evaluate", "calibrate", "save"}, names)
}

// randomDataset is a graph of uniformly random triples over the given
// numbers of entities and relations, split 96/2/2.
func randomDataset(t *testing.T, entities, relations, n int) *embed.Dataset {
	t.Helper()
	rng := uint64(1)
	next := func(k int) int {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return int(rng % uint64(k))
	}
	all := make([]embed.NamedTriple, n)
	for i := range all {
		all[i] = embed.NamedTriple{Head: fmt.Sprint("e", next(entities)), Relation: fmt.Sprint("r", next(relations)), Tail: fmt.Sprint("e", next(entities))}
	}
	ds, err := embed.SplitTriples(all, embed.SplitConfig{ValidFraction: 0.02, TestFraction: 0.02, Seed: 1})
	require.NoError(t, err)
	return ds
}

func heldBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}
