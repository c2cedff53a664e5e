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
	// headConsts are each predicate's constants, to draw heads by.
	headConsts [][]uint32
	// scratch
	first, second []step
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
	s.headConsts = make([][]uint32, len(c.predRecs))
	for k := range c.constRecs {
		p := uint32(k >> 32)
		s.headConsts[p] = append(s.headConsts[p], uint32(k))
	}
	for _, cs := range s.headConsts {
		slices.Sort(cs) // map order is random; draws must not be
	}
	return s
}

// sample draws one head fact and passes to emit every rule that a path of
// up to maxLen steps from it generalises to. AnyBURL follows one random path
// per head; taking them all makes each draw count, which matters when the
// corpus is judged exactly and a rule is only found if a path to it is.
func (s *sampler) sample(emit func(candidate)) {
	if len(s.heads) == 0 {
		return
	}
	r, hi := s.head()
	h := r.spo[hi]
	for _, fromSubject := range [2]bool{true, false} {
		// A path starts from the head's subject, or from its object when
		// that is an entity.
		start, other := h.s, h.o
		if !fromSubject {
			if h.flags&flagEntity == 0 {
				break
			}
			start, other = h.o, h.s
		}
		nodes := [3]uint32{start}
		s.first = s.neighbours(s.first[:0], r, hi, nodes[:1], other, true)
		for _, a := range s.first {
			s.generalise(r, h, fromSubject, []step{a}, emit)
		}
		if s.maxLen < 2 {
			continue
		}
		s.first = s.neighbours(s.first[:0], r, hi, nodes[:1], other, false)
		for _, a := range s.first {
			nodes[1] = a.node
			s.second = s.neighbours(s.second[:0], r, hi, nodes[:2], other, true)
			for _, b := range s.second {
				s.generalise(r, h, fromSubject, []step{a, b}, emit)
			}
		}
	}
}

// head draws a head fact: a predicate, each as likely as the others; then,
// half the time, one of its constants, each as likely as the others (a rare
// status is a head as often as a common one); then a fact.
func (s *sampler) head() (*record, int) {
	p := s.heads[s.rng.IntN(len(s.heads))]
	if consts := s.headConsts[p]; len(consts) > 0 && s.rng.IntN(2) == 0 {
		c := consts[s.rng.IntN(len(consts))]
		recs := s.c.constRecs[constKey(p, c)]
		r := s.c.records[recs[s.rng.IntN(len(recs))]]
		t, _ := r.constTerm(c)
		sp := r.byObject(p, t)
		return r, int(r.pos[sp.lo+s.rng.IntN(sp.hi-sp.lo)])
	}
	recs := s.c.predRecs[p]
	r := s.c.records[recs[s.rng.IntN(len(recs))]]
	sp := r.byPredicate(p)
	return r, sp.lo + s.rng.IntN(sp.hi-sp.lo)
}

// neighbours lists the steps from the path's last node: not back over the
// head fact, not to a node already on the path, not to the head's other
// term but on the last step, and not to a literal but on the last step.
func (s *sampler) neighbours(out []step, r *record, head int, nodes []uint32, other uint32, last bool) []step {
	x := nodes[len(nodes)-1]
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
