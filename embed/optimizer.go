package embed

import "math"

const (
	adamBeta1   = 0.9
	adamBeta2   = 0.999
	adamEpsilon = 1e-8
	adagradEps  = 1e-10
)

// optimizerState holds the state of one embedding matrix. Adam keeps its
// first and second moments in m and v; Adagrad keeps its sum of squared
// gradients in v, RowAdagrad the sum of their row means; SGD keeps nothing.
type optimizerState struct {
	m, v    []float32
	rowwise bool // v has one element per row
}

func newOptimizerState(kind Optimizer, rows, dim int) optimizerState {
	switch kind {
	case Adam, DenseAdam:
		return optimizerState{m: make([]float32, rows*dim), v: make([]float32, rows*dim)}
	case Adagrad:
		return optimizerState{v: make([]float32, rows*dim)}
	case RowAdagrad:
		return optimizerState{v: make([]float32, rows), rowwise: true}
	}
	return optimizerState{}
}

// arrays returns the state arrays in checkpoint order.
func (s *optimizerState) arrays() [][]float32 {
	var out [][]float32
	for _, a := range [...][]float32{s.m, s.v} {
		if a != nil {
			out = append(out, a)
		}
	}
	return out
}

// prefetch asks for the state of the n elements from offset to be cached.
func (s *optimizerState) prefetch(offset, n int) {
	if s.rowwise {
		return // one small vector, cached
	}
	for _, a := range [...][]float32{s.m, s.v} {
		if a != nil {
			prefetch(a[offset : offset+n])
		}
	}
}

// stepRule is an optimizer with the scalars of one step precomputed.
type stepRule struct {
	kind Optimizer
	lr   float32
	// Adam's bias corrections fold into these (PyTorch's formulation):
	// p −= stepSize·m / (√v·invSqrtBias2 + ε).
	stepSize, invSqrtBias2 float32
}

// newStepRule prepares step t (1-based).
func newStepRule(kind Optimizer, lr float32, t int64) stepRule {
	r := stepRule{kind: kind, lr: lr}
	if kind == Adam || kind == DenseAdam {
		bias1 := 1 - math.Pow(adamBeta1, float64(t))
		bias2 := 1 - math.Pow(adamBeta2, float64(t))
		r.stepSize = float32(float64(lr) / bias1)
		r.invSqrtBias2 = float32(1 / math.Sqrt(bias2))
	}
	return r
}

// apply updates the parameters p of one row, whose state starts at offset,
// with gradient g.
func (r *stepRule) apply(state *optimizerState, offset int, p, g []float32) {
	g = g[:len(p)]
	switch r.kind {
	case SGD:
		axpy(-r.lr, g, p)
	case Adagrad:
		adagradStep(p, g, state.v[offset:offset+len(p)], r.lr)
	case Adam, DenseAdam:
		adamStep(p, g, state.m[offset:offset+len(p)], state.v[offset:offset+len(p)], r.stepSize, r.invSqrtBias2)
	case RowAdagrad:
		v := &state.v[offset/len(p)]
		*v += sumSquares(g) / float32(len(g))
		axpy(-r.lr*rsqrt32(*v+adagradEps*adagradEps), g, p)
	}
}
