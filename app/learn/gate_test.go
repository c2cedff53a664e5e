package learn_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/mine"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/internal/testkit"
	"github.com/pff/pff/store"
)

// noQueue is a learn.Queue for tests that enqueue nothing.
type noQueue struct{}

func (noQueue) EnqueueGraphBuild(context.Context, int) (learn.Queued, error) {
	return learn.Queued{}, nil
}
func (noQueue) EnqueueTraining(context.Context, string, learn.Hyperparameters, string) (learn.Queued, error) {
	return learn.Queued{}, nil
}
func (noQueue) EnqueueMining(context.Context, mine.Config, string) (learn.Queued, error) {
	return learn.Queued{}, nil
}
func (noQueue) EnqueueConstraintLearning(context.Context, constraints.Config, string) (learn.Queued, error) {
	return learn.Queued{}, nil
}

// trainSmall trains a small model on 60 clean records and stores 20 more
// it never sees.
func trainSmall(t *testing.T) (*store.Store, store.Model) {
	t.Helper()
	ctx := context.Background()
	st := newStore(t)
	writeRecords(t, st, generated(t, 60, 0, 4))
	_, _, err := learn.BuildKG(ctx, st, learn.CorpusConfig{})
	require.NoError(t, err)
	hp := quick
	hp.Epochs = 30
	m, err := learn.Train(ctx, st, learn.TrainRequest{Hyperparameters: hp})
	require.NoError(t, err)
	writeRecords(t, st, generated(t, 20, 0, 77))
	m, err = st.ModelByVersion(ctx, m.Version)
	require.NoError(t, err)
	return st, m
}

// TestQualityGate measures a model on records it did not train on, refuses
// to activate one that flags too many clean records unless forced, keeps
// the figures with the model, and deactivates back to no model; and its
// probabilities are one distribution per fact (one model for both, to
// train once).
func TestQualityGate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, m := trainSmall(t)
	t.Run("one distribution", func(t *testing.T) { probabilitiesAreOneDistribution(t, st, m) })

	q, err := learn.MeasureQuality(ctx, st, m, learn.PlausibilityConfig{}, learn.GateConfig{Now: gen.DefaultNow})
	require.NoError(t, err)
	require.GreaterOrEqual(t, q.Records, 20, "the records stored after training, and those held out of it")
	require.Len(t, q.Recall, len(gen.Kinds()))
	for kind, r := range q.Recall {
		require.LessOrEqual(t, r.Found, r.Injected, kind)
		require.Positive(t, r.Injected, kind)
	}
	require.Positive(t, q.Facts)
	require.Positive(t, q.Scale)
	require.NotEmpty(t, q.Reliability)
	require.GreaterOrEqual(t, q.ECE, 0.0)
	require.Equal(t, q.CleanRate <= 0.01, q.Passed)

	activated := 0
	newService := func(pc learn.PlausibilityConfig) *learn.Service {
		s, err := learn.NewService(learn.ServiceConfig{Store: st, Queue: noQueue{}, Activated: func() { activated++ },
			Plausibility: pc, Gate: learn.GateConfig{Now: gen.DefaultNow, Records: 8}})
		require.NoError(t, err)
		return s
	}
	// A model that doubts nearly everything fails the gate.
	strict := newService(learn.PlausibilityConfig{MinConfidence: 1e-6})
	_, err = strict.Activate(ctx, learn.ActivateRequest{Version: m.Version})
	p, ok := problem.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, "quality_gate", p.Code)
	failed := p.Details.(learn.Quality)
	require.False(t, failed.Passed)
	require.Greater(t, failed.CleanRate, 0.01)
	require.Zero(t, activated)
	stored, err := st.ModelByVersion(ctx, m.Version)
	require.NoError(t, err)
	require.Equal(t, store.ModelReady, stored.State)
	kept, ok := learn.QualityOf(stored)
	require.True(t, ok, "the figures are kept with the model")
	require.Equal(t, failed.CleanFlagged, kept.CleanFlagged)

	a, err := strict.Activate(ctx, learn.ActivateRequest{Version: m.Version, Force: true})
	require.NoError(t, err)
	require.True(t, a.Forced)
	require.Equal(t, store.ModelActive, a.Model.State)
	require.Equal(t, 1, activated)

	// Back to rules only.
	s := newService(learn.PlausibilityConfig{})
	old, was, err := s.Deactivate(ctx)
	require.NoError(t, err)
	require.True(t, was)
	require.Equal(t, m.Version, old.Version)
	require.Equal(t, 2, activated)
	_, was, err = s.Deactivate(ctx)
	require.NoError(t, err)
	require.False(t, was)
	_, err = st.ActiveModel(ctx)
	require.ErrorIs(t, err, store.ErrNotFound)

	// Measured again with the default threshold.
	q, err = s.Measure(ctx, m.Version)
	require.NoError(t, err)
	if q.Passed {
		a, err = s.Activate(ctx, learn.ActivateRequest{Version: m.Version})
		require.NoError(t, err)
		require.False(t, a.Forced)
	}
}

// probabilitiesAreOneDistribution: a finding's probability of being wrong
// is the sum of the other values' probabilities, so no suggestion is
// likelier than the doubt, and the production records, which the small
// model never saw, are never doubted at the default threshold.
func probabilitiesAreOneDistribution(t *testing.T, st *store.Store, m store.Model) {
	ctx := context.Background()
	loose, err := learn.LoadPlausibility(ctx, st, m, learn.PlausibilityConfig{MinConfidence: 1e-9, MaxFindings: 1000, Alternatives: 1000})
	require.NoError(t, err)
	strict, err := learn.LoadPlausibility(ctx, st, m, learn.PlausibilityConfig{})
	require.NoError(t, err)
	docs := [][]byte{generated(t, 1, 0, 99)[0].Doc}
	for _, r := range testkit.RealRecords() {
		docs = append(docs, r.Doc)
	}
	for i, doc := range docs {
		g, err := kg.Builder{Now: gen.DefaultNow()}.Build(doc)
		require.NoError(t, err)
		a, err := loose.Assess(ctx, g)
		require.NoError(t, err)
		require.Positive(t, a.Scored+a.Abstained)
		for _, f := range a.Findings {
			var sum float64
			for _, alt := range f.Alternatives {
				require.LessOrEqual(t, alt.Probability, f.Confidence+1e-9, f.Description)
				sum += alt.Probability
			}
			require.InDelta(t, f.Confidence, sum, 1e-6, "all other values make up the doubt: %s", f.Description)
		}
		if i > 0 {
			a, err := strict.Assess(ctx, g)
			require.NoError(t, err)
			require.Empty(t, a.Findings, "a production record: %v", a.Findings)
			require.Positive(t, a.Abstained, "values no generated record has are abstained on")
		}
	}
}
