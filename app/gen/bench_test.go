package gen_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/internal/testkit"
)

// The generator's throughput, in records and megabytes a second, for both
// layouts. BenchmarkReferenceIndent runs encoding/json's Indent over the same
// documents: timings on a shared machine are noisy, ratios to it less so.
func BenchmarkGenerate(b *testing.B) {
	for _, layout := range []struct {
		name    string
		compact bool
	}{{"indented", false}, {"compact", true}} {
		b.Run(layout.name, func(b *testing.B) {
			g, err := gen.New(gen.Config{N: b.N, Seed: 1, FaultRate: 0.2, Compact: layout.compact})
			if err != nil {
				b.Fatal(err)
			}
			var n int64
			start, cpu := time.Now(), testkit.ProcessCPU()
			for range b.N {
				rec, _ := g.Next()
				n += int64(len(rec.Doc))
			}
			report(b, n, time.Since(start), testkit.ProcessCPU()-cpu)
		})
	}
}

func BenchmarkReferenceIndent(b *testing.B) {
	g, err := gen.New(gen.Config{N: 200, Seed: 1, Compact: true})
	if err != nil {
		b.Fatal(err)
	}
	var docs [][]byte
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		docs = append(docs, rec.Doc)
	}
	var out bytes.Buffer
	var n int64
	start, cpu := time.Now(), testkit.ProcessCPU()
	for i := range b.N {
		out.Reset()
		doc := docs[i%len(docs)]
		if err := json.Indent(&out, doc, "", "  "); err != nil {
			b.Fatal(err)
		}
		n += int64(out.Len())
	}
	report(b, n, time.Since(start), testkit.ProcessCPU()-cpu)
}

// report gives throughput by the wall clock and by CPU time, which load on
// a shared machine disturbs less.
func report(b *testing.B, bytes int64, wall, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/wall.Seconds(), "records/s")
	b.ReportMetric(float64(bytes)/1e6/wall.Seconds(), "MB/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "records/cpu-s")
		b.ReportMetric(float64(bytes)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
}
