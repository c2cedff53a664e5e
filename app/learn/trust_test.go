package learn_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/mine"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/internal/testkit"
)

// TestTrustTable is the measurement behind BENCHMARKS.md's "Trust on real
// records", opt in:
//
//	PFF_BENCH_TRUST=1 go test ./app/learn -run TestTrustTable -v -timeout 2h
//
// It learns from PFF_TRUST_TRAIN (2,000) clean generated records (seed 1):
// TransE (dim PFF_TRUST_DIM 64, PFF_TRUST_EPOCHS 50), Horn rules mined
// from them (confidence 1) and constraints learned from them. It then
// judges PFF_TRUST_TEST (2,000) other records (seed 2025), half with one
// labelled fault, with four validators: the hand-written defaults alone;
// the learned rules and constraints alone; the model alone; all of them.
// A record is flagged when its report has any finding. It runs the quality
// gate on the test's clean records (reliability table, ECE), and times
// three trainings from their start to their first progress report.
func TestTrustTable(t *testing.T) {
	if os.Getenv("PFF_BENCH_TRUST") == "" {
		t.Skip("opt in with PFF_BENCH_TRUST=1")
	}
	ctx := context.Background()
	nTrain, nTest := envInt(t, "PFF_TRUST_TRAIN", 2000), envInt(t, "PFF_TRUST_TEST", 2000)
	now := gen.DefaultNow()
	builder := kg.Builder{Now: now}
	st := newStore(t)
	train := generated(t, nTrain, 0, 1)
	writeRecords(t, st, train)
	started := time.Now()
	b, _, err := learn.BuildKG(ctx, st, learn.CorpusConfig{Now: func() time.Time { return now }})
	require.NoError(t, err)
	t.Logf("knowledge graph of %d records: %d triples, %d learnable, in %s", b.Records, b.Triples, b.Learnable, time.Since(started).Round(time.Millisecond))

	// Time to the first progress report, three short trainings.
	var firsts []time.Duration
	for round := range 3 {
		runCtx, cancel := context.WithCancel(ctx)
		var first time.Duration
		begin := time.Now()
		_, err := learn.Train(runCtx, st, learn.TrainRequest{Hyperparameters: learn.Hyperparameters{Dim: 64, Epochs: 50, EvalEvery: -1, Seed: uint64(10 + round)},
			Progress: func(embed.Progress) {
				if first == 0 {
					first = time.Since(begin)
					cancel()
				}
			}})
		cancel()
		require.True(t, err == nil || errors.Is(err, context.Canceled), "%v", err)
		firsts = append(firsts, first)
	}
	slices.Sort(firsts)
	t.Logf("training, start to first progress report: median %s (%s–%s)", firsts[1].Round(time.Millisecond),
		firsts[0].Round(time.Millisecond), firsts[2].Round(time.Millisecond))

	hp := learn.Hyperparameters{Dim: envInt(t, "PFF_TRUST_DIM", 64), Epochs: envInt(t, "PFF_TRUST_EPOCHS", 50), EvalEvery: -1, Seed: 1}
	started = time.Now()
	m, err := learn.Train(ctx, st, learn.TrainRequest{Hyperparameters: hp})
	require.NoError(t, err)
	m, err = st.ModelByVersion(ctx, m.Version)
	require.NoError(t, err)
	t.Logf("trained %+v in %s", hp, time.Since(started).Round(time.Second))

	graphs := make([]*kg.Graph, len(train))
	for i, r := range train {
		graphs[i], err = builder.Build(r.Doc)
		require.NoError(t, err)
	}
	started = time.Now()
	miner := mine.New(mine.Config{Seed: 1})
	for _, g := range graphs {
		miner.Add(g)
	}
	res, err := miner.Mine(ctx)
	require.NoError(t, err)
	mined, err := res.RuleSet("mined")
	require.NoError(t, err)
	mined = slices.DeleteFunc(mined, func(r rules.Rule) bool { return r.Confidence < 1 })
	minedSet, err := rules.Compile(mined)
	require.NoError(t, err)
	t.Logf("mined %d rules of confidence 1 in %s", minedSet.Len(), time.Since(started).Round(time.Millisecond))

	started = time.Now()
	doc, err := constraints.Learn(ctx, constraints.Config{Seed: 1}, func(yield func(*kg.Graph) error) error {
		for _, g := range graphs {
			if err := yield(g); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	learned, err := constraints.Compile(doc.Constraints)
	require.NoError(t, err)
	t.Logf("learned %d constraints in %s: %+v", learned.Len(), time.Since(started).Round(time.Millisecond), *doc.Learned)

	defaultRules, defaultChecks, err := validation.Defaults()
	require.NoError(t, err)
	model, err := learn.LoadPlausibility(ctx, st, m, learn.PlausibilityConfig{})
	require.NoError(t, err)
	loose, err := learn.LoadPlausibility(ctx, st, m, learn.PlausibilityConfig{MinConfidence: 0.5})
	require.NoError(t, err)
	allRules, err := rules.Compile(slices.Concat(defaultRules.Rules(), mined))
	require.NoError(t, err)
	validator := func(cfg validation.Config) *validation.Validator {
		cfg.Now = func() time.Time { return now }
		v, err := validation.New(cfg)
		require.NoError(t, err)
		return v
	}
	detectors := []string{"rules only", "learned only", "model only", "model only, p≥0.5", "all, no model", "all"}
	validators := []*validation.Validator{
		validator(validation.Config{Rules: defaultRules, Checks: defaultChecks}),
		validator(validation.Config{Rules: minedSet, Constraints: learned}),
		validator(validation.Config{Plausibility: model}),
		validator(validation.Config{Plausibility: loose}),
		validator(validation.Config{Rules: allRules, Checks: defaultChecks, Constraints: learned}),
		validator(validation.Config{Rules: allRules, Checks: defaultChecks, Constraints: learned, Plausibility: model}),
	}
	tallies := make([]tally, len(validators))
	rejected := make([]int, len(validators))
	for i := range tallies {
		tallies[i] = tally{kinds: map[gen.Kind]*kindTally{}}
	}
	test := generated(t, nTest, 0.5, 2025)
	var cleanTest []gen.Record
	for _, r := range test {
		if len(r.Faults) == 0 {
			cleanTest = append(cleanTest, r)
		}
		for i, v := range validators {
			report, err := v.Validate(ctx, r.Doc)
			require.NoError(t, err)
			var pointers []string
			for _, x := range report.Violations {
				pointers = append(pointers, x.Pointers...)
			}
			for _, e := range report.SchemaErrors {
				pointers = append(pointers, e.Pointer)
			}
			tallies[i].add(r.Faults, len(pointers) > 0, pointers)
			if len(r.Faults) == 0 && report.Decision == validation.Reject {
				rejected[i]++
			}
		}
	}
	t.Logf("\n%s", trustTable(detectors, tallies, rejected))
	for _, r := range testkit.RealRecords() {
		for i, v := range validators {
			report, err := v.Validate(ctx, r.Doc)
			require.NoError(t, err)
			t.Logf("%s, %s: %s, %d findings; model judged %d facts, abstained on %d", r.Name, detectors[i], report.Decision,
				len(report.Violations)+len(report.SchemaErrors), report.Learned.Scored, report.Learned.Abstained)
			if i == len(validators)-1 {
				for _, x := range report.Violations {
					t.Logf("    %s %s: %s", x.Source, x.ID, x.Description)
				}
			}
		}
	}

	writeRecords(t, st, cleanTest)
	started = time.Now()
	q, err := learn.MeasureQuality(ctx, st, m, learn.PlausibilityConfig{}, learn.GateConfig{Records: len(cleanTest), Now: func() time.Time { return now }})
	require.NoError(t, err)
	t.Logf("quality gate on %d clean test records in %s: %d flagged (%.4f), passed %v; scale %.3f, ECE %.4f on %d facts, %d abstained",
		q.Records, time.Since(started).Round(time.Second), q.CleanFlagged, q.CleanRate, q.Passed, q.Scale, q.ECE, q.Facts, q.Abstained)
	var lines []string
	for _, b := range q.Reliability {
		lines = append(lines, fmt.Sprintf("| %.1f–%.1f | %d | %.3f | %.3f |", b.Lo, b.Hi, b.Facts, b.Confidence, b.Accuracy))
	}
	t.Logf("\n| top probability | facts | mean probability | share right |\n|---|---|---|---|\n%s", strings.Join(lines, "\n"))
	var recall []string
	for _, kind := range gen.Kinds() {
		r := q.Recall[kind]
		recall = append(recall, fmt.Sprintf("%s %d/%d", kind, r.Found, r.Injected))
	}
	sort.Strings(recall)
	t.Logf("gate recall, faults injected into the clean test records: %s", strings.Join(recall, "; "))
}

// trustTable writes recall and precision per kind for each detector:
// precision as if the clean records were as many as that kind's, TP /
// (TP + FP·n_kind/n_clean), since a learned finding names no kind.
func trustTable(names []string, ts []tally, rejected []int) string {
	var b strings.Builder
	b.WriteString("| fault kind | records |")
	for _, n := range names {
		fmt.Fprintf(&b, " %s P | %s R |", n, n)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|---|", len(names)) + "\n")
	kinds := gen.Kinds()
	slices.Sort(kinds)
	for _, kind := range kinds {
		fmt.Fprintf(&b, "| %s | %d |", kind, kindOf(ts[0], kind).records)
		for _, t := range ts {
			k := kindOf(t, kind)
			fp := float64(t.cleanFlagged) * float64(k.records) / float64(max(t.clean, 1))
			fmt.Fprintf(&b, " %.3f | %.3f |", float64(k.flagged)/max(float64(k.flagged)+fp, 1e-9), ratio(k.flagged, k.records))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "| clean records flagged | %d |", ts[0].clean)
	for _, t := range ts {
		fmt.Fprintf(&b, " %d (%.2f%%) | |", t.cleanFlagged, 100*ratio(t.cleanFlagged, t.clean))
	}
	b.WriteString("\n| clean records rejected | |")
	for _, r := range rejected {
		fmt.Fprintf(&b, " %d | |", r)
	}
	b.WriteString("\n| record precision | |")
	for _, t := range ts {
		fmt.Fprintf(&b, " %.3f | |", ratio(t.flagged-t.cleanFlagged, t.flagged))
	}
	b.WriteByte('\n')
	return b.String()
}
