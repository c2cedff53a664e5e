package mine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/internal/testkit"
)

// TestDetectionTable is the measurement behind BENCHMARKS.md, opt in:
//
//	PFF_BENCH_MINE=1 go test ./app/mine -run TestDetectionTable -v -timeout 30m
//
// It mines PFF_MINE_TRAIN (2,000) clean generated records, then validates
// PFF_MINE_TEST (2,000) other generated records, half of them faulty, with
// the mined rules alone, at three confidence cut-offs. PFF_MINE_SAMPLES
// overrides the sample budget; PFF_MINE_OUT names a file for the rules.
func TestDetectionTable(t *testing.T) {
	if os.Getenv("PFF_BENCH_MINE") == "" {
		t.Skip("opt in with PFF_BENCH_MINE=1")
	}
	train, test := envInt(t, "PFF_MINE_TRAIN", 2000), envInt(t, "PFF_MINE_TEST", 2000)
	cfg := Config{Seed: 1, Samples: envInt(t, "PFF_MINE_SAMPLES", 0)}

	start := time.Now()
	g, err := gen.New(gen.Config{N: train, Seed: 1})
	require.NoError(t, err)
	m := New(cfg)
	for r, ok := g.Next(); ok; r, ok = g.Next() {
		m.Add(graphOf(t, r.Doc))
	}
	built := time.Since(start)
	runtime.GC()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	cpu := testkit.ProcessCPU()
	res, err := m.Mine(context.Background())
	require.NoError(t, err)
	cpu = testkit.ProcessCPU() - cpu
	s := res.Stats
	t.Logf("generate+build %d graphs: %s; corpus heap %.0f MB; GOMAXPROCS %d", train, built.Round(time.Millisecond), float64(mem.HeapInuse)/1e6, runtime.GOMAXPROCS(0))
	t.Logf("mine: %s wall, %s CPU, %d facts, %d constants, %d samples, %d bodies judged, %d candidate rules, %d kept, %d after max-rules, stopped on %s",
		s.Duration.Round(time.Millisecond), cpu.Round(time.Millisecond), s.Facts, s.Constants, s.Samples, s.Bodies, s.Candidates, s.Kept, len(res.Rules), s.Stop)
	if out := os.Getenv("PFF_MINE_OUT"); out != "" {
		f, err := os.Create(out)
		require.NoError(t, err)
		require.NoError(t, res.WriteTSV(f))
		require.NoError(t, f.Close())
	}
	cuts := []float64{0.95, 0.99, 1}
	var ds []*detection
	for _, minConf := range cuts {
		set := setOf(t, res, minConf)
		start := time.Now()
		d := detect(t, set, test, 2025, 0.5)
		t.Logf("confidence >= %v: %d rules; record precision %.3f (%d of %d clean records flagged); validation %s",
			minConf, set.Len(), d.precision(), d.cleanFlaged, d.clean, time.Since(start).Round(time.Millisecond))
		ds = append(ds, d)
	}
	t.Logf("\n%s", combinedTable(cuts, ds))
}

// combinedTable writes recall per kind at each confidence cut-off, and
// located at the last, as markdown.
func combinedTable(cuts []float64, ds []*detection) string {
	var b strings.Builder
	b.WriteString("| fault kind | records |")
	for _, c := range cuts {
		fmt.Fprintf(&b, " recall, conf ≥ %v |", c)
	}
	fmt.Fprintf(&b, " located, conf ≥ %v |\n|---|---|", cuts[len(cuts)-1])
	b.WriteString(strings.Repeat("---|", len(cuts)+1) + "\n")
	kinds := gen.Kinds()
	slices.Sort(kinds)
	for _, kind := range kinds {
		fmt.Fprintf(&b, "| %s | %d |", kind, ds[0].kinds[kind].records)
		for _, d := range ds {
			k := d.kinds[kind]
			fmt.Fprintf(&b, " %.3f |", ratio(k.flagged, k.records))
		}
		k := ds[len(ds)-1].kinds[kind]
		fmt.Fprintf(&b, " %.3f |\n", ratio(k.located, k.records))
	}
	fmt.Fprintf(&b, "| clean records flagged | %d |", ds[0].clean)
	for _, d := range ds {
		fmt.Fprintf(&b, " %d |", d.cleanFlaged)
	}
	b.WriteString(" |\n| record precision | |")
	for _, d := range ds {
		fmt.Fprintf(&b, " %.3f |", d.precision())
	}
	b.WriteString(" |\n")
	return b.String()
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, fmt.Sprintf("%s=%q", name, v))
	return n
}
