package mine

import (
	"math/rand/v2"
	"slices"
)

// sampler draws paths from the corpus and generalises each into candidate
// rules, AnyBURL's bottom-up way.
type sampler struct {
	c      *corpus
	rng    *rand.Rand
	maxLen int
	// heads are the predicates to draw head facts from: each as likely as
	// the others, so rare relations get rules too.
	heads []uint32
	// scratch
	next  []step
	kinds []relation
}

// step is one edge of a path: the fact crossed and the node reached.
type step struct {
	fact    int // position in the record's spo
	node    uint32
	forward bool // the node before is the fact's subject
}

func newSampler(c *corpus, seed uint64, maxLen int) *sampler {
	s := &sampler{c: c, rng: rand.New(rand.NewPCG(seed, 0xa11_b0b)), maxLen: maxLen}
	for p, recs := range c.predRecs {
		if len(recs) > 0 {
			s.heads = append(s.heads, uint32(p))
		}
	}
	return s
}

// sample draws one path and passes each rule it generalises to emit.
func (s *sampler) sample(emit func(candidate)) {
	if len(s.heads) == 0 {
		return
	}
	p := s.heads[s.rng.IntN(len(s.heads))]
	recs := s.c.predRecs[p]
	r := s.c.records[recs[s.rng.IntN(len(recs))]]
	sp := r.byPredicate(p)
	hi := sp.lo + s.rng.IntN(sp.hi-sp.lo)
	h := r.spo[hi]

	// The path starts from the head's subject, or from its object when that
	// is an entity.
	fromSubject := h.flags&flagEntity == 0 || s.rng.IntN(2) == 0
	start, other := h.s, h.o
	if !fromSubject {
		start, other = h.o, h.s
	}
	length := 1 + s.rng.IntN(s.maxLen)
	var path [2]step
	nodes := []uint32{start}
	n := 0
	for n < length {
		last := n == length-1
		s.next = s.neighbours(r, hi, nodes, other, last)
		if len(s.next) == 0 {
			break
		}
		path[n] = s.pick(r)
		nodes = append(nodes, path[n].node)
		n++
		if path[n-1].node == other {
			break // a cycle closes the path
		}
	}
	if n == 0 {
		return
	}
	s.generalise(r, h, fromSubject, path[:n], emit)
}

// pick draws one of the steps in s.next: a relation (predicate and
// direction) first, each as likely as the others, then one of its facts. A
// product has one parent contract and dozens of characteristics; drawn
// uniformly, paths would seldom leave it by its contract.
func (s *sampler) pick(r *record) step {
	s.kinds = s.kinds[:0]
	for _, st := range s.next {
		k := relation{r.spo[st.fact].p, st.forward}
		if !slices.Contains(s.kinds, k) {
			s.kinds = append(s.kinds, k)
		}
	}
	k := s.kinds[s.rng.IntN(len(s.kinds))]
	n := 0
	for _, st := range s.next {
		if (relation{r.spo[st.fact].p, st.forward}) == k {
			n++
		}
	}
	i := s.rng.IntN(n)
	for _, st := range s.next {
		if (relation{r.spo[st.fact].p, st.forward}) == k {
			if i == 0 {
				return st
			}
			i--
		}
	}
	return s.next[0] // not reached
}

// relation is a predicate crossed in one direction.
type relation struct {
	p       uint32
	forward bool
}

// neighbours lists the steps from the path's last node: not back over the
// head fact, not to a node already on the path, not to the head's other
// term but on the last step, and not to a literal but on the last step.
func (s *sampler) neighbours(r *record, head int, nodes []uint32, other uint32, last bool) []step {
	x := nodes[len(nodes)-1]
	out := s.next[:0]
	ok := func(y uint32, literal bool) bool {
		return !slices.Contains(nodes, y) && (last || y != other && !literal)
	}
	for i, f := range r.spo {
		if i == head || f.s == f.o {
			continue
		}
		switch x {
		case f.s:
			if ok(f.o, f.flags&flagEntity == 0) {
				out = append(out, step{fact: i, node: f.o, forward: true})
			}
		case f.o:
			if ok(f.s, false) {
				out = append(out, step{fact: i, node: f.s})
			}
		}
	}
	return out
}

// generalise turns a ground path into rules: the head with both variables
// when the path closes a cycle, with its constant when its object is
// categorical, and with its other term existential; the path's end as a
// variable, or as a constant when it is a categorical object.
func (s *sampler) generalise(r *record, h fact, fromSubject bool, path []step, emit func(candidate)) {
	startVar, otherVar := varX, varY
	if !fromSubject {
		startVar, otherVar = varY, varX
	}
	n := len(path)
	end := path[n-1]
	endFact := r.spo[end.fact]
	otherTerm := h.o
	if !fromSubject {
		otherTerm = h.s
	}
	cyclic := end.node == otherTerm
	endVar := varA + n - 1

	body := func(endTerm term) (c candidate) {
		c.n = uint8(n)
		prev := variable(startVar)
		for i, st := range path {
			f := r.spo[st.fact]
			node := variable(varA + i)
			if i == n-1 {
				node = endTerm
			}
			a := atom{p: f.p, s: prev, o: node}
			if !st.forward {
				a.s, a.o = node, prev
			}
			c.body[i] = a
			prev = node
		}
		return c
	}
	try := func(c candidate, head atom) {
		c.head = head
		if !c.trivial() {
			emit(c)
		}
	}

	both := atom{p: h.p, s: variable(varX), o: variable(varY)}
	if cyclic {
		c := body(variable(otherVar))
		if !fromSubject && n == 2 {
			c.body[0], c.body[1] = c.body[1], c.body[0] // written from X
		}
		try(c, both)
	}
	// A longer body that ends in a free variable only asks that A have
	// some neighbour: it says little the shorter rule does not.
	var ends []term
	if n == 1 {
		ends = append(ends, variable(endVar))
	}
	if end.forward && endFact.flags&flagCategory != 0 && r.constOf[end.node] >= 0 {
		ends = append(ends, constant(uint32(r.constOf[end.node])))
	}
	for _, e := range ends {
		c := body(e)
		if fromSubject && h.flags&flagCategory != 0 && r.constOf[h.o] >= 0 {
			try(c, atom{p: h.p, s: variable(varX), o: constant(uint32(r.constOf[h.o]))})
		}
		try(c, both) // the head's other variable is existential
	}
}
