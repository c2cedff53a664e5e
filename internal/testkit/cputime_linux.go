package testkit

import (
	"syscall"
	"time"
)

// ThreadCPU is the CPU time the calling OS thread has used. Timed code that
// stays on one locked thread is measured by the core time it took.
func ThreadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
