//go:build unix

package embed

import (
	"syscall"
	"testing"
	"time"
)

// processCPUTime returns the user and system CPU time of this process. The
// development machine is shared, so benchmarks report CPU time besides wall
// time: other processes inflate only the latter.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loopCPU runs fn in b.Loop and reports its CPU time per call.
func loopCPU(b *testing.B, fn func()) {
	start := processCPUTime()
	for b.Loop() {
		fn()
	}
	b.ReportMetric(float64(processCPUTime()-start)/float64(b.N), "cpu-ns/op")
}
