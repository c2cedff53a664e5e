//go:build unix

package embed

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/testkit"
)

// The standard benchmarks are opt-in: they need the datasets, which the
// repository does not hold, and they take minutes. Run them with
//
//	PFF_DATASETS=$PWD/../shared/datasets go test -run TestBenchmarkDatasets -v -timeout 2h ./embed
//
// or one dataset with -run TestBenchmarkDatasets/wn18rr. Each trains with
// the hyperparameters below, evaluates on test with the filtered protocol and
// logs quality, time and memory. For tuning, PFF_CONFIG overrides fields of
// the configuration with a JSON object of Config's field names and numeric
// values, e.g. PFF_CONFIG='{"Dim":200,"Epochs":50}'; enums take their
// numbers.

// benchmarkConfigs are the hyperparameters behind the reported figures,
// chosen on the validation splits. Unset fields take their defaults:
// L1, Bernoulli corruption, unit-ball entities, Adagrad at 0.1.
var benchmarkConfigs = map[string]Config{
	"wn18rr": {Dim: 256, Loss: Logistic, Margin: 6, AdversarialTemperature: 1, Negatives: 32,
		BatchSize: 256, Epochs: 300, EvalEvery: 25},
	"umls":    {Dim: 128, Margin: 5, Negatives: 32, BatchSize: 128, Epochs: 300, EvalEvery: 25},
	"nations": {Dim: 128, Margin: 10, Negatives: 32, BatchSize: 64, Epochs: 300, EvalEvery: 25},
}

func TestBenchmarkDatasets(t *testing.T) {
	root := datasetsRoot(t)
	for _, name := range []string{"nations", "umls", "wn18rr"} {
		t.Run(name, func(t *testing.T) {
			cfg := benchmarkConfigs[name]
			cfg.Seed = 1
			overlayConfig(t, &cfg)
			cfg.Progress = func(p Progress) {
				if p.Valid != nil {
					t.Logf("epoch %d: loss %.4f, valid MRR %.4f Hits@10 %.4f, %v elapsed, ETA %v",
						p.Epoch, p.Loss, p.Valid.MRR, p.Valid.Hits10, p.Elapsed.Round(time.Second), p.ETA.Round(time.Second))
				}
			}
			runBenchmark(t, filepath.Join(root, name), cfg)
		})
	}
}

// TestBenchmarkThroughput trains with the defaults of the PyTorch reference
// (../shared/bench/transe_torch.py: dim 128, 32 negatives, batch 1024,
// Adam 0.001, L1, margin 5, uniform corruption, entities rescaled to unit
// length after each epoch and relations at initialisation) for PFF_EPOCHS
// epochs (default 10), so that the two can be run back to back, on WN18RR
// or on the dataset directory PFF_DATASET names:
//
//	PFF_DATASETS=$PWD/../shared/datasets PFF_EPOCHS=10 go test -run TestBenchmarkThroughput -v ./embed
//	python3 transe_torch.py ../shared/datasets/wn18rr --epochs 10
func TestBenchmarkThroughput(t *testing.T) {
	dir := os.Getenv("PFF_DATASET")
	if dir == "" {
		dir = filepath.Join(datasetsRoot(t), "wn18rr")
	}
	epochs := 10
	if s := os.Getenv("PFF_EPOCHS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err, "PFF_EPOCHS")
		epochs = n
	}
	cfg := Config{Dim: 128, Norm: L1, Margin: 5, Negatives: 32, BatchSize: 1024, Epochs: epochs,
		Optimizer: Adam, LearningRate: 0.001, Sampler: Uniform, EntityConstraint: EpochSphere, EvalEvery: -1, Seed: 42}
	overlayConfig(t, &cfg)
	runBenchmark(t, dir, cfg)
}

// overlayConfig overrides the fields of cfg that PFF_CONFIG sets.
func overlayConfig(t *testing.T, cfg *Config) {
	if s := os.Getenv("PFF_CONFIG"); s != "" {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(cfg), "PFF_CONFIG")
	}
}

func datasetsRoot(t *testing.T) string {
	root := os.Getenv("PFF_DATASETS")
	if root == "" {
		t.Skip("set PFF_DATASETS to the directory holding wn18rr, umls and nations")
	}
	return root
}

func runBenchmark(t *testing.T, dir string, cfg Config) {
	// Published WN18RR results rank the test triples with entities unseen in
	// train too; the reference does the same.
	ds, err := LoadDataset(dir, DatasetOptions{AllowUnseen: true})
	require.NoError(t, err)
	t.Logf("%s: %d entities, %d relations, %d/%d/%d triples; config %+v", filepath.Base(dir),
		ds.Entities.Len(), ds.Relations.Len(), len(ds.Train), len(ds.Valid), len(ds.Test), cfg)

	tr, err := NewTrainer(ds, cfg)
	require.NoError(t, err)
	start, cpuStart := time.Now(), testkit.ProcessCPU()
	res, err := tr.Train(context.Background())
	require.NoError(t, err)
	trainWall, trainCPU := time.Since(start), testkit.ProcessCPU()-cpuStart

	start, cpuStart = time.Now(), testkit.ProcessCPU()
	m, err := res.Model.Evaluate(context.Background(), ds.Test, EvalConfig{Filter: NewFilter(ds.Train, ds.Valid, ds.Test), Workers: cfg.Workers})
	require.NoError(t, err)
	evalWall, evalCPU := time.Since(start), testkit.ProcessCPU()-cpuStart

	t.Logf("train: %d epochs (best %d) in %v wall, %v CPU: %.0f positive triples/s wall",
		res.Epochs, res.BestEpoch, trainWall.Round(time.Millisecond), trainCPU.Round(time.Millisecond),
		float64(res.Epochs*len(ds.Train))/trainWall.Seconds())
	t.Logf("test (filtered): MRR %.4f, MR %.1f, Hits@1 %.4f, Hits@3 %.4f, Hits@10 %.4f over %d queries in %v wall, %v CPU",
		m.MRR, m.MR, m.Hits1, m.Hits3, m.Hits10, m.Queries, evalWall.Round(time.Millisecond), evalCPU.Round(time.Millisecond))
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	t.Logf("peak RSS of the test process: %d MB", ru.Maxrss/1024)

	// One JSON line with the keys of the PyTorch reference's, for
	// scripts/bench-transe.sh to compare.
	summary, err := json.Marshal(map[string]any{
		"impl": "pff-embed", "dataset": filepath.Base(dir), "epochs": res.Epochs, "train": len(ds.Train),
		"train_seconds": trainWall.Seconds(), "train_cpu_seconds": trainCPU.Seconds(),
		"triples_per_s": float64(res.Epochs*len(ds.Train)) / trainWall.Seconds(),
		"eval_seconds":  evalWall.Seconds(), "eval_cpu_seconds": evalCPU.Seconds(),
		"mrr": m.MRR, "mr": m.MR, "hits@1": m.Hits1, "hits@3": m.Hits3, "hits@10": m.Hits10,
		"peak_rss_mb": ru.Maxrss / 1024,
	})
	require.NoError(t, err)
	t.Logf("summary: %s", summary)
	if res.Valid != nil {
		t.Logf("best validation (epoch %d): MRR %.4f, Hits@10 %.4f", res.BestEpoch, res.Valid.MRR, res.Valid.Hits10)
	}
}
