//go:build goexperiment.simd

package embed

import (
	"math"
	"simd/archsimd"
)

// haveAVX2 selects the 8-wide kernels; it is fixed at start-up.
var haveAVX2 = archsimd.X86.AVX2()

func l1(a, b []float32) float32 {
	if haveAVX2 {
		return l1AVX2(a, b)
	}
	return l1Scalar(a, b)
}

func l2(a, b []float32) float32 {
	if haveAVX2 {
		return l2AVX2(a, b)
	}
	return l2Scalar(a, b)
}

func l1Within(a, b []float32, bound float32) float32 {
	if haveAVX2 {
		return l1WithinAVX2(a, b, bound)
	}
	return l1WithinScalar(a, b, bound)
}

func l2Within(a, b []float32, bound float32) float32 {
	if haveAVX2 {
		return l2WithinAVX2(a, b, bound)
	}
	return l2WithinScalar(a, b, bound)
}

func signStep(w float32, x, e, gx, ge []float32) {
	if haveAVX2 {
		signStepAVX2(w, x, e, gx, ge)
		return
	}
	signStepScalar(w, x, e, gx, ge)
}

func diffStep(w, dist float32, x, e, gx, ge []float32) {
	if haveAVX2 {
		diffStepAVX2(w, dist, x, e, gx, ge)
		return
	}
	diffStepScalar(w, dist, x, e, gx, ge)
}

func adamStep(p, g, m, v []float32, stepSize, invSqrtBias2 float32) {
	if haveAVX2 {
		adamStepAVX2(p, g, m, v, stepSize, invSqrtBias2)
		return
	}
	adamStepScalar(p, g, m, v, stepSize, invSqrtBias2)
}

func adagradStep(p, g, v []float32, lr float32) {
	if haveAVX2 {
		adagradStepAVX2(p, g, v, lr)
		return
	}
	adagradStepScalar(p, g, v, lr)
}

func sumSquares(v []float32) float32 {
	if haveAVX2 {
		return sumSquaresAVX2(v)
	}
	return sumSquaresScalar(v)
}

const signBit = -1 << 31 // 0x80000000 as an int32

func load(s []float32) archsimd.Float32x8 { return archsimd.LoadFloat32x8Slice(s) }

// hsum adds the lanes of x pairwise.
func hsum(x archsimd.Float32x8) float32 {
	var lanes [4]float32
	x.GetLo().Add(x.GetHi()).Store(&lanes)
	return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}

func l1AVX2(a, b []float32) float32 {
	b = b[:len(a)]
	magnitude := archsimd.BroadcastInt32x8(^signBit)
	var acc0, acc1 archsimd.Float32x8
	i := 0
	for ; i+16 <= len(a); i += 16 {
		d0 := load(a[i:]).Sub(load(b[i:]))
		d1 := load(a[i+8:]).Sub(load(b[i+8:]))
		acc0 = acc0.Add(d0.AsInt32x8().And(magnitude).AsFloat32x8())
		acc1 = acc1.Add(d1.AsInt32x8().And(magnitude).AsFloat32x8())
	}
	for ; i+8 <= len(a); i += 8 {
		d := load(a[i:]).Sub(load(b[i:]))
		acc0 = acc0.Add(d.AsInt32x8().And(magnitude).AsFloat32x8())
	}
	s := hsum(acc0.Add(acc1))
	for ; i < len(a); i++ {
		s += abs32(a[i] - b[i])
	}
	return s
}

// withinCheckAVX2 is how many coordinates the bounded AVX2 kernels add
// between looks at the partial sum, which costs a horizontal add.
const withinCheckAVX2 = 64

func l1WithinAVX2(a, b []float32, bound float32) float32 {
	b = b[:len(a)]
	magnitude := archsimd.BroadcastInt32x8(^signBit)
	var acc0, acc1 archsimd.Float32x8
	i := 0
	for ; i+16 <= len(a); i += 16 {
		d0 := load(a[i:]).Sub(load(b[i:]))
		d1 := load(a[i+8:]).Sub(load(b[i+8:]))
		acc0 = acc0.Add(d0.AsInt32x8().And(magnitude).AsFloat32x8())
		acc1 = acc1.Add(d1.AsInt32x8().And(magnitude).AsFloat32x8())
		if (i+16)%withinCheckAVX2 == 0 && hsum(acc0.Add(acc1)) > bound {
			return float32(math.Inf(1))
		}
	}
	for ; i+8 <= len(a); i += 8 {
		d := load(a[i:]).Sub(load(b[i:]))
		acc0 = acc0.Add(d.AsInt32x8().And(magnitude).AsFloat32x8())
	}
	s := hsum(acc0.Add(acc1))
	for ; i < len(a); i++ {
		s += abs32(a[i] - b[i])
	}
	return s
}

func l2WithinAVX2(a, b []float32, bound float32) float32 {
	b = b[:len(a)]
	limit := squaredBound(bound)
	var acc0, acc1 archsimd.Float32x8
	i := 0
	for ; i+16 <= len(a); i += 16 {
		d0 := load(a[i:]).Sub(load(b[i:]))
		d1 := load(a[i+8:]).Sub(load(b[i+8:]))
		acc0 = d0.MulAdd(d0, acc0)
		acc1 = d1.MulAdd(d1, acc1)
		if (i+16)%withinCheckAVX2 == 0 && hsum(acc0.Add(acc1)) > limit {
			return float32(math.Inf(1))
		}
	}
	for ; i+8 <= len(a); i += 8 {
		d := load(a[i:]).Sub(load(b[i:]))
		acc0 = d.MulAdd(d, acc0)
	}
	s := hsum(acc0.Add(acc1))
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s += d * d
	}
	return sqrt32(s)
}

