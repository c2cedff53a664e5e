package embed

import "math/bits"

// sparseGrad accumulates one shard's gradient for the rows of one embedding
// matrix that a batch touches. Its buffer is sized for the most rows a batch
// can touch, so row slices stay valid until reset.
type sparseGrad struct {
	dim  int
	slot []int32   // row → index of its gradient in data, −1 if untouched
	data []float32 // touched rows' gradients in order of first touch
	used int       // number of rows touched
	// touched marks the touched rows, one bit each, so that the rows can be
	// updated in ascending order: the parameters and optimizer state are
	// then read as streams, not at random (on WN18RR, a batch of 1,024
	// touches more than half of the entities; updating them in order of
	// first touch spent most of its time waiting for memory).
	touched []uint64
	rows    []int32 // touched rows in order of first touch, to reset
}

func newSparseGrad(rows, dim, maxTouched int) *sparseGrad {
	maxTouched = min(maxTouched, rows)
	g := &sparseGrad{
		dim:     dim,
		slot:    make([]int32, rows),
		data:    make([]float32, maxTouched*dim),
		touched: make([]uint64, (rows+63)/64),
		rows:    make([]int32, 0, maxTouched),
	}
	for i := range g.slot {
		g.slot[i] = -1
	}
	return g
}

// row returns the gradient of row r, zeroed on first touch.
func (g *sparseGrad) row(r int32) []float32 {
	k := int(g.slot[r])
	if k < 0 {
		k = g.used
		g.used++
		g.slot[r] = int32(k)
		g.touched[r>>6] |= 1 << (r & 63)
		g.rows = append(g.rows, r)
		grad := g.data[k*g.dim : (k+1)*g.dim]
		clear(grad)
		return grad
	}
	return g.data[k*g.dim : (k+1)*g.dim]
}

// lookup returns the gradient of row r, or nil if the batch did not touch it.
func (g *sparseGrad) lookup(r int32) []float32 {
	k := int(g.slot[r])
	if k < 0 {
		return nil
	}
	return g.data[k*g.dim : (k+1)*g.dim]
}

func (g *sparseGrad) reset() {
	for _, r := range g.rows {
		g.slot[r] = -1
		g.touched[r>>6] = 0
	}
	g.rows = g.rows[:0]
	g.used = 0
}

// ownedWords returns the range of bitmap words, and so of rows, that worker
// owner of workers applies the updates of: contiguous, so that its rows are
// visited in ascending order.
func ownedWords(words, owner, workers int) (lo, hi int) {
	return owner * words / workers, (owner + 1) * words / workers
}

// applyAhead is how many rows ahead of its update applyOwned prefetches a
// row's gradients, parameters and optimizer state: about the rows updated
// in one memory latency.
const applyAhead = 4

// applyOwned sums, for every touched row owned by worker owner, in
// ascending row order, the gradients of all shards in shard order and hands
// the sum to apply, after warm was called for the row applyAhead rows
// earlier. The sum order is fixed, so the result does not depend on
// goroutine scheduling, and each worker writes only rows it owns, so workers
// never race. rows is the worker's scratch list of its rows.
func applyOwned(grads []*sparseGrad, owner int, rows *[]int32, warm func(row int32), apply func(row int32, g []float32)) {
	lo, hi := ownedWords(len(grads[0].touched), owner, len(grads))
	list := (*rows)[:0]
	for w := lo; w < hi; w++ {
		var word uint64
		for _, g := range grads {
			word |= g.touched[w]
		}
		for word != 0 {
			list = append(list, int32(w*64+bits.TrailingZeros64(word)))
			word &= word - 1
		}
	}
	*rows = list
	for i, r := range list {
		if i+applyAhead < len(list) {
			next := list[i+applyAhead]
			warm(next)
			for _, g := range grads {
				prefetch(g.lookup(next))
			}
		}
		var sum []float32
		for _, g := range grads {
			d := g.lookup(r)
			switch {
			case d == nil:
			case sum == nil:
				sum = d
			default:
				add(sum, sum, d)
			}
		}
		apply(r, sum)
	}
}

// applyAll is applyOwned for an optimizer that updates every row at every
// step: each row of owner's range, in order, gets its summed gradient, or
// zero if the batch did not touch it.
func applyAll(grads []*sparseGrad, owner int, zero []float32, apply func(row int32, g []float32)) {
	lo, hi := ownedWords(len(grads[0].touched), owner, len(grads))
	rows := len(grads[0].slot)
	for r := lo * 64; r < min(hi*64, rows); r++ {
		sum := zero
		first := true
		for _, g := range grads {
			d := g.lookup(int32(r))
			switch {
			case d == nil:
			case first:
				sum, first = d, false
			default:
				add(sum, sum, d)
			}
		}
		apply(int32(r), sum)
	}
}
