package embed

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// gridDataset plants a translation structure: entities are the points of a
// side×side grid and each relation moves by a fixed step, exactly what
// TransE can represent.
func gridDataset(t *testing.T, side int) *Dataset {
	t.Helper()
	steps := map[string][2]int{"right": {1, 0}, "up": {0, 1}, "right2": {2, 0}, "diagonal": {1, 1}, "left": {-1, 0}}
	var triples []NamedTriple
	for x := range side {
		for y := range side {
			for name, s := range steps {
				nx, ny := x+s[0], y+s[1]
				if nx >= 0 && nx < side && ny >= 0 && ny < side {
					triples = append(triples, NamedTriple{fmt.Sprint(x, ",", y), name, fmt.Sprint(nx, ",", ny)})
				}
			}
		}
	}
	ds, err := SplitTriples(triples, SplitConfig{Seed: 1})
	require.NoError(t, err)
	return ds
}

// smallConfig trains quickly on gridDataset, also under the race detector.
func smallConfig() Config {
	return Config{Dim: 16, Norm: L2, Margin: 2, Negatives: 8, Sampler: Uniform, EntityConstraint: UnitBall,
		Optimizer: Adam, LearningRate: 0.02, BatchSize: 64, Epochs: 200, Workers: 1, Seed: 7, EvalEvery: -1}
}

func train(t *testing.T, ds *Dataset, cfg Config) *Result {
	t.Helper()
	tr, err := NewTrainer(ds, cfg)
	require.NoError(t, err)
	res, err := tr.Train(context.Background())
	require.NoError(t, err)
	return res
}

func TestTrainRecoversPlantedTranslations(t *testing.T) {
	t.Parallel()
	ds := gridDataset(t, 10)
	cfg := smallConfig()
	// Unconstrained, since a flat grid does not fit on a sphere.
	cfg.EntityConstraint, cfg.LearningRate, cfg.Epochs = Unconstrained, 0.1, 400
	res := train(t, ds, cfg)
	m, err := res.Model.Evaluate(context.Background(), ds.Test, EvalConfig{Filter: NewFilter(ds.Train, ds.Valid, ds.Test)})
	require.NoError(t, err)
	require.Greater(t, m.MRR, 0.95, "%+v", m)
	require.Greater(t, m.Hits1, 0.9, "%+v", m)
}

func TestEveryVariantLearns(t *testing.T) {
	t.Parallel()
	ds := gridDataset(t, 8)
	filter := NewFilter(ds.Train, ds.Valid, ds.Test)
	untrained, err := NewTrainer(ds, smallConfig())
	require.NoError(t, err)
	before, err := untrained.model.Evaluate(context.Background(), ds.Test, EvalConfig{Filter: filter})
	require.NoError(t, err)
	require.Less(t, before.MRR, 0.2)

	for _, cfg := range []Config{
		func() Config {
			c := smallConfig()
			c.Norm, c.Margin, c.Sampler, c.AdversarialTemperature = L1, 8, Bernoulli, 1
			return c
		}(),
		func() Config { c := smallConfig(); c.Optimizer, c.LearningRate = Adagrad, 0.2; return c }(),
		func() Config { c := smallConfig(); c.Optimizer, c.LearningRate = SGD, 1; return c }(),
		func() Config { c := smallConfig(); c.EntityConstraint = UnitSphere; return c }(),
		func() Config { c := smallConfig(); c.EntityConstraint = EpochSphere; return c }(),
		func() Config { c := smallConfig(); c.Optimizer, c.LearningRate = RowAdagrad, 0.2; return c }(),
		func() Config { c := smallConfig(); c.Optimizer = DenseAdam; return c }(),
		func() Config {
			c := smallConfig()
			c.Loss, c.Norm, c.Margin, c.AdversarialTemperature = Logistic, L1, 1, 1
			return c
		}(),
	} {
		t.Run(fmt.Sprintf("%v/%v/%v/%v/%v", cfg.Loss, cfg.Norm, cfg.Optimizer, cfg.Sampler, cfg.EntityConstraint), func(t *testing.T) {
			t.Parallel()
			res := train(t, ds, cfg)
			m, err := res.Model.Evaluate(context.Background(), ds.Test, EvalConfig{Filter: filter})
			require.NoError(t, err)
			require.Greater(t, m.MRR, 0.5, "%+v", m)
			require.Greater(t, m.Hits10, 0.85, "%+v", m)
		})
	}
}

func TestTrainIsDeterministic(t *testing.T) {
	t.Parallel()
	ds := gridDataset(t, 6)
	for _, workers := range []int{1, 3} {
		cfg := smallConfig()
		cfg.Epochs, cfg.Workers, cfg.AdversarialTemperature = 5, workers, 0.5
		a, b := train(t, ds, cfg), train(t, ds, cfg)
		require.Equal(t, a.Model.entities, b.Model.entities, "workers %d", workers)
		require.Equal(t, a.Model.relations, b.Model.relations, "workers %d", workers)

		cfg.Seed++
		c := train(t, ds, cfg)
		require.NotEqual(t, a.Model.entities, c.Model.entities, "another seed, another model")
	}
}