func l2AVX2(a, b []float32) float32 {
	b = b[:len(a)]
	var acc0, acc1 archsimd.Float32x8
	i := 0
	for ; i+16 <= len(a); i += 16 {
		d0 := load(a[i:]).Sub(load(b[i:]))
		d1 := load(a[i+8:]).Sub(load(b[i+8:]))
		acc0 = d0.MulAdd(d0, acc0)
		acc1 = d1.MulAdd(d1, acc1)
	}
	for ; i+8 <= len(a); i += 8 {
		d := load(a[i:]).Sub(load(b[i:]))
		acc0 = d.MulAdd(d, acc0)
	}
	s := hsum(acc0.Add(acc1))
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s += d * d
	}
	return sqrt32(s)
}

func sumSquaresAVX2(v []float32) float32 {
	var acc0, acc1 archsimd.Float32x8
	i := 0
	for ; i+16 <= len(v); i += 16 {
		x0, x1 := load(v[i:]), load(v[i+8:])
		acc0 = x0.MulAdd(x0, acc0)
		acc1 = x1.MulAdd(x1, acc1)
	}
	for ; i+8 <= len(v); i += 8 {
		x := load(v[i:])
		acc0 = x.MulAdd(x, acc0)
	}
	s := hsum(acc0.Add(acc1))
	for ; i < len(v); i++ {
		s += v[i] * v[i]
	}
	return s
}

func signStepAVX2(w float32, x, e, gx, ge []float32) {
	e, gx, ge = e[:len(x)], gx[:len(x)], ge[:len(x)]
	sign := archsimd.BroadcastInt32x8(signBit)
	wSign := archsimd.BroadcastInt32x8(int32(math.Float32bits(w) & (1 << 31)))
	wAbs := archsimd.BroadcastInt32x8(int32(math.Float32bits(w) &^ (1 << 31)))
	i := 0
	for ; i+8 <= len(x); i += 8 {
		d := load(x[i:]).Sub(load(e[i:]))
		s := d.AsInt32x8().And(sign).Xor(wSign).Or(wAbs).AsFloat32x8()
		load(gx[i:]).Add(s).StoreSlice(gx[i:])
		load(ge[i:]).Sub(s).StoreSlice(ge[i:])
	}
	signStepScalar(w, x[i:], e[i:], gx[i:], ge[i:])
}

func diffStepAVX2(w, dist float32, x, e, gx, ge []float32) {
	if dist == 0 {
		return
	}
	c := w / dist
	e, gx, ge = e[:len(x)], gx[:len(x)], ge[:len(x)]
	cv := archsimd.BroadcastFloat32x8(c)
	i := 0
	for ; i+8 <= len(x); i += 8 {
		s := load(x[i:]).Sub(load(e[i:])).Mul(cv)
		load(gx[i:]).Add(s).StoreSlice(gx[i:])
		load(ge[i:]).Sub(s).StoreSlice(ge[i:])
	}
	for ; i < len(x); i++ {
		s := c * (x[i] - e[i])
		gx[i] += s
		ge[i] -= s
	}
}

func adamStepAVX2(p, g, m, v []float32, stepSize, invSqrtBias2 float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	beta1, oneMinusBeta1 := archsimd.BroadcastFloat32x8(adamBeta1), archsimd.BroadcastFloat32x8(1-adamBeta1)
	beta2, oneMinusBeta2 := archsimd.BroadcastFloat32x8(adamBeta2), archsimd.BroadcastFloat32x8(1-adamBeta2)
	step, scale := archsimd.BroadcastFloat32x8(stepSize), archsimd.BroadcastFloat32x8(invSqrtBias2)
	eps := archsimd.BroadcastFloat32x8(adamEpsilon)
	i := 0
	for ; i+8 <= len(p); i += 8 {
		gi := load(g[i:])
		mi := load(m[i:]).Mul(beta1).Add(gi.Mul(oneMinusBeta1))
		vi := load(v[i:]).Mul(beta2).Add(gi.Mul(gi).Mul(oneMinusBeta2))
		mi.StoreSlice(m[i:])
		vi.StoreSlice(v[i:])
		denominator := vi.Sqrt().Mul(scale).Add(eps)
		load(p[i:]).Sub(step.Mul(mi).Div(denominator)).StoreSlice(p[i:])
	}
	adamStepScalar(p[i:], g[i:], m[i:], v[i:], stepSize, invSqrtBias2)
}

func adagradStepAVX2(p, g, v []float32, lr float32) {
	g, v = g[:len(p)], v[:len(p)]
	rate, eps := archsimd.BroadcastFloat32x8(lr), archsimd.BroadcastFloat32x8(adagradEps)
	i := 0
	for ; i+8 <= len(p); i += 8 {
		gi := load(g[i:])
		vi := load(v[i:]).Add(gi.Mul(gi))
		vi.StoreSlice(v[i:])
		load(p[i:]).Sub(rate.Mul(gi).Div(vi.Sqrt().Add(eps))).StoreSlice(p[i:])
	}
	adagradStepScalar(p[i:], g[i:], v[i:], lr)
}
