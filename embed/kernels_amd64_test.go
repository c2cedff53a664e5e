package embed

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAssemblyMatchesPortableKernels holds the AVX2 kernels to the bits of
// the portable ones, which machines without AVX2 (and other architectures)
// run: a model must not depend on where it was trained.
func TestAssemblyMatchesPortableKernels(t *testing.T) {
	t.Parallel()
	if !haveAVX2 {
		t.Skip("no AVX2 on this processor")
	}
	rng := newRNG(11)
	for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 31, 64, 100, 128, 200, 256, 300} {
		for range 20 {
			a, b := randomVector(&rng, n), randomVector(&rng, n)
			require.Equal(t, l1Scalar(a, b), l1(a, b), "l1 n=%d", n)
			d := l1(a, b)
			for _, bound := range []float32{0, d / 3, d * 0.999, d, d * 2} {
				got, want := l1Within(a, b, bound), l1WithinScalar(a, b, bound)
				if want <= bound || got <= bound {
					require.Equal(t, want, got, "l1Within n=%d bound %g", n, bound)
				}
			}

			for _, w := range []float32{0.75, -1e-3} {
				gx, ge := randomVector(&rng, n), randomVector(&rng, n)
				wantX, wantE := slices.Clone(gx), slices.Clone(ge)
				signStepScalar(w, a, b, wantX, wantE)
				signStep(w, a, b, gx, ge)
				require.Equal(t, wantX, gx, "signStep n=%d", n)
				require.Equal(t, wantE, ge, "signStep n=%d", n)
			}

			p, g, m, v := randomVector(&rng, n), randomVector(&rng, n), randomVector(&rng, n), randomVector(&rng, n)
			for i := range v {
				v[i] *= v[i] * 1e-3
				g[i] *= 1e-2
			}
			p2, m2, v2 := slices.Clone(p), slices.Clone(m), slices.Clone(v)
			adamStepScalar(p2, g, m2, v2, 1e-3, 1.7)
			adamStep(p, g, m, v, 1e-3, 1.7)
			require.Equal(t, p2, p, "adam p n=%d", n)
			require.Equal(t, m2, m, "adam m n=%d", n)
			require.Equal(t, v2, v, "adam v n=%d", n)

			p2, v2 = slices.Clone(p), slices.Clone(v)
			adagradStepScalar(p2, g, v2, 0.1)
			adagradStep(p, g, v, 0.1)
			require.Equal(t, p2, p, "adagrad p n=%d", n)
			require.Equal(t, v2, v, "adagrad v n=%d", n)
		}
	}
}
