package gen_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
)

func generate(t *testing.T, cfg gen.Config) []gen.Record {
	t.Helper()
	g, err := gen.New(cfg)
	require.NoError(t, err)
	var recs []gen.Record
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		recs = append(recs, rec)
	}
	require.Len(t, recs, cfg.N)
	return recs
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	cfg := gen.Config{N: 40, Seed: 7, FaultRate: 0.5}
	first, again := generate(t, cfg), generate(t, cfg)
	require.Equal(t, first, again)

	cfg.Seed = 8
	other := generate(t, cfg)
	require.NotEqual(t, first[0].Doc, other[0].Doc)
}

func TestRecordDependsOnlyOnSeedAndIndex(t *testing.T) {
	t.Parallel()
	short := generate(t, gen.Config{N: 10, Seed: 3})
	long := generate(t, gen.Config{N: 30, Seed: 3})
	require.Equal(t, short, long[:10])
}

func TestSizesAndLayouts(t *testing.T) {
	t.Parallel()
	cfg := gen.Config{N: 300, Seed: 11, FaultRate: 0.3}
	indented := generate(t, cfg)
	cfg.Compact = true
	compact := generate(t, cfg)
	lines := map[int]int{}
	for i, rec := range indented {
		require.GreaterOrEqual(t, len(rec.Doc), 15<<10, "record %d", i)
		require.LessOrEqual(t, len(rec.Doc), 90<<10, "record %d", i)
		var want bytes.Buffer
		require.NoError(t, json.Compact(&want, rec.Doc))
		require.Equal(t, want.String(), string(compact[i].Doc), "record %d: the layouts differ in content", i)
		require.NotContains(t, string(compact[i].Doc), "\n")

		doc := decode(t, rec.Doc)
		contracts := doc["contract"].([]any)
		lines[len(contracts)]++
		for _, k := range contracts {
			n := len(k.(object)["product"].([]any))
			require.True(t, 6 <= n && n <= 10, "record %d has a line with %d products", i, n) // 10: a second plan injected
		}
	}
	for n := 1; n <= 6; n++ {
		require.Positive(t, lines[n], "no customer with %d lines", n)
	}
}

func TestFaultRate(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{0, 0.013, 0.25, 1} {
		recs := generate(t, gen.Config{N: 400, Seed: 5, FaultRate: rate})
		faulty := 0
		for _, rec := range recs {
			require.LessOrEqual(t, len(rec.Faults), 1)
			faulty += len(rec.Faults)
		}
		require.Equal(t, int(400*rate+0.5), faulty, "rate %v", rate)
	}
}

func TestCleanRecordsAreClean(t *testing.T) {
	t.Parallel()
	for i, rec := range generate(t, gen.Config{N: 250, Seed: 21}) {
		require.Empty(t, check(t, rec.Doc, gen.DefaultNow()), "record %d", i)
	}
}

// Every kind is injected as often as the others, labelled with a pointer
// into the record, and is the only fault the checker finds there.
func TestFaultsAreLabelledAndAlone(t *testing.T) {
	t.Parallel()
	kinds := gen.Kinds()
	require.Len(t, kinds, 11)
	perKind := 20
	recs := generate(t, gen.Config{N: perKind * len(kinds), Seed: 13, FaultRate: 1})
	count := map[gen.Kind]int{}
	for i, rec := range recs {
		require.Len(t, rec.Faults, 1, "record %d", i)
		label := rec.Faults[0]
		count[label.Kind]++
		require.Equal(t, rec.CustomerID, label.Record)
		require.Equal(t, rec.FileName(), label.Source)
		_, ok := resolve(decode(t, rec.Doc), label.Pointer)
		require.True(t, ok, "record %d: %s pointer %q does not resolve", i, label.Kind, label.Pointer)

		found := check(t, rec.Doc, gen.DefaultNow())
		require.NotEmpty(t, found, "record %d: no %s found", i, label.Kind)
		for _, f := range found {
			require.Equal(t, label.Kind, f.kind, "record %d: %s injected, %s found at %q", i, label.Kind, f.kind, f.pointer)
		}
		require.Contains(t, found, finding{label.Kind, label.Pointer}, "record %d", i)
	}
	for _, k := range kinds {
		require.Equal(t, perKind, count[k], "kind %s", k)
	}
}

