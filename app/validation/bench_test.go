package validation

import (
	"context"
	"encoding/json"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/rules/rulestest"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/internal/testkit"
)

// corpus returns n generated records, 10% faulty, and a schema inferred from
// other clean ones.
func corpus(tb testing.TB, n int) ([][]byte, *schema.Schema) {
	tb.Helper()
	g, err := gen.New(gen.Config{N: n, Seed: 9, FaultRate: 0.1})
	require.NoError(tb, err)
	var docs [][]byte
	for r, ok := g.Next(); ok; r, ok = g.Next() {
		docs = append(docs, r.Doc)
	}
	in := schema.NewInferrer(schema.InferOptions{})
	clean, err := gen.New(gen.Config{N: 200, Seed: 10})
	require.NoError(tb, err)
	for r, ok := clean.Next(); ok; r, ok = clean.Next() {
		var doc any
		require.NoError(tb, json.Unmarshal(r.Doc, &doc))
		in.Add(doc)
	}
	source, err := in.JSON()
	require.NoError(tb, err)
	s, err := schema.Compile("inferred.json", source)
	require.NoError(tb, err)
	return docs, s
}

// BenchmarkValidate validates generated records (15 to 90 KB, 10% faulty)
// with an inferred schema and the default rules and checks. Run with -cpu 1
// for the single-core rate.
func BenchmarkValidate(b *testing.B) {
	docs, s := corpus(b, 200)
	v := defaultValidator(b, Config{Schema: s})
	ctx := context.Background()
	var bytes int64
	i := 0
	for b.Loop() {
		doc := docs[i%len(docs)]
		if _, err := v.Validate(ctx, doc); err != nil {
			b.Fatal(err)
		}
		bytes += int64(len(doc))
		i++
	}
	b.SetBytes(bytes / int64(i))
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkValidateAgainstDecoding validates records on one locked thread
// and reports the core time per record beside the core time of decoding the
// same records with encoding/json, which validation also does: the ratio
// compares machines and runs fairly on a shared machine.
//
//	go test -run '^$' -bench ValidateAgainstDecoding ./app/validation
func BenchmarkValidateAgainstDecoding(b *testing.B) {
	docs, s := corpus(b, 200)
	v := defaultValidator(b, Config{Schema: s})
	ctx := context.Background()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var validate, decode time.Duration
	records := 0
	for b.Loop() {
		doc := docs[records%len(docs)]
		c0 := testkit.ThreadCPU()
		if _, err := v.Validate(ctx, doc); err != nil {
			b.Fatal(err)
		}
		c1 := testkit.ThreadCPU()
		var x any
		if err := json.Unmarshal(doc, &x); err != nil {
			b.Fatal(err)
		}
		validate, decode = validate+c1-c0, decode+testkit.ThreadCPU()-c1
		records++
	}
	b.ReportMetric(float64(records)/validate.Seconds(), "records/core-s")
	b.ReportMetric(validate.Seconds()/decode.Seconds(), "x-decode")
}

// TestLatencyWithTenThousandRules validates a real-size record (88 KB, the
// family plan of the production example's size) with the defaults plus
// 10,000 AnyBURL-shaped rules learned on its graph, many times, and reports
// percentiles of the whole validation and of the rule evaluation in it. The
// target is a whole validation's p95 under 20 ms on one core, counted as
// the process's CPU time so that the garbage collection it causes on other
// threads is in it; wall time is reported too, but depends on what else
// the machine runs. The race detector's slowdown exempts it.
func TestLatencyWithTenThousandRules(t *testing.T) {
	if testing.Short() {
		t.Skip("latency measurement")
	}
	doc, err := rulestest.LargeRecord()
	require.NoError(t, err)
	g, err := kg.Build(doc)
	require.NoError(t, err)
	defaults, err := DefaultSources()
	require.NoError(t, err)
	all := defaults.Add(Sources{Rules: rulestest.Sample(g, 10_000, 7)})
	rs, cs, err := all.Compile()
	require.NoError(t, err)
	v, err := New(Config{Rules: rs, Checks: cs})
	require.NoError(t, err)

	// One core, as the target says: with more, the collector's idle
	// workers would fill the other cores' idle time and count as this
	// validation's CPU time.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	runs := 200
	if raceEnabled {
		runs = 10 // the race detector's slowdown makes the figures moot
	}
	// Two loops: the rules alone make garbage too, whose collection would
	// otherwise fall into the next validation's process CPU time.
	var fullCPU, fullThread, fullWall, ruleTime []time.Duration
	ctx := context.Background()
	for range runs {
		w0, p0, c0 := time.Now(), testkit.ProcessCPU(), testkit.ThreadCPU()
		_, err := v.Validate(ctx, doc)
		require.NoError(t, err)
		fullCPU, fullThread, fullWall = append(fullCPU, testkit.ProcessCPU()-p0),
			append(fullThread, testkit.ThreadCPU()-c0), append(fullWall, time.Since(w0))
	}
	var res rules.Result
	for range runs {
		c0 := testkit.ThreadCPU()
		res = rs.Evaluate(g)
		ruleTime = append(ruleTime, testkit.ThreadCPU()-c0)
	}
	p := func(d []time.Duration, q int) time.Duration {
		slices.Sort(d)
		return d[len(d)*q/100].Round(10 * time.Microsecond)
	}
	t.Logf("%d KB record, %d triples, %d rules (%d violations), %d checks", len(doc)>>10, len(g.Triples), rs.Len(), len(res.Violations), cs.Len())
	t.Logf("whole validation: process CPU p50 %v, p95 %v; its thread's CPU p50 %v, p95 %v; wall p50 %v, p95 %v",
		p(fullCPU, 50), p(fullCPU, 95), p(fullThread, 50), p(fullThread, 95), p(fullWall, 50), p(fullWall, 95))
	t.Logf("rules alone: thread CPU p50 %v, p95 %v", p(ruleTime, 50), p(ruleTime, 95))
	if !raceEnabled {
		require.Less(t, p(fullCPU, 95), 20*time.Millisecond, "a whole validation's CPU time, garbage collection included")
	}
}
