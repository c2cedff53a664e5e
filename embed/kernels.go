package embed

import "math"

// The vector kernels below are plain Go, with independent accumulators so
// that the additions pipeline; kernels_bench_test.go holds the measurements
// behind that choice. On amd64 with AVX2 the hot ones run as assembly
// (kernels_amd64.s) that adds in exactly the same order, so both give the
// same bits and a model does not depend on the machine that trained it.
// Every distance goes through l1 or l2, so the same pair of vectors always
// yields the same float32 bits, which tie counting in evaluation relies on.

// lanes is the number of partial sums of l1: sixteen, the lanes of two AVX2
// registers; reduce16 adds them up in the order the assembly does.
const lanes = 16

func reduce16(s *[lanes]float32) float32 {
	var t [8]float32
	for j := range t {
		t[j] = s[j] + s[j+8]
	}
	u0, u1, u2, u3 := t[0]+t[4], t[1]+t[5], t[2]+t[6], t[3]+t[7]
	return (u0 + u1) + (u2 + u3)
}

// l1Scalar returns Σ|a_i − b_i|: partial sums of the elements i mod 16 of
// the leading multiple of 16, reduced, then the rest in order.
func l1Scalar(a, b []float32) float32 {
	b = b[:len(a)]
	var s [lanes]float32
	n := len(a) &^ (lanes - 1)
	for i := 0; i < n; i += lanes {
		x, y := a[i:i+lanes:i+lanes], b[i:i+lanes:i+lanes]
		for j := range s {
			s[j] += abs32(x[j] - y[j])
		}
	}
	return l1Tail(reduce16(&s), a[n:], b[n:])
}

// l1Tail adds Σ|a_i − b_i| to sum, in order.
func l1Tail(sum float32, a, b []float32) float32 {
	b = b[:len(a)]
	for i := range a {
		sum += abs32(a[i] - b[i])
	}
	return sum
}

// Evaluation compares every entity's distance with the answer's, so it
// only needs the exact distance of entities that are at most as far:
// l1WithinScalar and l2WithinScalar return +Inf as soon as a partial sum
// exceeds the bound. Partial sums of non-negative terms only grow, even in
// floating point, and the reduction is monotone in each of them, so this
// never changes a comparison; when they do not stop early they add in
// exactly the same order as l1Scalar and l2Scalar.

// withinCheck is how many coordinates the bounded kernels add between looks
// at the partial sum.
const withinCheck = 64

// l1WithinScalar returns l1Scalar(a, b) if it is at most bound, and a value
// above bound, perhaps +Inf, otherwise.
func l1WithinScalar(a, b []float32, bound float32) float32 {
	b = b[:len(a)]
	var s [lanes]float32
	n := len(a) &^ (lanes - 1)
	for i := 0; i < n; i += lanes {
		x, y := a[i:i+lanes:i+lanes], b[i:i+lanes:i+lanes]
		for j := range s {
			s[j] += abs32(x[j] - y[j])
		}
		if (i+lanes)%withinCheck == 0 && reduce16(&s) > bound {
			return float32(math.Inf(1))
		}
	}
	return l1Tail(reduce16(&s), a[n:], b[n:])
}

// l2WithinScalar returns l2Scalar(a, b) if it is at most bound, and a value
// above bound, perhaps +Inf, otherwise.
func l2WithinScalar(a, b []float32, bound float32) float32 {
	b = b[:len(a)]
	limit := squaredBound(bound)
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		d0, d1, d2, d3 := x[0]-y[0], x[1]-y[1], x[2]-y[2], x[3]-y[3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
		if (i+4)%withinCheck == 0 && (s0+s1)+(s2+s3) > limit {
			return float32(math.Inf(1))
		}
	}
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s0 += d * d
	}
	return sqrt32((s0 + s1) + (s2 + s3))
}

// squaredBound returns a bound on sums of squares beyond which the square
// root is certainly above bound, despite rounding.
func squaredBound(bound float32) float32 {
	return bound * bound * (1 + 1.0/(1<<16))
}

