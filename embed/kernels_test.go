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
