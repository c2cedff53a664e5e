package embed

// haveAVX2 selects the assembly kernels; the processor does not change
// while the program runs.
var haveAVX2 = cpuHasAVX2()

func cpuHasAVX2() bool

//go:noescape
func l1AVX2(a, b []float32) float32

//go:noescape
func l1WithinAVX2(a, b []float32, bound float32) float32

//go:noescape
func signStepAVX2(w float32, x, e, gx, ge []float32)

//go:noescape
func adamStepAVX2(p, g, m, v []float32, stepSize, invSqrtBias2 float32)

//go:noescape
func adagradStepAVX2(p, g, v []float32, lr float32)

func l1(a, b []float32) float32 {
	if !haveAVX2 {
		return l1Scalar(a, b)
	}
	b = b[:len(a)]
	n := len(a) &^ (lanes - 1)
	return l1Tail(l1AVX2(a, b), a[n:], b[n:])
}

func l1Within(a, b []float32, bound float32) float32 {
	if !haveAVX2 {
		return l1WithinScalar(a, b, bound)
	}
	b = b[:len(a)]
	n := len(a) &^ (lanes - 1)
	return l1Tail(l1WithinAVX2(a, b, bound), a[n:], b[n:])
}

func signStep(w float32, x, e, gx, ge []float32) {
	if !haveAVX2 {
		signStepScalar(w, x, e, gx, ge)
		return
	}
	e, gx, ge = e[:len(x)], gx[:len(x)], ge[:len(x)]
	signStepAVX2(w, x, e, gx, ge)
	n := len(x) &^ 7
	signStepScalar(w, x[n:], e[n:], gx[n:], ge[n:])
}

func adamStep(p, g, m, v []float32, stepSize, invSqrtBias2 float32) {
	if !haveAVX2 {
		adamStepScalar(p, g, m, v, stepSize, invSqrtBias2)
		return
	}
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	adamStepAVX2(p, g, m, v, stepSize, invSqrtBias2)
	n := len(p) &^ 7
	adamStepScalar(p[n:], g[n:], m[n:], v[n:], stepSize, invSqrtBias2)
}

func adagradStep(p, g, v []float32, lr float32) {
	if !haveAVX2 {
		adagradStepScalar(p, g, v, lr)
		return
	}
	g, v = g[:len(p)], v[:len(p)]
	adagradStepAVX2(p, g, v, lr)
	n := len(p) &^ 7
	adagradStepScalar(p[n:], g[n:], v[n:], lr)
}

func l2(a, b []float32) float32                        { return l2Scalar(a, b) }
func l2Within(a, b []float32, bound float32) float32   { return l2WithinScalar(a, b, bound) }
func sumSquares(v []float32) float32                   { return sumSquaresScalar(v) }
func diffStep(w, dist float32, x, e, gx, ge []float32) { diffStepScalar(w, dist, x, e, gx, ge) }
