//go:build !linux

package validation

import "time"

var processStart = time.Now()

// threadCPU falls back to the wall clock where per-thread CPU time is not
// at hand.
func threadCPU() time.Duration { return time.Since(processStart) }
