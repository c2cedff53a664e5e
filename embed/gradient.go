package embed

// sparseGrad accumulates one shard's gradient for the rows of one embedding
// matrix that a batch touches. Its buffer is sized for the most rows a batch
// can touch, so row slices stay valid until reset.
type sparseGrad struct {
	dim  int
	slot []int32   // row → index of its gradient in data, −1 if untouched
	data []float32 // touched rows' gradients in order of first touch
	used int       // number of rows touched
	// byOwner lists the touched rows by the worker that owns them (row mod
	// workers), which is the one that applies their update.
	byOwner [][]int32
}

func newSparseGrad(rows, dim, maxTouched, owners int) *sparseGrad {
	maxTouched = min(maxTouched, rows)
	g := &sparseGrad{
		dim:     dim,
		slot:    make([]int32, rows),
		data:    make([]float32, maxTouched*dim),
		byOwner: make([][]int32, owners),
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
		owner := int(r) % len(g.byOwner)
		g.byOwner[owner] = append(g.byOwner[owner], r)
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
	for o, rows := range g.byOwner {
		for _, r := range rows {
			g.slot[r] = -1
		}
		g.byOwner[o] = rows[:0]
	}
	g.used = 0
}

// applyOwned sums, for every row owned by worker owner, the gradients of all
// shards in shard order and hands the sum to apply. The sum order is fixed,
// so the result does not depend on goroutine scheduling, and each worker
// writes only rows it owns, so workers never race.
func applyOwned(grads []*sparseGrad, owner int, apply func(row int32, g []float32)) {
	for s, shard := range grads {
	rows:
		for _, r := range shard.byOwner[owner] {
			for _, earlier := range grads[:s] {
				if earlier.slot[r] >= 0 {
					continue rows // summed when that shard came up
				}
			}
			sum := shard.lookup(r)
			for _, later := range grads[s+1:] {
				if g := later.lookup(r); g != nil {
					add(sum, sum, g)
				}
			}
			apply(r, sum)
		}
	}
}