func TestParallelTrainingIsRaceFree(t *testing.T) {
	t.Parallel()
	// Run with -race: shards write only their own buffers and workers only
	// the rows they own, so the detector has nothing to report.
	ds := gridDataset(t, 6)
	cfg := smallConfig()
	cfg.Epochs, cfg.Workers, cfg.BatchSize, cfg.EvalEvery = 4, 4, 16, 2
	res := train(t, ds, cfg)
	require.Equal(t, 4, res.Epochs)
	require.NotNil(t, res.Valid)
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	t.Parallel()
	ds := gridDataset(t, 6)
	for _, opt := range []Optimizer{Adam, Adagrad, SGD, RowAdagrad, DenseAdam} {
		t.Run(opt.String(), func(t *testing.T) {
			t.Parallel()
			cfg := smallConfig()
			cfg.Optimizer, cfg.Epochs, cfg.EvalEvery, cfg.Patience, cfg.CheckpointEvery = opt, 12, 3, 10, 5
			cfg.LRDecay, cfg.ValidSample, cfg.ReturnLast = 0.7, 9, opt == SGD
			checkpoints := make(map[int][]byte)
			cfg.Checkpoint = func(epoch int, state io.WriterTo) error {
				var buf bytes.Buffer
				_, err := state.WriteTo(&buf)
				checkpoints[epoch] = buf.Bytes()
				return err
			}
			full := train(t, ds, cfg)
			require.Equal(t, []int{5, 10, 12}, slices.Sorted(maps.Keys(checkpoints)))

			for _, from := range []int{5, 10} {
				cfg.Checkpoint = nil
				tr, err := ResumeTrainer(ds, cfg, bytes.NewReader(checkpoints[from]))
				require.NoError(t, err)
				resumed, err := tr.Train(context.Background())
				require.NoError(t, err)
				require.Equal(t, full, resumed, "resumed from epoch %d", from)
			}
		})
	}
}

func TestResumeRejectsMismatches(t *testing.T) {
	t.Parallel()
	ds := gridDataset(t, 5)
	cfg := smallConfig()
	cfg.Epochs = 2
	var checkpoint []byte
	cfg.Checkpoint = func(_ int, state io.WriterTo) error {
		var buf bytes.Buffer
		_, err := state.WriteTo(&buf)
		checkpoint = buf.Bytes()
		return err
	}
	train(t, ds, cfg)
	resume := func(ds *Dataset, cfg Config, data []byte) error {
		_, err := ResumeTrainer(ds, cfg, bytes.NewReader(data))
		return err
	}
	require.NoError(t, resume(ds, cfg, checkpoint))

	other := cfg
	other.Dim = 8
	require.ErrorContains(t, resume(ds, other, checkpoint), "checkpoint has Dim 16, config 8")
	other = cfg
	other.Margin = 3
	require.ErrorContains(t, resume(ds, other, checkpoint), "checkpoint has Margin 2, config 3")
	require.ErrorContains(t, resume(gridDataset(t, 6), cfg, checkpoint), "different dataset")

	corrupt := bytes.Clone(checkpoint)
	corrupt[len(corrupt)/2] ^= 1
	require.ErrorContains(t, resume(ds, cfg, corrupt), "checksum mismatch")
	require.ErrorContains(t, resume(ds, cfg, checkpoint[:len(checkpoint)-10]), "truncated")
	require.ErrorIs(t, resume(ds, cfg, checkpoint[:len(checkpoint)-10]), io.ErrUnexpectedEOF)
	require.ErrorContains(t, resume(ds, cfg, []byte("hello, world")), "not a TransE checkpoint")
}

func TestTrainStopsOnCancel(t *testing.T) {
	t.Parallel()
	ds := gridDataset(t, 6)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := smallConfig()
	cfg.Epochs = 1000
	cfg.Progress = func(p Progress) {
		if p.Epoch == 2 {
			cancel()
		}
	}
	tr, err := NewTrainer(ds, cfg)
	require.NoError(t, err)
	_, err = tr.Train(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "epoch 3")
	require.Equal(t, 2, tr.epoch)

	_, err = tr.Train(context.Background())
	require.ErrorContains(t, err, "interrupted")
}

func TestTrainStopsOnCheckpointError(t *testing.T) {
	t.Parallel()
	cfg := smallConfig()
	cfg.CheckpointEvery = 2
	cfg.Checkpoint = func(int, io.WriterTo) error { return errors.New("disk full") }
	tr, err := NewTrainer(gridDataset(t, 5), cfg)
	require.NoError(t, err)
	_, err = tr.Train(context.Background())
	require.ErrorContains(t, err, "checkpoint after epoch 2: disk full")
}