// l2Scalar returns √Σ(a_i − b_i)².
func l2Scalar(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		d0, d1, d2, d3 := x[0]-y[0], x[1]-y[1], x[2]-y[2], x[3]-y[3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s0 += d * d
	}
	return sqrt32((s0 + s1) + (s2 + s3))
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// sqrt32 compiles to a single SQRTSS.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// add sets dst = a + b.
func add(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// sub sets dst = a − b.
func sub(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}

// axpy sets y += alpha·x.
func axpy(alpha float32, x, y []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += alpha * x[i]
	}
}

// signStepScalar accumulates the L1 gradient of w·‖x − e‖₁: with s = w·sign(x − e),
// gx += s and ge −= s. At x_i = e_i it takes the subgradient ±w by the sign
// bit of the zero, which is as good as 0 and needs no branch.
func signStepScalar(w float32, x, e, gx, ge []float32) {
	e, gx, ge = e[:len(x)], gx[:len(x)], ge[:len(x)]
	wBits := math.Float32bits(w) &^ (1 << 31)
	wSign := math.Float32bits(w) & (1 << 31)
	for i := range x {
		s := math.Float32frombits((wBits | math.Float32bits(x[i]-e[i])&(1<<31)) ^ wSign)
		gx[i] += s
		ge[i] -= s
	}
}

// diffStepScalar accumulates the gradient of w·‖x − e‖₂ given dist = ‖x − e‖₂:
// with s = (w/dist)·(x − e), gx += s and ge −= s.
func diffStepScalar(w, dist float32, x, e, gx, ge []float32) {
	if dist == 0 {
		return // no direction to move in; the subgradient 0 is valid
	}
	c := w / dist
	e, gx, ge = e[:len(x)], gx[:len(x)], ge[:len(x)]
	for i := range x {
		s := c * (x[i] - e[i])
		gx[i] += s
		ge[i] -= s
	}
}

// sumSquaresScalar returns Σv_i².
func sumSquaresScalar(v []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		x := v[i : i+4 : i+4]
		s0 += x[0] * x[0]
		s1 += x[1] * x[1]
		s2 += x[2] * x[2]
		s3 += x[3] * x[3]
	}
	for ; i < len(v); i++ {
		s0 += v[i] * v[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// adamStepScalar is Adam's update of parameters p with gradient g and
// moments m and v: p −= stepSize·m / (√v·invSqrtBias2 + ε).
func adamStepScalar(p, g, m, v []float32, stepSize, invSqrtBias2 float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	// The conversions round every product, as the assembly does: without
	// them the compiler may fuse a multiply and an add (GOAMD64=v3), which
	// rounds once and gives other bits.
	for i, gi := range g {
		mi := float32(adamBeta1*m[i]) + float32((1-adamBeta1)*gi)
		vi := float32(adamBeta2*v[i]) + float32(float32((1-adamBeta2)*gi)*gi)
		m[i], v[i] = mi, vi
		p[i] -= float32(stepSize*mi) / (float32(sqrt32(vi)*invSqrtBias2) + adamEpsilon)
	}
}

// adagradStepScalar is Adagrad's update of parameters p with gradient g and
// sum of squares v: p −= lr·g/√(v + ε²), which differs from the textbook
// lr·g/(√v + ε) only for v near ε². The reciprocal square root is
// rsqrt32's, not a square root and a division: those two wait on the one
// divider unit and made Adagrad half of an epoch's CPU time on WN18RR.
func adagradStepScalar(p, g, v []float32, lr float32) {
	g, v = g[:len(p)], v[:len(p)]
	for i, gi := range g {
		vi := v[i] + float32(gi*gi) // rounded, as in adamStepScalar
		v[i] = vi
		p[i] -= float32(lr*gi) * rsqrt32(vi+adagradEps*adagradEps)
	}
}

// rsqrt32 returns 1/√x for normal x > 0 to a relative error below 1e-5:
// the bit-level first guess of "fast inverse square root" (with Lomont's
// constant) refined by two Newton steps, all of it pipelined multiplies.
func rsqrt32(x float32) float32 {
	y := math.Float32frombits(0x5f375a86 - math.Float32bits(x)>>1)
	half := 0.5 * x
	y *= 1.5 - float32(float32(half*y)*y)
	return y * (1.5 - float32(float32(half*y)*y))
}

// normalize scales v to unit L2 norm, or, if onlyLonger, only when its norm
// exceeds 1; a zero vector stays zero.
func normalize(v []float32, onlyLonger bool) {
	ss := sumSquares(v)
	if ss == 0 || onlyLonger && ss <= 1 {
		return
	}
	inv := 1 / sqrt32(ss)
	for i := range v {
		v[i] *= inv
	}
}
