package learn_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/mine"
	"github.com/pff/pff/app/rules"
)

// TestDetectionWithoutHandWrittenRules is the measurement behind
// BENCHMARKS.md, opt in:
//
//	PFF_BENCH_DETECTION=1 go test ./app/learn -run TestDetectionWithoutHandWrittenRules -v -timeout 2h
//
// It stores PFF_DETECT_TRAIN (1,000) clean generated records, builds their
// knowledge graph, trains TransE on it (PFF_DETECT_DIM 64,
// PFF_DETECT_EPOCHS 50) and mines rules from the same records, then judges
// PFF_DETECT_TEST (2,000) other records, half of them faulty, with the
// model's plausibility at two cut-offs, the mined rules of confidence 1,
// and both.
func TestDetectionWithoutHandWrittenRules(t *testing.T) {
	if os.Getenv("PFF_BENCH_DETECTION") == "" {
		t.Skip("opt in with PFF_BENCH_DETECTION=1")
	}
	ctx := context.Background()
	nTrain, nTest := envInt(t, "PFF_DETECT_TRAIN", 1000), envInt(t, "PFF_DETECT_TEST", 2000)
	now := gen.DefaultNow()
	builder := kg.Builder{Now: now}
	st := newStore(t)
	clean := generated(t, nTrain, 0, 1)
	writeRecords(t, st, clean)
	start := time.Now()
	b, _, err := learn.BuildKG(ctx, st, learn.CorpusConfig{Now: func() time.Time { return now }})
	require.NoError(t, err)
	t.Logf("knowledge graph of %d records: %d triples, %d learnable, in %s", b.Records, b.Triples, b.Learnable, time.Since(start).Round(time.Millisecond))

	hp := learn.Hyperparameters{Dim: envInt(t, "PFF_DETECT_DIM", 64), Epochs: envInt(t, "PFF_DETECT_EPOCHS", 50), EvalEvery: -1, Seed: 1}
	start = time.Now()
	m, err := learn.Train(ctx, st, learn.TrainRequest{Hyperparameters: hp})
	require.NoError(t, err)
	m, err = st.ModelByVersion(ctx, m.Version)
	require.NoError(t, err)
	t.Logf("trained %+v in %s; calibration %s", hp, time.Since(start).Round(time.Second), m.Calibration)

	start = time.Now()
	miner := mine.New(mine.Config{Seed: 1})
	for _, r := range clean {
		g, err := builder.Build(r.Doc)
		require.NoError(t, err)
		miner.Add(g)
	}
	res, err := miner.Mine(ctx)
	require.NoError(t, err)
	mined, err := res.RuleSet("mined")
	require.NoError(t, err)
	mined = slices.DeleteFunc(mined, func(r rules.Rule) bool { return r.Confidence < 1 })
	set, err := rules.Compile(mined)
	require.NoError(t, err)
	t.Logf("mined %d rules of confidence 1 in %s", set.Len(), time.Since(start).Round(time.Millisecond))

	var models []*learn.Plausibility
	for _, cut := range []float64{0.5, 0.9} {
		p, err := learn.LoadPlausibility(ctx, st, m, learn.PlausibilityConfig{MinConfidence: cut})
		require.NoError(t, err)
		models = append(models, p)
	}

	detectors := []string{"TransE p≥0.5", "TransE p≥0.9", "mined rules", "both, p≥0.9"}
	tallies := make([]tally, len(detectors))
	for i := range tallies {
		tallies[i] = tally{kinds: map[gen.Kind]*kindTally{}}
	}
	for _, r := range generated(t, nTest, 0.5, 2025) {
		g, err := builder.Build(r.Doc)
		require.NoError(t, err)
		var flags [][]string
		for _, p := range models {
			a, err := p.Assess(ctx, g)
			require.NoError(t, err)
			ptrs := []string{}
			for _, f := range a.Findings {
				ptrs = append(ptrs, f.Pointer)
			}
			flags = append(flags, ptrs)
		}
		rulePtrs := []string{}
		for _, v := range set.Evaluate(g).Violations {
			rulePtrs = append(rulePtrs, v.Pointers...)
		}
		flags = append(flags, rulePtrs, slices.Concat(flags[1], rulePtrs))
		for i := range tallies {
			tallies[i].add(r.Faults, len(flags[i]) > 0, flags[i])
		}
	}
	t.Logf("\n%s", detectionTable(detectors, tallies))
}

type kindTally struct{ records, flagged, located int }

type tally struct {
	kinds                        map[gen.Kind]*kindTally
	clean, cleanFlagged, flagged int
}

// add counts one record: flagged if the detector found anything, located
// if one of its pointers is at or inside or around the fault's place.
func (t *tally) add(faults []gen.Label, flagged bool, pointers []string) {
	if flagged {
		t.flagged++
	}
	if len(faults) == 0 {
		t.clean++
		if flagged {
			t.cleanFlagged++
		}
		return
	}
	for _, f := range faults {
		k := t.kinds[f.Kind]
		if k == nil {
			k = &kindTally{}
			t.kinds[f.Kind] = k
		}
		k.records++
		if flagged {
			k.flagged++
		}
		if slices.ContainsFunc(pointers, func(p string) bool { return near(p, f.Pointer) }) {
			k.located++
		}
	}
}

// near says two JSON pointers name the same place or one contains the other.
func near(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

func detectionTable(names []string, ts []tally) string {
	var b strings.Builder
	b.WriteString("| fault kind | records |")
	for _, n := range names {
		fmt.Fprintf(&b, " %s recall | %s located |", n, n)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|---|", len(names)) + "\n")
	kinds := gen.Kinds()
	slices.Sort(kinds)
	for _, kind := range kinds {
		fmt.Fprintf(&b, "| %s | %d |", kind, kindOf(ts[0], kind).records)
		for _, t := range ts {
			k := kindOf(t, kind)
			fmt.Fprintf(&b, " %.3f | %.3f |", ratio(k.flagged, k.records), ratio(k.located, k.records))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "| clean records flagged | %d |", ts[0].clean)
	for _, t := range ts {
		fmt.Fprintf(&b, " %d | |", t.cleanFlagged)
	}
	b.WriteString("\n| record precision | |")
	for _, t := range ts {
		fmt.Fprintf(&b, " %.3f | |", ratio(t.flagged-t.cleanFlagged, t.flagged))
	}
	b.WriteByte('\n')
	return b.String()
}

func kindOf(t tally, k gen.Kind) kindTally {
	if kt := t.kinds[k]; kt != nil {
		return *kt
	}
	return kindTally{}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	n, err := strconv.Atoi(envString(name, strconv.Itoa(def)))
	require.NoError(t, err, name)
	return n
}

func envString(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
