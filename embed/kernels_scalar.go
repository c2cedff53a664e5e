//go:build !(goexperiment.simd && amd64)

package embed

// Without the SIMD experiment, the kernels are the portable ones.

func l1(a, b []float32) float32                        { return l1Scalar(a, b) }
func l2(a, b []float32) float32                        { return l2Scalar(a, b) }
func l1Within(a, b []float32, bound float32) float32   { return l1WithinScalar(a, b, bound) }
func l2Within(a, b []float32, bound float32) float32   { return l2WithinScalar(a, b, bound) }
func sumSquares(v []float32) float32                   { return sumSquaresScalar(v) }
func signStep(w float32, x, e, gx, ge []float32)       { signStepScalar(w, x, e, gx, ge) }
func diffStep(w, dist float32, x, e, gx, ge []float32) { diffStepScalar(w, dist, x, e, gx, ge) }
func adagradStep(p, g, v []float32, lr float32)        { adagradStepScalar(p, g, v, lr) }

func adamStep(p, g, m, v []float32, stepSize, invSqrtBias2 float32) {
	adamStepScalar(p, g, m, v, stepSize, invSqrtBias2)
}
