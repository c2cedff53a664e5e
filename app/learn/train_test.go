package learn_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

// quick trains in a second or two, also under the race detector.
var quick = learn.Hyperparameters{Dim: 16, Epochs: 15, Negatives: 4, BatchSize: 128, EvalEvery: -1, Seed: 3}

func TestTrainOnCorpusAndPredict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	writeRecords(t, st, generated(t, 40, 0, 2))
	_, _, err := learn.BuildKG(ctx, st, learn.CorpusConfig{})
	require.NoError(t, err)

	var epochs []int
	m, err := learn.Train(ctx, st, learn.TrainRequest{Hyperparameters: quick, CreatedBy: "test",
		Progress: func(p embed.Progress) {
			if !p.Partial() {
				epochs = append(epochs, p.Epoch)
			}
		}})
	require.NoError(t, err)
	require.Equal(t, 15, len(epochs))
	m, err = st.ModelByVersion(ctx, m.Version)
	require.NoError(t, err)
	require.Equal(t, store.ModelReady, m.State)
	require.Equal(t, "corpus", m.Source)
	require.Positive(t, m.Entities)

	var metrics learn.TrainMetrics
	require.NoError(t, json.Unmarshal(m.Metrics, &metrics))
	require.NotNil(t, metrics.Test)
	require.Positive(t, metrics.Test.MRR)
	require.Positive(t, metrics.CalibrationRecords)
	require.Len(t, metrics.History, 15, "an entry per epoch")
	require.Equal(t, 15, metrics.History[14].Epoch)
	var phases []string
	for _, p := range metrics.Phases {
		phases = append(phases, p.Name)
	}
	require.Equal(t, []string{"load", "train", "evaluate", "calibrate"}, phases)
	var cal learn.Calibrations
	require.NoError(t, json.Unmarshal(m.Calibration, &cal))
	require.NotNil(t, cal.Direct)
	require.NotNil(t, cal.Records)
	var progress learn.TrainProgress
	require.NoError(t, json.Unmarshal(m.Progress, &progress))
	require.Equal(t, "done", progress.Phase)
	require.Len(t, progress.Phases, 5, "the save too")

	_, err = st.ActivateModel(ctx, m.Version)
	require.NoError(t, err)
	active, err := st.ActiveModel(ctx)
	require.NoError(t, err)
	require.Equal(t, m.ID, active.ID)

	// A fact of the corpus and its completions.
	ts, err := st.LearningTriples(ctx)
	require.NoError(t, err)
	i := slices.IndexFunc(ts, func(t store.KGTriple) bool { return t.Predicate == kg.PredStatus })
	fact := embed.NamedTriple{Head: ts[i].Subject, Relation: ts[i].Predicate, Tail: ts[i].Object}
	p := learn.Predictor{Store: st}
	scored, err := p.Score(ctx, active, []embed.NamedTriple{fact})
	require.NoError(t, err)
	require.InDelta(t, 0.5, scored[0].Probability, 0.5)
	_, err = p.Score(ctx, active, []embed.NamedTriple{{Head: "nobody", Relation: fact.Relation, Tail: fact.Tail}})
	require.ErrorIs(t, err, learn.ErrUnknown)

	tails, err := p.Complete(ctx, active, fact.Head, fact.Relation, true, 5, false)
	require.NoError(t, err)
	require.Len(t, tails, 5)
	filtered, err := p.Complete(ctx, active, fact.Head, fact.Relation, true, 5, true)
	require.NoError(t, err)
	for _, c := range filtered {
		require.False(t, c.Known)
		require.NotEqual(t, fact.Tail, c.Entity)
	}
	heads, err := p.Complete(ctx, active, fact.Tail, fact.Relation, false, 3, false)
	require.NoError(t, err)
	require.Len(t, heads, 3)
	similar, err := p.Similar(ctx, active, fact.Head, 4)
	require.NoError(t, err)
	require.Len(t, similar, 4)
	for _, n := range similar {
		require.NotEqual(t, fact.Head, n.Entity)
	}

	// The active model cannot be deleted; another can, with its index.
	require.ErrorIs(t, st.DeleteModel(ctx, m.Version), store.ErrModelActive)
}

func TestPlausibilityDoubtsFaultyFacts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	writeRecords(t, st, generated(t, 60, 0, 4))
	_, _, err := learn.BuildKG(ctx, st, learn.CorpusConfig{})
	require.NoError(t, err)
	hp := quick
	hp.Epochs = 30
	m, err := learn.Train(ctx, st, learn.TrainRequest{Hyperparameters: hp})
	require.NoError(t, err)
	m, err = st.ModelByVersion(ctx, m.Version)
	require.NoError(t, err)

	p, err := learn.LoadPlausibility(ctx, st, m, learn.PlausibilityConfig{MinConfidence: 0.01, MaxFindings: 1000})
	require.NoError(t, err)
	require.Equal(t, m.Version, p.Version())
	rec := generated(t, 1, 0, 99)[0]
	g, err := kg.Build(rec.Doc)
	require.NoError(t, err)
	a, err := p.Assess(ctx, g)
	require.NoError(t, err)
	require.Positive(t, a.Scored, "an unseen record's categorical facts are scored by fold-in")
	for _, f := range a.Findings {
		require.NotEmpty(t, f.Alternatives)
		require.GreaterOrEqual(t, f.Confidence, 0.01)
		require.Contains(t, f.Description, "records like it say")
	}
}
