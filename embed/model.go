package embed

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"
)

// Model holds TransE embeddings: a fact relation(head, tail) is plausible
// when ‖head + relation − tail‖ is small.
type Model struct {
	dim       int
	norm      Norm
	entities  []float32 // NumEntities × dim, row-major
	relations []float32 // NumRelations × dim, row-major
}

// NewModel makes a model from row-major embedding matrices, say ones read
// back from a vector store. It keeps the slices; the caller must not modify
// them afterwards.
func NewModel(norm Norm, dim int, entities, relations []float32) (*Model, error) {
	switch {
	case dim < 1:
		return nil, fmt.Errorf("embed: new model: dimension %d is not positive", dim)
	case norm > L2:
		return nil, fmt.Errorf("embed: new model: unknown norm %v", norm)
	case len(entities)%dim != 0 || len(relations)%dim != 0:
		return nil, fmt.Errorf("embed: new model: matrix sizes %d and %d are not multiples of dimension %d",
			len(entities), len(relations), dim)
	}
	return &Model{dim: dim, norm: norm, entities: entities, relations: relations}, nil
}

// Dim returns the embedding dimension.
func (m *Model) Dim() int { return m.dim }

// Norm returns the norm of the distance.
func (m *Model) Norm() Norm { return m.norm }

// NumEntities returns the number of entity embeddings.
func (m *Model) NumEntities() int { return len(m.entities) / m.dim }

// NumRelations returns the number of relation embeddings.
func (m *Model) NumRelations() int { return len(m.relations) / m.dim }

// Entity returns the embedding of entity id, or nil if there is none. It
// shares memory with the model: copy it before modifying it.
func (m *Model) Entity(id int32) []float32 { return row(m.entities, m.dim, id) }

// Relation returns the embedding of relation id, or nil if there is none. It
// shares memory with the model: copy it before modifying it.
func (m *Model) Relation(id int32) []float32 { return row(m.relations, m.dim, id) }

func row(matrix []float32, dim int, id int32) []float32 {
	if id < 0 || int(id) >= len(matrix)/dim {
		return nil
	}
	start := int(id) * dim
	return matrix[start : start+dim : start+dim]
}

// distance returns the kernel for the model's norm.
func (m *Model) distance() func(a, b []float32) float32 {
	if m.norm == L2 {
		return l2
	}
	return l1
}

// distanceWithin returns the bounded kernel for the model's norm, which
// returns the distance if it is at most a bound and stops early otherwise.
func (m *Model) distanceWithin() func(a, b []float32, bound float32) float32 {
	if m.norm == L2 {
		return l2Within
	}
	return l1Within
}

func (m *Model) check(t Triple) error {
	if t.Head < 0 || int(t.Head) >= m.NumEntities() || t.Tail < 0 || int(t.Tail) >= m.NumEntities() {
		return fmt.Errorf("triple %v: entity out of range [0, %d)", t, m.NumEntities())
	}
	if t.Relation < 0 || int(t.Relation) >= m.NumRelations() {
		return fmt.Errorf("triple %v: relation out of range [0, %d)", t, m.NumRelations())
	}
	return nil
}

// Distance returns ‖head + relation − tail‖: the lower, the more plausible.
// A [Calibration] turns it into a probability.
func (m *Model) Distance(t Triple) (float32, error) {
	if err := m.check(t); err != nil {
		return 0, fmt.Errorf("embed: distance: %w", err)
	}
	// On the stack up to a dimension of 512: calibration scores hundreds
	// of thousands of facts, and an anchor on the heap for each doubled the
	// memory a corpus training peaked at.
	var buf [512]float32
	anchor := buf[:0]
	if m.dim > len(buf) {
		anchor = make([]float32, m.dim)
	}
	anchor = anchor[:m.dim]
	add(anchor, m.Entity(t.Head), m.Relation(t.Relation))
	if m.norm == L2 {
		return l2(anchor, m.Entity(t.Tail)), nil
	}
	return l1(anchor, m.Entity(t.Tail)), nil
}

// Candidate is an entity proposed to complete a fact, with its distance.
type Candidate struct {
	Entity   int32
	Distance float32
}

// TopTails returns the k entities t that minimise ‖head + relation − t‖,
// nearest first, by an exact scan over all entities.
func (m *Model) TopTails(head, relation int32, k int) ([]Candidate, error) {
	if err := m.check(Triple{head, relation, 0}); err != nil {
		return nil, fmt.Errorf("embed: top tails: %w", err)
	}
	anchor := make([]float32, m.dim)
	add(anchor, m.Entity(head), m.Relation(relation))
	return m.nearest(anchor, k), nil
}

// TopHeads returns the k entities h that minimise ‖h + relation − tail‖,
// nearest first, by an exact scan over all entities.
func (m *Model) TopHeads(relation, tail int32, k int) ([]Candidate, error) {
	if err := m.check(Triple{0, relation, tail}); err != nil {
		return nil, fmt.Errorf("embed: top heads: %w", err)
	}
	anchor := make([]float32, m.dim)
	sub(anchor, m.Entity(tail), m.Relation(relation))
	return m.nearest(anchor, k), nil
}

// nearest returns the k entities nearest to anchor, ties by lower id.
func (m *Model) nearest(anchor []float32, k int) []Candidate {
	k = min(k, m.NumEntities())
	if k <= 0 {
		return nil
	}
	dist, within := m.distance(), m.distanceWithin()
	h := make(candidateHeap, 0, k)
	for id := range int32(m.NumEntities()) {
		if len(h) < k {
			heap.Push(&h, Candidate{Entity: id, Distance: dist(anchor, m.Entity(id))})
			continue
		}
		// Only candidates at most as far as the worst kept one matter.
		c := Candidate{Entity: id, Distance: within(anchor, m.Entity(id), h[0].Distance)}
		if compareCandidates(c, h[0]) < 0 {
			h[0] = c
			heap.Fix(&h, 0)
		}
	}
	slices.SortFunc(h, compareCandidates)
	return h
}

func compareCandidates(a, b Candidate) int {
	return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.Entity, b.Entity))
}

// candidateHeap is a max-heap: the root is the worst of the best k so far.
type candidateHeap []Candidate

func (h candidateHeap) Len() int           { return len(h) }
func (h candidateHeap) Less(i, j int) bool { return compareCandidates(h[i], h[j]) > 0 }
func (h candidateHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *candidateHeap) Push(x any)        { *h = append(*h, x.(Candidate)) }
func (h *candidateHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
