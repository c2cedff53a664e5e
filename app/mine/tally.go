package mine

import "slices"

// tally counts a body's bindings by head. Heads are numbered densely
// (kinds about a predicate first, then predicate and constant pairs), so
// a count is an array increment rather than a map update: the join makes
// one for every fact of every bound entity. A vocabulary too large for an
// array falls back to a map.
type tally struct {
	preds, consts int
	dense         []int
	touched       []int // indices of dense that are not zero
	sparse        map[headKey]int
}

// maxDense bounds the array: 4M counts, 32 MB a worker.
const maxDense = 1 << 22

func newTally(preds, consts int) *tally {
	t := &tally{preds: preds, consts: consts}
	if n := preds * (4 + consts); n <= maxDense {
		t.dense = make([]int, n)
	} else {
		t.sparse = map[headKey]int{}
	}
	return t
}

func (t *tally) index(h headKey) int {
	if h.kind == headConst {
		return 4*t.preds + int(h.p)*t.consts + int(h.c)
	}
	return int(h.kind-headSome)*t.preds + int(h.p)
}

func (t *tally) key(i int) headKey {
	if i >= 4*t.preds {
		i -= 4 * t.preds
		return headKey{p: uint32(i / t.consts), kind: headConst, c: uint32(i % t.consts)}
	}
	return headKey{p: uint32(i % t.preds), kind: headSome + uint8(i/t.preds)}
}

func (t *tally) add(h headKey, k int) {
	if t.dense == nil {
		t.sparse[h] += k
		return
	}
	i := t.index(h)
	if t.dense[i] == 0 {
		t.touched = append(t.touched, i)
	}
	t.dense[i] += k
}

// len is the number of heads counted.
func (t *tally) len() int {
	if t.dense == nil {
		return len(t.sparse)
	}
	return len(t.touched)
}

// each calls fn with every head counted.
func (t *tally) each(fn func(h headKey, n int)) {
	if t.dense == nil {
		for h, n := range t.sparse {
			fn(h, n)
		}
		return
	}
	slices.Sort(t.touched)
	for _, i := range t.touched {
		fn(t.key(i), t.dense[i])
	}
}

// reset clears the counts for the next body.
func (t *tally) reset() {
	clear(t.sparse)
	for _, i := range t.touched {
		t.dense[i] = 0
	}
	t.touched = t.touched[:0]
}