func TestProgress(t *testing.T) {
	t.Parallel()
	cfg := smallConfig()
	cfg.Epochs, cfg.EvalEvery = 5, 2
	var reports []Progress
	cfg.Progress = func(p Progress) { reports = append(reports, p) }
	res := train(t, gridDataset(t, 6), cfg)
	require.Len(t, reports, 5)
	for i, p := range reports {
		require.Equal(t, i+1, p.Epoch)
		require.Equal(t, 5, p.Epochs)
		require.Positive(t, p.Loss)
		require.GreaterOrEqual(t, p.ETA, time.Duration(0))
		require.Equal(t, p.Epoch%2 == 0 || p.Epoch == 5, p.Valid != nil, "epoch %d", p.Epoch)
	}
	require.Zero(t, reports[4].ETA)
	require.Less(t, reports[4].Loss, reports[0].Loss)
	require.Contains(t, []int{2, 4, 5}, res.BestEpoch)
	require.Equal(t, res.Valid.MRR, max(reports[1].Valid.MRR, reports[3].Valid.MRR, reports[4].Valid.MRR))
}

func TestEarlyStopping(t *testing.T) {
	t.Parallel()
	tr, err := NewTrainer(gridDataset(t, 4), Config{Patience: 2, Dim: 2})
	require.NoError(t, err)
	// Patience 2: the two evaluations after the best at epoch 2 end it.
	for i, mrr := range []float64{0.2, 0.5, 0.4, 0.5} {
		tr.epoch = i + 1
		tr.model.entities[0] = float32(mrr) // marks the model of each epoch
		tr.observe(Metrics{MRR: mrr})
		require.Equal(t, i == 3, tr.early.stopped, "after epoch %d", i+1)
	}
	res := tr.result()
	require.Equal(t, 2, res.BestEpoch, "a tie is no improvement")
	require.Equal(t, float32(0.5), res.Model.entities[0])
	require.Equal(t, 0.5, res.Valid.MRR)
	require.True(t, res.StoppedEarly)
}

func TestValidationScheduleAndLastModel(t *testing.T) {
	t.Parallel()
	ds := gridDataset(t, 8)
	cfg := smallConfig()
	cfg.Epochs, cfg.EvalEvery, cfg.Patience, cfg.ValidSample, cfg.LRDecay = 60, 5, -1, 10, 0.5
	cfg.ProgressInterval = time.Nanosecond
	var epochs, partial int
	var rates []float32
	cfg.Progress = func(p Progress) {
		if p.Partial() {
			partial++
			require.Less(t, p.Batch, p.Batches)
			return
		}
		epochs++
		if p.Valid != nil {
			require.Equal(t, 20, p.Valid.Queries, "10 sampled triples, 2 queries each")
			rates = append(rates, p.LearningRate)
		}
	}
	tr, err := NewTrainer(ds, cfg)
	require.NoError(t, err)
	require.Len(t, tr.valid, 10)
	require.Equal(t, tr.valid, sampleTriples(ds.Valid, 10, cfg.Seed), "a seeded sample")
	res, err := tr.Train(context.Background())
	require.NoError(t, err)
	require.Equal(t, 60, epochs)
	require.Positive(t, partial, "reports within epochs")
	require.True(t, slices.IsSortedFunc(rates, func(a, b float32) int { return -cmp.Compare(a, b) }), "the rate only decays: %v", rates)

	// A sampled filter ranks as the full one does.
	full, err := res.Model.Evaluate(context.Background(), tr.valid, EvalConfig{Filter: NewFilter(ds.Train, ds.Valid, ds.Test)})
	require.NoError(t, err)
	sampled, err := res.Model.Evaluate(context.Background(), tr.valid, EvalConfig{Filter: tr.known})
	require.NoError(t, err)
	require.Equal(t, full, sampled)

	// ReturnLast keeps no copy and returns the last model with its metrics.
	cfg.ReturnLast, cfg.Progress = true, nil
	tr, err = NewTrainer(ds, cfg)
	require.NoError(t, err)
	res, err = tr.Train(context.Background())
	require.NoError(t, err)
	require.Nil(t, tr.early.entities)
	require.Same(t, tr.model, res.Model)
	require.Equal(t, 60, res.BestEpoch)
	last, err := res.Model.Evaluate(context.Background(), tr.valid, EvalConfig{Filter: tr.known})
	require.NoError(t, err)
	require.Equal(t, last, *res.Valid)
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	ds := gridDataset(t, 4)
	for _, cfg := range []Config{
		{Dim: -1}, {Negatives: -2}, {BatchSize: -1}, {Epochs: -1}, {Workers: -1}, {CheckpointEvery: -1},
		{Norm: 9}, {Sampler: 9}, {Optimizer: 9}, {Margin: -1}, {LearningRate: -0.1}, {AdversarialTemperature: -1},
		{ValidSample: -1}, {LRDecay: 1}, {LRDecay: -0.5}, {EntityConstraint: 9},
	} {
		_, err := NewTrainer(ds, cfg)
		require.Error(t, err, "%+v", cfg)
	}
	_, err := NewTrainer(&Dataset{}, Config{})
	require.ErrorContains(t, err, "no training triples")
}
