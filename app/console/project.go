package console

import (
	"math"
	"sort"
	"sync"

	"github.com/pff/pff/store"
)

// projection is a 2-D map of entity vectors: their first two principal
// components, by type.
type projection struct {
	Types []projectedType `json:"types"`
	// Explained is the share of the variance the two axes hold.
	Explained float64 `json:"explained"`
	Points    int     `json:"points"`
}

type projectedType struct {
	Type   string    `json:"type"`
	X      []float32 `json:"x"`
	Y      []float32 `json:"y"`
	Labels []string  `json:"labels"`
}

// project finds the two principal components of the vectors by power
// iteration (on XᵀX without forming it: two passes over X per step) and
// places each vector on them.
func project(vectors []store.TypedVector) projection {
	n := len(vectors)
	if n == 0 {
		return projection{}
	}
	dim := len(vectors[0].Vector)
	mean := make([]float64, dim)
	for _, v := range vectors {
		for j := range min(dim, len(v.Vector)) {
			mean[j] += float64(v.Vector[j])
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	x := make([][]float64, n)
	total := 0.0
	for i, v := range vectors {
		row := make([]float64, dim)
		for j := range min(dim, len(v.Vector)) {
			row[j] = float64(v.Vector[j]) - mean[j]
			total += row[j] * row[j]
		}
		x[i] = row
	}
	pc1, var1 := principalAxis(x, nil)
	pc2, var2 := principalAxis(x, pc1)
	p := projection{Points: n}
	if total > 0 {
		p.Explained = (var1 + var2) / total
	}
	byType := map[string]*projectedType{}
	for i, v := range vectors {
		t := v.Type
		if t == "" {
			t = "untyped"
		}
		pt := byType[t]
		if pt == nil {
			pt = &projectedType{Type: t}
			byType[t] = pt
		}
		pt.X = append(pt.X, float32(dot(x[i], pc1)))
		pt.Y = append(pt.Y, float32(dot(x[i], pc2)))
		pt.Labels = append(pt.Labels, v.Name)
	}
	for _, pt := range byType {
		p.Types = append(p.Types, *pt)
	}
	// Most populous types first: they get the first colours.
	sort.Slice(p.Types, func(i, j int) bool {
		if len(p.Types[i].X) != len(p.Types[j].X) {
			return len(p.Types[i].X) > len(p.Types[j].X)
		}
		return p.Types[i].Type < p.Types[j].Type
	})
	return p
}

// principalAxis is the leading eigenvector of XᵀX orthogonal to not, and the
// variance along it.
func principalAxis(x [][]float64, not []float64) ([]float64, float64) {
	dim := len(x[0])
	v := make([]float64, dim)
	for j := range v {
		v[j] = 1 / math.Sqrt(float64(dim)) * (1 + float64(j%7)/10) // not orthogonal to any axis by chance
	}
	orth(v, not)
	normalize(v)
	var lambda float64
	for range 60 {
		next := make([]float64, dim)
		for _, row := range x {
			s := dot(row, v)
			for j, a := range row {
				next[j] += s * a
			}
		}
		orth(next, not)
		lambda = math.Sqrt(dot(next, next))
		if lambda == 0 {
			return v, 0
		}
		for j := range next {
			next[j] /= lambda
		}
		delta := 0.0
		for j := range v {
			delta += math.Abs(next[j] - v[j])
		}
		v = next
		if delta < 1e-7 {
			break
		}
	}
	return v, lambda
}

func orth(v, not []float64) {
	if not == nil {
		return
	}
	d := dot(v, not)
	for j := range v {
		v[j] -= d * not[j]
	}
}

func normalize(v []float64) {
	n := math.Sqrt(dot(v, v))
	if n == 0 {
		return
	}
	for j := range v {
		v[j] /= n
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range min(len(a), len(b)) {
		s += a[i] * b[i]
	}
	return s
}

// lru keeps the last few values worked out from immutable things (a
// model's map, a knowledge version's lint), by key: each is worked out once
// per process while it is in use.
type lru[T any] struct {
	mu     sync.Mutex
	limit  int
	order  []string
	values map[string]T
}

func newLRU[T any](limit int) *lru[T] {
	return &lru[T]{limit: limit, values: map[string]T{}}
}

func (m *lru[T]) get(key string) (T, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[key]
	return v, ok
}

func (m *lru[T]) put(key string, v T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.values[key]; !ok {
		m.order = append(m.order, key)
	}
	m.values[key] = v
	for len(m.order) > m.limit {
		delete(m.values, m.order[0])
		m.order = m.order[1:]
	}
}

// downsample keeps at most n points of a series by largest-triangle-three-
// buckets, which keeps its peaks and troughs: the first and last points,
// and from each bucket between the point that makes the largest triangle
// with the point kept before and the next bucket's mean.
func downsample(xs, ys []float64, n int) []int {
	if len(xs) <= n || n < 3 {
		idx := make([]int, len(xs))
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	keep := []int{0}
	bucket := float64(len(xs)-2) / float64(n-2)
	a := 0
	for b := range n - 2 {
		start := int(float64(b)*bucket) + 1
		end := int(float64(b+1)*bucket) + 1
		nextStart, nextEnd := end, min(int(float64(b+2)*bucket)+1, len(xs))
		var mx, my float64
		for i := nextStart; i < nextEnd; i++ {
			mx += xs[i]
			my += ys[i]
		}
		if cnt := float64(nextEnd - nextStart); cnt > 0 {
			mx, my = mx/cnt, my/cnt
		} else {
			mx, my = xs[len(xs)-1], ys[len(ys)-1]
		}
		best, bestArea := start, -1.0
		for i := start; i < end; i++ {
			area := math.Abs((xs[a]-mx)*(ys[i]-ys[a]) - (xs[a]-xs[i])*(my-ys[a]))
			if area > bestArea {
				best, bestArea = i, area
			}
		}
		keep = append(keep, best)
		a = best
	}
	return append(keep, len(xs)-1)
}