func TestRecordsBuildGraphs(t *testing.T) {
	t.Parallel()
	builder := kg.Builder{Now: gen.DefaultNow()}
	for i, rec := range generate(t, gen.Config{N: 150, Seed: 17, FaultRate: 0.5}) {
		g, err := builder.Build(rec.Doc)
		require.NoError(t, err, "record %d", i)
		require.Equal(t, rec.CustomerID, g.Root)
		if len(rec.Faults) == 0 {
			require.Contains(t, g.MSISDNs(), rec.MSISDN, "record %d", i)
		}
		msisdn, ok := kg.MSISDNFromFileName(rec.FileName())
		require.True(t, ok)
		require.Equal(t, rec.MSISDN, msisdn)
	}
}

func TestMSISDNsAreUniqueAcrossRecords(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for i, rec := range generate(t, gen.Config{N: 600, Seed: 19}) {
		prev, dup := seen[rec.FileName()]
		require.False(t, dup, "records %d and %d share %s", prev, i, rec.FileName())
		seen[rec.FileName()] = i
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []gen.Config{
		{N: -1},
		{N: gen.MaxRecords + 1},
		{N: 1, FaultRate: -0.1},
		{N: 1, FaultRate: 1.5},
	} {
		_, err := gen.New(cfg)
		require.Error(t, err, "%+v", cfg)
	}
}

func TestWriteDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "records")
	cfg := gen.Config{N: 25, Seed: 2, FaultRate: 0.4}
	sum, err := gen.WriteDir(context.Background(), dir, cfg)
	require.NoError(t, err)
	require.Equal(t, gen.Summary{Records: 25, Faulty: 10, Bytes: sum.Bytes}, sum)

	recs := generate(t, cfg)
	var total int64
	for _, rec := range recs {
		doc, err := os.ReadFile(filepath.Join(dir, rec.FileName()))
		require.NoError(t, err)
		require.Equal(t, rec.Doc, doc)
		total += int64(len(doc))
	}
	require.Equal(t, total, sum.Bytes)
	labels := readLabels(t, gen.LabelsPath(dir))
	require.Len(t, labels, 10)
	for _, l := range labels {
		_, err := os.Stat(filepath.Join(dir, l.Source))
		require.NoError(t, err, "label source %s", l.Source)
	}
}

func TestWriteNDJSON(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "records.ndjson")
	cfg := gen.Config{N: 30, Seed: 4, FaultRate: 0.5}
	sum, err := gen.WriteNDJSONFile(context.Background(), path, cfg)
	require.NoError(t, err)
	require.Equal(t, 30, sum.Records)
	require.Equal(t, 15, sum.Faulty)

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 30)
	labels := readLabels(t, path+".labels.jsonl")
	require.Len(t, labels, 15)
	for _, l := range labels {
		n, err := strconv.Atoi(l.Source)
		require.NoError(t, err)
		doc := decode(t, []byte(lines[n-1]))
		require.Equal(t, l.Record, doc["id"])
		_, ok := resolve(doc, l.Pointer)
		require.True(t, ok)
	}

	var records, labelLines bytes.Buffer
	_, err = gen.WriteNDJSON(context.Background(), &records, &labelLines, cfg)
	require.NoError(t, err)
	require.Equal(t, string(data), records.String())
}

func TestWritersStopWithTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := gen.WriteNDJSON(ctx, &bytes.Buffer{}, &bytes.Buffer{}, gen.Config{N: 10})
	require.ErrorIs(t, err, context.Canceled)
	_, err = gen.WriteDir(ctx, t.TempDir(), gen.Config{N: 10})
	require.ErrorIs(t, err, context.Canceled)
}

func readLabels(t *testing.T, path string) []gen.Label {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var labels []gen.Label
	for s := bufio.NewScanner(f); s.Scan(); {
		var l gen.Label
		require.NoError(t, json.Unmarshal(s.Bytes(), &l))
		labels = append(labels, l)
	}
	return labels
}
