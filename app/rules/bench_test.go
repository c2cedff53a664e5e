package rules_test

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/rules/rulestest"
	"github.com/pff/pff/internal/testkit"
)

// largeGraph is the graph of a generated family-plan record of the size of
// the 90 KB production example.
func largeGraph(tb testing.TB) *kg.Graph {
	tb.Helper()
	doc, err := rulestest.LargeRecord()
	require.NoError(tb, err)
	g, err := kg.Build(doc)
	require.NoError(tb, err)
	return g
}

// BenchmarkEvaluate measures 10,000 rules of AnyBURL's shapes against the
// graph of a real-size record. "learned" rules have a confidence of at least
// 0.5 on the graph, as rules learned from a corpus of such records would;
// "shuffled" gives each rule another's head, so that most are violated many
// times: a worst case.
func BenchmarkEvaluate(b *testing.B) {
	g := largeGraph(b)
	learned := rulestest.Sample(g, 10_000, 7)
	shuffled := slices.Clone(learned)
	for i := range shuffled {
		shuffled[i].Head = learned[(i+1)%len(learned)].Head
	}
	for _, set := range []struct {
		name  string
		rules []rules.Rule
	}{{"learned", learned}, {"shuffled", shuffled}} {
		s, err := rules.Compile(set.rules)
		require.NoError(b, err)
		b.Run(set.name, func(b *testing.B) {
			var res rules.Result
			for b.Loop() {
				res = s.Evaluate(g)
			}
			b.ReportMetric(float64(len(g.Triples)), "triples")
			b.ReportMetric(float64(len(res.Violations)), "violations")
		})
	}
}

// TestEvaluateLatency evaluates the graph of a real-size record against
// 10,000 learned rules many times and reports percentiles of the time each
// run took on its core (and on the wall clock, which on a shared machine
// includes waiting). The target is a 95th percentile under 20 ms on one
// core; the race detector's slowdown exempts it.
func TestEvaluateLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("latency measurement")
	}
	g := largeGraph(t)
	s, err := rules.Compile(rulestest.Sample(g, 10_000, 7))
	require.NoError(t, err)

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	runs := 300
	if raceEnabled {
		runs = 10 // the race detector's slowdown makes the figures moot
	}
	cpu, wall := make([]time.Duration, runs), make([]time.Duration, runs)
	var res rules.Result
	for i := range runs {
		c0, w0 := testkit.ThreadCPU(), time.Now()
		res = s.Evaluate(g)
		cpu[i], wall[i] = testkit.ThreadCPU()-c0, time.Since(w0)
	}
	slices.Sort(cpu)
	slices.Sort(wall)
	p := func(d []time.Duration, q int) time.Duration { return d[len(d)*q/100] }
	t.Logf("%d triples, %d rules; %d violations, %d satisfied, %d not applicable",
		len(g.Triples), s.Len(), len(res.Violations), res.Satisfied, res.NotApplicable)
	t.Logf("core time: p50 %v, p95 %v; wall time: p50 %v, p95 %v", p(cpu, 50), p(cpu, 95), p(wall, 50), p(wall, 95))
	if !raceEnabled {
		require.Less(t, p(cpu, 95), 20*time.Millisecond)
	}
}
