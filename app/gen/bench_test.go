package gen_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/pff/pff/app/gen"
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
			start := time.Now()
			for range b.N {
				rec, _ := g.Next()
				n += int64(len(rec.Doc))
			}
			reportThroughput(b, n, time.Since(start))
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
	start := time.Now()
	for i := range b.N {
		out.Reset()
		doc := docs[i%len(docs)]
		if err := json.Indent(&out, doc, "", "  "); err != nil {
			b.Fatal(err)
		}
		n += int64(out.Len())
	}
	reportThroughput(b, n, time.Since(start))
}

func reportThroughput(b *testing.B, bytes int64, elapsed time.Duration) {
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(bytes)/1e6/elapsed.Seconds(), "MB/s")
}
