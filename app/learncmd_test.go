package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// newCLIStore connects to the database a command test's environment names.
func newCLIStore(t *testing.T, environ []string) *store.Store {
	t.Helper()
	cfg, err := config.Load(config.Sources{Environ: environ})
	require.NoError(t, err)
	pool, err := store.Connect(context.Background(), store.PoolConfig{URL: cfg.Database.URL})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return store.New(pool)
}

// TestLearningCommands walks the learning pipeline from a shell: records in,
// graph built and exported, a dataset imported and trained on, models
// listed, evaluated, activated and asked.
func TestLearningCommands(t *testing.T) {
	t.Parallel()
	environ := []string{"DATABASE_URL=" + storetest.NewDatabase(t)}
	dir := t.TempDir()
	records := filepath.Join(dir, "records.ndjson")
	got := run(t, environ, "gen", "records", "--n", "30", "--faults", "0", "--out", records)
	require.Zero(t, got.code, got.stderr)
	got = run(t, environ, "ingest", records)
	require.Zero(t, got.code, got.stderr)

	got = run(t, environ, "kg", "stats")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "no build yet")
	got = run(t, environ, "kg", "build")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "built the knowledge graph of 30 records")
	got = run(t, environ, "kg", "stats", "--top", "2")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "learning view:")

	export := filepath.Join(dir, "export")
	got = run(t, environ, "kg", "export", export, "--seed", "3")
	require.Zero(t, got.code, got.stderr)
	for _, name := range []string{"train.tsv", "valid.tsv", "test.tsv"} {
		info, err := os.Stat(filepath.Join(export, name))
		require.NoError(t, err)
		require.Positive(t, info.Size(), name)
	}

	got = run(t, environ, "train", "--dim", "8", "--epochs", "3", "--eval-every", "-1", "--activate")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "active, corpus, dim 8 L1")
	require.Contains(t, got.stdout, "calibration (records)")
	require.Contains(t, got.stderr, "epoch 3/3")
	version := strings.Fields(got.stdout)[1]
	version = strings.TrimSuffix(version, ":")

	got = run(t, environ, "predict", "similar", "nobody")
	require.Equal(t, 1, got.code)
	require.Contains(t, got.stderr, `entity "nobody": unknown to the model`)
	got = run(t, environ, "models", "delete", version)
	require.Equal(t, 1, got.code)
	require.Contains(t, got.stderr, "the model is active")

	// A benchmark dataset replaces the corpus graph; a model trained on it
	// is evaluated on it.
	bench := filepath.Join(dir, "bench")
	require.NoError(t, os.MkdirAll(bench, 0o755))
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(bench, name), []byte(body), 0o600))
	}
	write("train.tsv", "a\tr\tb\nb\tr\tc\nc\tr\ta\na\ts\tc\n")
	write("valid.tsv", "b\ts\ta\n")
	write("test.tsv", "c\ts\tb\n")
	got = run(t, environ, "train", "--dataset", bench, "--dim", "4", "--epochs", "2", "--eval-every", "-1")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "ready, dataset:bench")
	benchVersion := strings.TrimSuffix(strings.Fields(got.stdout)[1], ":")
	got = run(t, environ, "eval", "--model", benchVersion, "--dataset", bench)
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "(filtered, 2 queries): MRR")

	got = run(t, environ, "models", "list")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, version)
	require.Contains(t, got.stdout, benchVersion)
	got = run(t, environ, "models", "activate", benchVersion)
	require.Zero(t, got.code, got.stderr)
	// A dataset's model cannot judge records; validation says so.
	st := newCLIStore(t, environ)
	ks, err := knowledge.NewSource(knowledge.SourceConfig{Store: st, Plausibility: learn.PlausibilityLoader(st, learn.PlausibilityConfig{})})
	require.NoError(t, err)
	v, err := ks.Validator(t.Context())
	require.NoError(t, err)
	doc, err := os.ReadFile(records)
	require.NoError(t, err)
	report, err := v.Validate(t.Context(), doc[:bytes.IndexByte(doc, '\n')])
	require.NoError(t, err)
	require.Contains(t, report.Learned.Note, "was not trained on records")
	got = run(t, environ, "predict", "score", "a", "r", "b")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "r(a, b)  p=")
	got = run(t, environ, "predict", "tail", "a", "r", "--k", "2", "--unfiltered")
	require.Zero(t, got.code, got.stderr)
	require.Len(t, strings.Split(strings.TrimSpace(got.stdout), "\n"), 2)
	got = run(t, environ, "models", "delete", version)
	require.Zero(t, got.code, got.stderr)

	got = run(t, environ, "kg", "import", bench)
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "imported 6 triples")
	write("test.tsv", "c\ts\n")
	got = run(t, environ, "kg", "import", bench)
	require.Equal(t, 2, got.code)
	require.Contains(t, got.stderr, "test.tsv:1")

	got = run(t, environ, "train", "--dataset", bench, "--async")
	require.Equal(t, 2, got.code, "a worker cannot read a local dataset")
	got = run(t, environ, "train", "--norm", "L3")
	require.Equal(t, 2, got.code)
	require.Contains(t, got.stderr, `unknown norm "L3"`)
}
