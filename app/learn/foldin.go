package learn

import (
	"math"
	"slices"

	"github.com/pff/pff/embed"
)

// fact is one learnable fact of a record. Value facts have a categorical
// object the model knows as a vector; the others link two entities of the
// record.
type fact struct {
	subject, relation, object string
	value                     bool
	pointer                   string
}

// relationVector is a relation's embedding and the categorical values seen
// as its objects, most frequent first.
type relationVector struct {
	vec []float32
	relationRange
}

// space is what scoring the facts of an unseen record needs: the model's
// distance, the vectors of its categorical values and of its relations.
type space struct {
	dim       int
	norm      embed.Norm
	values    map[string][]float32
	relations map[string]relationVector
}

func (sp *space) distance(a, b []float32) float32 {
	var s float32
	for i := range a {
		d := a[i] - b[i]
		if sp.norm == embed.L2 {
			s += d * d
		} else {
			s += float32(math.Abs(float64(d)))
		}
	}
	if sp.norm == embed.L2 {
		return float32(math.Sqrt(float64(s)))
	}
	return s
}

// scoredFact is a value fact scored by a fold-in that left it out.
type scoredFact struct {
	fact
	// distance is ‖head + relation − value‖ for the recorded value; +Inf
	// when the value was never seen with the relation (unseen).
	distance float32
	unseen   bool
	// evidence is how many other facts of its subject the fold-in used.
	evidence int
	// alternatives are the relation's other values with their distances,
	// nearest first.
	alternatives []candidate
}

type candidate struct {
	value    string
	distance float32
}

// margin is how much farther the recorded value is than the nearest other
// value: positive when the model prefers another value.
func (sf *scoredFact) margin() float32 {
	return sf.distance - sf.alternatives[0].distance
}

// marginOf is the margin alternative i would have if it were the recorded
// value: its distance less that of the nearest of the others, the recorded
// value included.
func (sf *scoredFact) marginOf(i int) float32 {
	best := sf.distance
	for j, c := range sf.alternatives {
		if j != i {
			best = min(best, c.distance)
			break // alternatives are sorted: the first other one is the nearest
		}
	}
	return sf.alternatives[i].distance - best
}

// foldSum accumulates estimates of an entity's vector.
type foldSum struct {
	sum []float32
	n   int
}

func (f *foldSum) add(dim int, v []float32, sign float32, r []float32) {
	if f.sum == nil {
		f.sum = make([]float32, dim)
	}
	for i := range f.sum {
		f.sum[i] += v[i] + sign*r[i]
	}
	f.n++
}

func (f *foldSum) mean() []float32 {
	if f.n == 0 {
		return nil
	}
	m := make([]float32, len(f.sum))
	for i, s := range f.sum {
		m[i] = s / float32(f.n)
	}
	return m
}

// scoreRecord scores every value fact of one record whose relation and value
// the model knows, by folding in its subject from the record's other facts:
// first from value facts alone (h ≈ v − r), then adding the entity edges
// (h ≈ t − r and t ≈ h + r) with the neighbours' first estimates. A fact's
// own estimate is taken out of its subject's sum before it is scored, so no
// fact vouches for itself. Facts whose subject has no other fact are not
// scored. A value the relation was never seen with in training is scored
// too, as unseen, with only its alternatives' distances. The alternatives
// are at most maxAlternatives of the relation's other values.
func (sp *space) scoreRecord(facts []fact, maxAlternatives int) []scoredFact {
	first := map[string]*foldSum{}
	sumOf := func(m map[string]*foldSum, e string) *foldSum {
		s := m[e]
		if s == nil {
			s = &foldSum{}
			m[e] = s
		}
		return s
	}
	for _, f := range facts {
		r, ok := sp.relations[f.relation]
		if !ok || !f.value {
			continue
		}
		if v, ok := sp.values[f.object]; ok {
			sumOf(first, f.subject).add(sp.dim, v, -1, r.vec)
		}
	}
	firstMean := make(map[string][]float32, len(first))
	for e, s := range first {
		firstMean[e] = s.mean()
	}
	second := map[string]*foldSum{}
	for e, s := range first {
		second[e] = &foldSum{sum: slices.Clone(s.sum), n: s.n}
	}
	for _, f := range facts {
		r, ok := sp.relations[f.relation]
		if !ok || f.value {
			continue
		}
		if t := firstMean[f.object]; t != nil {
			sumOf(second, f.subject).add(sp.dim, t, -1, r.vec)
		}
		if h := firstMean[f.subject]; h != nil {
			sumOf(second, f.object).add(sp.dim, h, +1, r.vec)
		}
	}

	var out []scoredFact
	head := make([]float32, sp.dim)
	for _, f := range facts {
		r, ok := sp.relations[f.relation]
		s := second[f.subject]
		if !f.value || !ok || s == nil {
			continue
		}
		v, known := sp.values[f.object]
		var sf scoredFact
		switch {
		case known && s.n >= 2:
			// Leave the fact out: h = (Σ − (v − r)) / (n − 1), then h + r.
			for i := range head {
				head[i] = (s.sum[i]-(v[i]-r.vec[i]))/float32(s.n-1) + r.vec[i]
			}
			sf = scoredFact{fact: f, distance: sp.distance(head, v), evidence: s.n - 1}
		case !known && r.complete() && !slices.Contains(r.tails, f.object):
			// A value never seen with the relation added nothing to the sum.
			for i := range head {
				head[i] = s.sum[i]/float32(s.n) + r.vec[i]
			}
			sf = scoredFact{fact: f, distance: float32(math.Inf(1)), unseen: true, evidence: s.n}
		default:
			continue
		}
		for _, alt := range r.tails {
			if alt == f.object {
				continue
			}
			if av, ok := sp.values[alt]; ok {
				sf.alternatives = append(sf.alternatives, candidate{alt, sp.distance(head, av)})
			}
		}
		slices.SortFunc(sf.alternatives, func(a, b candidate) int {
			if a.distance != b.distance {
				if a.distance < b.distance {
					return -1
				}
				return 1
			}
			return compareStrings(a.value, b.value)
		})
		if len(sf.alternatives) > maxAlternatives {
			sf.alternatives = sf.alternatives[:maxAlternatives]
		}
		out = append(out, sf)
	}
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
