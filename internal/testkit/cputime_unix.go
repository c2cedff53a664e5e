//go:build unix

package testkit

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time the process has used on all its threads,
// garbage collection included. On a shared machine it measures work where
// the wall clock also counts waiting for a core.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
