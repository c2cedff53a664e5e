package kg_test

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/internal/testkit"
)

type benchRecord struct {
	name string
	doc  []byte
}

// benchRecords returns generated records of about 25 KB (the median) and of
// about 90 KB (the largest).
func benchRecords(b *testing.B) []benchRecord {
	recs := records(b, gen.Config{N: 400, Seed: 1})
	slices.SortFunc(recs, func(x, y gen.Record) int { return len(x.Doc) - len(y.Doc) })
	return []benchRecord{{"median", recs[len(recs)/2].Doc}, {"max", recs[len(recs)-1].Doc}}
}

func BenchmarkBuild(b *testing.B) {
	for _, r := range benchRecords(b) {
		doc := r.doc
		b.Run(r.name, func(b *testing.B) {
			measure(b, len(doc), func() {
				if _, err := builder.Build(doc); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// measure runs op b.N times and reports, beside the wall clock, the CPU time
// an op took (cpu-ns/op), which load on a shared machine disturbs less.
func measure(b *testing.B, size int, op func()) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu := testkit.ProcessCPU()
	for b.Loop() {
		op()
	}
	if cpu := testkit.ProcessCPU() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkReferenceDecode decodes the same records with encoding/json, as a
// yardstick on a shared machine: compare Build's time with it, not the clock.
func BenchmarkReferenceDecode(b *testing.B) {
	for _, r := range benchRecords(b) {
		doc := r.doc
		b.Run(r.name, func(b *testing.B) {
			measure(b, len(doc), func() {
				d := json.NewDecoder(bytes.NewReader(doc))
				d.UseNumber()
				var v any
				if err := d.Decode(&v); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkBuildFile builds the record in the file named by $PFF_BENCH_RECORD,
// such as a production example.
func BenchmarkBuildFile(b *testing.B) {
	path := os.Getenv("PFF_BENCH_RECORD")
	if path == "" {
		b.Skip("PFF_BENCH_RECORD names no record file")
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	measure(b, len(doc), func() {
		if _, err := (kg.Builder{}).Build(doc); err != nil {
			b.Fatal(err)
		}
	})
}
