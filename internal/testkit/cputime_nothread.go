//go:build !linux

package testkit

import "time"

// ThreadCPU is unknown here; measurements report no CPU time.
func ThreadCPU() time.Duration { return 0 }
