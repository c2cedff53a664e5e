package validation

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
)

var faultTable = flag.Int("fault-table", 0, "validate this many generated records and print the per-kind precision and recall table")

// kindScore counts, for one fault kind, the (record, kind) pairs labelled
// and found, and how many found ones point at the labelled place (one
// pointer within the other).
type kindScore struct{ truePos, falsePos, falseNeg, located int }

func (s kindScore) precision() float64 { return ratio(s.truePos, s.truePos+s.falsePos) }
func (s kindScore) recall() float64    { return ratio(s.truePos, s.truePos+s.falseNeg) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// scoreFaults validates n generated records, 10% of them faulty, with the
// default rules and checks, and matches violations to labels by record and
// kind: a violation's category is the kind it claims.
func scoreFaults(t testing.TB, n int, seed uint64) map[gen.Kind]*kindScore {
	t.Helper()
	rs, cs, err := Defaults()
	require.NoError(t, err)
	v, err := New(Config{Rules: rs, Checks: cs})
	require.NoError(t, err)
	g, err := gen.New(gen.Config{N: n, Seed: seed, FaultRate: 0.1})
	require.NoError(t, err)

	scores := map[gen.Kind]*kindScore{}
	for _, k := range gen.Kinds() {
		scores[k] = &kindScore{}
	}
	ctx := context.Background()
	for r, ok := g.Next(); ok; r, ok = g.Next() {
		report, err := v.Validate(ctx, r.Doc)
		require.NoError(t, err)
		labelled := map[gen.Kind]string{}
		for _, l := range r.Faults {
			labelled[l.Kind] = l.Pointer
		}
		found := map[gen.Kind][]string{}
		for _, x := range report.Violations {
			found[gen.Kind(x.Category)] = append(found[gen.Kind(x.Category)], x.Pointers...)
		}
		for k, at := range labelled {
			if _, ok := found[k]; !ok {
				scores[k].falseNeg++
				continue
			}
			scores[k].truePos++
			if slices.ContainsFunc(found[k], func(p string) bool { return within(p, at) || within(at, p) }) {
				scores[k].located++
			}
		}
		for k := range found {
			s, known := scores[k]
			require.True(t, known, "violation of unknown kind %q", k)
			if _, ok := labelled[k]; !ok {
				s.falsePos++
			}
		}
	}
	return scores
}

// within reports whether JSON pointer p is at or below pointer q.
func within(p, q string) bool {
	return p == q || strings.HasPrefix(p, q+"/")
}

func table(scores map[gen.Kind]*kindScore) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-40s %6s %6s %6s %9s %7s %8s\n", "kind", "TP", "FP", "FN", "precision", "recall", "located")
	kinds := gen.Kinds()
	slices.Sort(kinds)
	for _, k := range kinds {
		s := scores[k]
		fmt.Fprintf(&b, "%-40s %6d %6d %6d %9.4f %7.4f %8.4f\n", k, s.truePos, s.falsePos, s.falseNeg, s.precision(), s.recall(), ratio(s.located, s.truePos))
	}
	return b.String()
}

// TestDefaultsCatchEveryFaultKind holds the defaults to the generator's
// contract: per kind, precision and recall of at least 0.99.
func TestDefaultsCatchEveryFaultKind(t *testing.T) {
	t.Parallel()
	scores := scoreFaults(t, 440, 11) // 44 faulty records: each kind four times
	t.Logf("\n%s", table(scores))
	for k, s := range scores {
		require.Positive(t, s.truePos+s.falseNeg, "kind %s was never injected", k)
		require.GreaterOrEqual(t, s.precision(), 0.99, "precision of %s", k)
		require.GreaterOrEqual(t, s.recall(), 0.99, "recall of %s", k)
		require.Equal(t, s.truePos, s.located, "%s found elsewhere than labelled", k)
	}
}

// TestFaultTable is the large run, opt in:
//
//	go test ./app/validation -run TestFaultTable -fault-table 10000 -v
func TestFaultTable(t *testing.T) {
	if *faultTable == 0 {
		t.Skip("opt in with -fault-table N")
	}
	scores := scoreFaults(t, *faultTable, 2025)
	t.Logf("%d records, 10%% faulty\n%s", *faultTable, table(scores))
	for k, s := range scores {
		require.GreaterOrEqual(t, s.precision(), 0.99, "precision of %s", k)
		require.GreaterOrEqual(t, s.recall(), 0.99, "recall of %s", k)
	}
}

func TestEveryFaultKindHasADefault(t *testing.T) {
	t.Parallel()
	rs, cs, err := Defaults()
	require.NoError(t, err)
	categories := map[string]bool{}
	for _, r := range rs.Rules() {
		categories[r.Category] = true
	}
	for _, c := range cs.Checks() {
		categories[c.Category] = true
	}
	var kinds []string
	for _, k := range gen.Kinds() {
		kinds = append(kinds, string(k))
	}
	require.ElementsMatch(t, kinds, slices.Collect(maps.Keys(categories)),
		"every default's category is a fault kind, and every kind has a default")
}
