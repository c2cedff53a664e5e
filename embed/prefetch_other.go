//go:build !amd64

package embed

// prefetch is a hint; without the assembly of amd64 it does nothing.
func prefetch([]float32) {}
