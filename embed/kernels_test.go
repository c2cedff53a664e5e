package embed

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func randomVector(rng *rng, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 2*rng.float32() - 1
	}
	return v
}

func TestKernelsMatchPlainLoops(t *testing.T) {
	t.Parallel()
	rng := newRNG(1)
	for _, n := range []int{0, 1, 3, 4, 7, 16, 31, 128, 200} {
		a, b := randomVector(&rng, n), randomVector(&rng, n)
		var wantL1, wantL2 float64
		for i := range a {
			d := float64(a[i]) - float64(b[i])
			wantL1 += math.Abs(d)
			wantL2 += d * d
		}
		require.InDelta(t, wantL1, l1(a, b), 1e-4*float64(n+1), "l1 n=%d", n)
		require.InDelta(t, math.Sqrt(wantL2), l2(a, b), 1e-4*float64(n+1), "l2 n=%d", n)
		var wantSS float64
		for _, x := range a {
			wantSS += float64(x) * float64(x)
		}
		require.InDelta(t, wantSS, sumSquares(a), 1e-4*float64(n+1), "sumSquares n=%d", n)

		const w = 0.75
		gx, ge := randomVector(&rng, n), randomVector(&rng, n)
		wantX, wantE := slices.Clone(gx), slices.Clone(ge)
		signStep(-w, a, b, gx, ge)
		for i := range a {
			s := float32(-w)
			if a[i] < b[i] {
				s = w
			}
			wantX[i] += s
			wantE[i] -= s
		}
		require.Equal(t, wantX, gx, "signStep n=%d", n)
		require.Equal(t, wantE, ge, "signStep n=%d", n)

		dist := l2(a, b)
		gx, ge = randomVector(&rng, n), randomVector(&rng, n)
		wantX, wantE = slices.Clone(gx), slices.Clone(ge)
		diffStep(w, dist, a, b, gx, ge)
		for i := range a {
			s := w / dist * (a[i] - b[i])
			wantX[i] += s
			wantE[i] -= s
		}
		require.InDeltaSlice(t, toFloat64(wantX), toFloat64(gx), 1e-5, "diffStep n=%d", n)
		require.InDeltaSlice(t, toFloat64(wantE), toFloat64(ge), 1e-5, "diffStep n=%d", n)
	}
}

func TestBoundedDistances(t *testing.T) {
	t.Parallel()
	rng := newRNG(4)
	for _, n := range []int{5, 32, 100, 128, 300} {
		for range 20 {
			a, b := randomVector(&rng, n), randomVector(&rng, n)
			for _, k := range []struct {
				name   string
				dist   func(a, b []float32) float32
				within func(a, b []float32, bound float32) float32
			}{{"l1", l1, l1Within}, {"l2", l2, l2Within}} {
				d := k.dist(a, b)
				// At or above the distance, the bounded kernel gives it exactly.
				require.Equal(t, d, k.within(a, b, d), "%s n=%d", k.name, n)
				require.Equal(t, d, k.within(a, b, float32(math.Inf(1))), "%s n=%d", k.name, n)
				// Below it, anything above the bound will do.
				for _, frac := range []float32{0, 0.2, 0.9, 0.999999} {
					bound := frac * d
					require.Greater(t, k.within(a, b, bound), bound, "%s n=%d bound %g of %g", k.name, n, bound, d)
				}
			}
		}
	}
}

func toFloat64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	v := []float32{3, 4}
	normalize(v, false)
	require.InDeltaSlice(t, []float64{0.6, 0.8}, toFloat64(v), 1e-7)
	zero := []float32{0, 0}
	normalize(zero, false)
	require.Equal(t, []float32{0, 0}, zero)
}

func TestRNG(t *testing.T) {
	t.Parallel()
	r := newRNG(11)
	var counts [7]int
	for range 70000 {
		counts[r.intn(7)]++
	}
	for _, c := range counts {
		require.InDelta(t, 10000, c, 500)
	}
	for range 1000 {
		f := r.float32()
		require.True(t, f >= 0 && f < 1)
	}
}

func TestOptimizerKernelsMatchFormulas(t *testing.T) {
	t.Parallel()
	rng := newRNG(2)
	for _, n := range []int{1, 7, 8, 20, 128} {
		p, g, m := randomVector(&rng, n), randomVector(&rng, n), randomVector(&rng, n)
		v := randomVector(&rng, n)
		for i := range v {
			v[i] *= v[i]
		}
		wantP, wantM, wantV := slices.Clone(p), slices.Clone(m), slices.Clone(v)
		const stepSize, scale = 0.01, 1.5
		for i := range p {
			mi := 0.9*float64(m[i]) + 0.1*float64(g[i])
			vi := 0.999*float64(v[i]) + 0.001*float64(g[i])*float64(g[i])
			wantM[i], wantV[i] = float32(mi), float32(vi)
			wantP[i] = float32(float64(p[i]) - stepSize*mi/(math.Sqrt(vi)*scale+1e-8))
		}
		adamStep(p, g, m, v, stepSize, scale)
		require.InDeltaSlice(t, toFloat64(wantP), toFloat64(p), 1e-5, "adam n=%d", n)
		require.InDeltaSlice(t, toFloat64(wantM), toFloat64(m), 1e-6, "adam n=%d", n)
		require.InDeltaSlice(t, toFloat64(wantV), toFloat64(v), 1e-6, "adam n=%d", n)

		wantP, wantV = slices.Clone(p), slices.Clone(v)
		for i := range p {
			vi := float64(v[i]) + float64(g[i])*float64(g[i])
			wantV[i] = float32(vi)
			wantP[i] = float32(float64(p[i]) - 0.1*float64(g[i])/(math.Sqrt(vi)+1e-10))
		}
		adagradStep(p, g, v, 0.1)
		require.InDeltaSlice(t, toFloat64(wantP), toFloat64(p), 1e-5, "adagrad n=%d", n)
		require.InDeltaSlice(t, toFloat64(wantV), toFloat64(v), 1e-6, "adagrad n=%d", n)
	}
}

func TestRsqrt32(t *testing.T) {
	t.Parallel()
	// Powers of two and the values between them cover every exponent and
	// mantissa pattern that matters for the bit-level first guess.
	for x := float32(1e-20); x < 1e20; x *= 1.0173 {
		want := 1 / math.Sqrt(float64(x))
		require.InEpsilon(t, want, float64(rsqrt32(x)), 1e-5, "x=%g", x)
	}
}
