package mine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/rules"
)

// graphOf builds a generated record's graph at the generator's moment, so
// current statuses do not depend on the clock.
func graphOf(t testing.TB, doc []byte) *kg.Graph {
	t.Helper()
	g, err := kg.Builder{Now: gen.DefaultNow()}.Build(doc)
	require.NoError(t, err)
	return g
}

// mineClean mines rules from n clean generated records.
func mineClean(t testing.TB, n int, seed uint64, cfg Config) *Result {
	t.Helper()
	g, err := gen.New(gen.Config{N: n, Seed: seed})
	require.NoError(t, err)
	m := New(cfg)
	for r, ok := g.Next(); ok; r, ok = g.Next() {
		m.Add(graphOf(t, r.Doc))
	}
	res, err := m.Mine(context.Background())
	require.NoError(t, err)
	return res
}

// detection counts, per fault kind, the faulty records a rule set flags
// (any violation) and those it flags at the labelled place; and the clean
// records it flags. Mined rules name no fault kind, so a flag is matched to
// the record's label, not to a kind the rule claims.
type detection struct {
	kinds       map[gen.Kind]*kindCount
	clean       int
	cleanFlaged int
	violations  int
}

type kindCount struct{ records, flagged, located int }

func (d *detection) precision() float64 {
	tp := 0
	for _, k := range d.kinds {
		tp += k.flagged
	}
	return ratio(tp, tp+d.cleanFlaged)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// detect evaluates set on n generated records, a share of them faulty.
func detect(t testing.TB, set *rules.Set, n int, seed uint64, faultRate float64) *detection {
	t.Helper()
	g, err := gen.New(gen.Config{N: n, Seed: seed, FaultRate: faultRate})
	require.NoError(t, err)
	d := &detection{kinds: map[gen.Kind]*kindCount{}}
	for _, k := range gen.Kinds() {
		d.kinds[k] = &kindCount{}
	}
	for r, ok := g.Next(); ok; r, ok = g.Next() {
		res := set.Evaluate(graphOf(t, r.Doc))
		d.violations += len(res.Violations)
		flagged := len(res.Violations) > 0
		if len(r.Faults) == 0 {
			d.clean++
			if flagged {
				d.cleanFlaged++
			}
			continue
		}
		for _, l := range r.Faults {
			k := d.kinds[l.Kind]
			k.records++
			if !flagged {
				continue
			}
			k.flagged++
			if slices.ContainsFunc(res.Violations, func(v rules.Violation) bool {
				return slices.ContainsFunc(v.Pointers, func(p string) bool { return within(p, l.Pointer) || within(l.Pointer, p) })
			}) {
				k.located++
			}
		}
	}
	return d
}

// within reports whether JSON pointer p is at or below pointer q.
func within(p, q string) bool {
	return p == q || strings.HasPrefix(p, q+"/")
}

func (d *detection) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| %-38s | %7s | %7s | %6s | %7s |\n", "fault kind", "records", "flagged", "recall", "located")
	fmt.Fprintf(&b, "|%s|%s|%s|%s|%s|\n", strings.Repeat("-", 40), strings.Repeat("-", 9), strings.Repeat("-", 9), strings.Repeat("-", 8), strings.Repeat("-", 9))
	kinds := gen.Kinds()
	slices.Sort(kinds)
	for _, kind := range kinds {
		k := d.kinds[kind]
		fmt.Fprintf(&b, "| %-38s | %7d | %7d | %6.3f | %7.3f |\n", kind, k.records, k.flagged, ratio(k.flagged, k.records), ratio(k.located, k.records))
	}
	fmt.Fprintf(&b, "| %-38s | %7d | %7d | %6s | %7s |\n", "(clean records)", d.clean, d.cleanFlaged, "", "")
	return b.String()
}

// setOf compiles the mined rules of at least minConf confidence.
func setOf(t testing.TB, res *Result, minConf float64) *rules.Set {
	t.Helper()
	rs, err := res.RuleSet("mined")
	require.NoError(t, err)
	rs = slices.DeleteFunc(rs, func(r rules.Rule) bool { return r.Confidence < minConf })
	set, err := rules.Compile(rs)
	require.NoError(t, err)
	return set
}

// TestRulesFromCleanRecordsCatchFaults mines clean generated records and
// checks that the rules flag the faulty ones whose faults are about
// relations between entities, and few clean ones.
func TestRulesFromCleanRecordsCatchFaults(t *testing.T) {
	t.Parallel()
	if raceEnabled {
		t.Skip("40 s under the race detector; the other tests race the parallel judging")
	}
	res := mineClean(t, 300, 1, Config{Seed: 1, Samples: 300, MinSupport: 50})
	set := setOf(t, res, 1)
	d := detect(t, set, 240, 99, 0.5)
	t.Logf("%d rules\n%s", set.Len(), d.table())
	for _, kind := range []gen.Kind{
		gen.DanglingSharingContract, gen.DanglingSharingProduct,
		gen.PostpaidWithoutBillingAccount,
	} {
		k := d.kinds[kind]
		require.Positive(t, k.records, kind)
		require.GreaterOrEqual(t, ratio(k.flagged, k.records), 0.8, "recall of %s", kind)
	}
	require.LessOrEqual(t, ratio(d.cleanFlaged, d.clean), 0.1, "clean records flagged")
}
