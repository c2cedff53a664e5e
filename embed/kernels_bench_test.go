//go:build unix

package embed

import (
	"fmt"
	"math"
	"testing"
)

// These benchmarks chose the kernels. Run them as
//
//	go test -run '^$' -bench Kernel ./embed
//	GOEXPERIMENT=simd go test -run '^$' -bench Kernel ./embed
//
// On the 2-core AMD EPYC (Zen 5) development machine, plain Go with one
// accumulator pays a loop-carried dependency on every add and, for L1, a
// branch that random signs mispredict; unrolling by four with independent
// accumulators and a branch-free abs is about 1.5–2× faster. Go has no float
// abs instruction, so abs goes through an integer register, which bounds
// scalar L1 at about one element per cycle. gonum (v0.17.0) has assembly
// only for axpy and dot products, not for L1 or sign steps, and going
// through them costs an extra pass over memory: its L1 (axpy into a
// scratch vector, then asum) measured 2–3× slower than the unrolled loop,
// so it is not used. The AVX2 kernels of GOEXPERIMENT=simd are 3–5× faster
// again, but that experiment is opt-in, so the default build cannot rely on it.

var kernelSink float32

// vectorPool returns n random vectors. The benchmarks cycle through a pool
// so that, as in training, branch predictors cannot learn one vector's signs.
func vectorPool(n, dim int) [][]float32 {
	rng := newRNG(uint64(n * dim))
	pool := make([][]float32, n)
	for i := range pool {
		pool[i] = randomVector(&rng, dim)
	}
	return pool
}

const poolSize = 64

func BenchmarkKernelL1(b *testing.B) {
	for _, dim := range []int{128, 512} {
		pool := vectorPool(poolSize+1, dim)
		for _, k := range []struct {
			name string
			fn   func(a, b []float32) float32
		}{{"branchy", l1Branchy}, {"bits", l1Bits}, {"unrolled", l1Scalar}, {"used", l1}} {
			b.Run(fmt.Sprintf("%s/dim=%d", k.name, dim), func(b *testing.B) {
				i := 0
				loopCPU(b, func() {
					i = (i + 1) % poolSize
					kernelSink += k.fn(pool[i], pool[i+1])
				})
			})
		}
	}
}

func BenchmarkKernelL2(b *testing.B) {
	for _, dim := range []int{128, 512} {
		pool := vectorPool(poolSize+1, dim)
		for _, k := range []struct {
			name string
			fn   func(a, b []float32) float32
		}{{"plain", l2Plain}, {"unrolled", l2Scalar}, {"used", l2}} {
			b.Run(fmt.Sprintf("%s/dim=%d", k.name, dim), func(b *testing.B) {
				i := 0
				loopCPU(b, func() {
					i = (i + 1) % poolSize
					kernelSink += k.fn(pool[i], pool[i+1])
				})
			})
		}
	}
}

func BenchmarkKernelSignStep(b *testing.B) {
	pool := vectorPool(poolSize+3, 128)
	for _, k := range []struct {
		name string
		fn   func(w float32, x, e, gx, ge []float32)
	}{{"branchy", signStepBranchy}, {"bits", signStepScalar}, {"used", signStep}} {
		b.Run(k.name, func(b *testing.B) {
			i := 0
			loopCPU(b, func() {
				i = (i + 1) % poolSize
				k.fn(1e-9, pool[i], pool[i+1], pool[i+2], pool[i+3])
			})
		})
	}
}

func BenchmarkKernelAdam(b *testing.B) {
	pool := vectorPool(poolSize+3, 128)
	for _, v := range pool {
		for i := range v {
			v[i] *= v[i] // valid second moments
		}
	}
	for _, k := range []struct {
		name string
		fn   func(p, g, m, v []float32, stepSize, invSqrtBias2 float32)
	}{{"scalar", adamStepScalar}, {"used", adamStep}} {
		b.Run(k.name, func(b *testing.B) {
			i := 0
			loopCPU(b, func() {
				i = (i + 1) % poolSize
				k.fn(pool[i], pool[i+1], pool[i+2], pool[i+3], 1e-9, 1)
			})
		})
	}
}

func l1Branchy(a, b []float32) float32 {
	var s float32
	for i := range a {
		d := a[i] - b[i]
		if d < 0 {
			d = -d
		}
		s += d
	}
	return s
}

func l1Bits(a, b []float32) float32 {
	var s float32
	b = b[:len(a)]
	for i := range a {
		s += abs32(a[i] - b[i])
	}
	return s
}

func l2Plain(a, b []float32) float32 {
	var s float32
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return float32(math.Sqrt(float64(s)))
}

func signStepBranchy(w float32, x, e, gx, ge []float32) {
	for i := range x {
		s := w
		if x[i] < e[i] {
			s = -w
		}
		gx[i] += s
		ge[i] -= s
	}
}
