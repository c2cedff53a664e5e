//go:build !unix

package testkit

import "time"

// ProcessCPU is unknown here; measurements report no CPU time.
func ProcessCPU() time.Duration { return 0 }
