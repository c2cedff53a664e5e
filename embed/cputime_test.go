package embed

import (
	"testing"

	"github.com/pff/pff/internal/testkit"
)

// loopCPU runs fn in b.Loop and reports its CPU time per call.
func loopCPU(b *testing.B, fn func()) {
	start := testkit.ProcessCPU()
	for b.Loop() {
		fn()
	}
	b.ReportMetric(float64(testkit.ProcessCPU()-start)/float64(b.N), "cpu-ns/op")
}
