package mine

import (
	"math/rand/v2"
	"slices"
)

// sampler draws paths from the corpus and generalises each into rule
// bodies, AnyBURL's bottom-up way: every body it yields has a ground
// instance in the corpus.
type sampler struct {
	c      *corpus
	rng    *rand.Rand
	maxLen int
	// heads are the predicates to draw anchors by: each as likely as the
	// others, so entities with rare relations are drawn too.
	heads []uint32
	// headConsts are each predicate's constants, to draw anchors by.
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
	s := &sampler{c: c, rng: rand.New(rand.NewPCG(seed, 0xa11_b0b)), maxLen: maxLen} // #nosec G404 -- seeded on purpose: the same seed gives the same sample
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

// sample draws one entity, the anchor, and passes to emit the body of
// every path of up to maxLen steps from it (see body). AnyBURL follows one
// random path per draw; taking them all makes each draw count, which
// matters when a rule is only found if a path to it is.
func (s *sampler) sample(emit func(body)) {
	if len(s.heads) == 0 {
		return
	}
	r, fi := s.head()
	f := r.spo[fi]
	x := f.s
	if f.flags&flagEntity != 0 && s.rng.IntN(2) == 0 {
		x = f.o
	}
	nodes := [3]uint32{x}
	s.first = s.thin(s.neighbours(s.first[:0], r, nodes[:1], true))
	for _, a := range s.first {
		s.generalise(r, []step{a}, emit)
	}
	if s.maxLen < 2 {
		return
	}
	s.first = s.thin(s.neighbours(s.first[:0], r, nodes[:1], false))
	for _, a := range s.first {
		nodes[1] = a.node
		s.second = s.thin(s.neighbours(s.second[:0], r, nodes[:2], true))
		for _, b := range s.second {
			s.generalise(r, []step{a, b}, emit)
		}
	}
}

// head draws a fact to find an anchor by: a predicate, each as likely as
// the others; then, half the time, one of its constants, each as likely as
// the others (an entity with a rare status is drawn as often as one with a
// common status); then a fact.
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

// maxFanout bounds the steps taken from one node, so that a node with
// thousands of facts costs a draw no more than maxFanout² paths. Generated
// records never reach it.
const maxFanout = 256

// thin keeps a random maxFanout of steps when there are more.
func (s *sampler) thin(steps []step) []step {
	if len(steps) <= maxFanout {
		return steps
	}
	for i := range maxFanout {
		j := i + s.rng.IntN(len(steps)-i)
		steps[i], steps[j] = steps[j], steps[i]
	}
	return steps[:maxFanout]
}

// neighbours lists the steps from the path's last node: not to a node
// already on the path, and not to a literal but on the last step.
func (s *sampler) neighbours(out []step, r *record, nodes []uint32, last bool) []step {
	x := nodes[len(nodes)-1]
	for _, i := range r.outOf(x) {
		if f := r.spo[i]; !slices.Contains(nodes, f.o) && (last || f.flags&flagEntity != 0) {
			out = append(out, step{fact: int(i), node: f.o, forward: true})
		}
	}
	for _, i := range r.inOf(x) {
		if f := r.spo[i]; !slices.Contains(nodes, f.s) {
			out = append(out, step{fact: int(i), node: f.s})
		}
	}
	return out
}

// generalise turns a ground path into bodies: with the end a constant when
// it is a categorical object; and with the end a variable when the body has
// one atom, or when the end and the anchor are linked (a cyclic rule then
// has a ground instance). A two-atom body that ends in a variable otherwise
// only asks that A have some neighbour, which says little the one-atom body
// does not.
func (s *sampler) generalise(r *record, path []step, emit func(body)) {
	n := len(path)
	end := path[n-1]
	build := func(endTerm term) (b body) {
		b.n = uint8(n)
		prev := variable(varX)
		for i, st := range path {
			node := variable(varA + i)
			if i == n-1 {
				node = endTerm
			}
			a := atom{p: r.spo[st.fact].p, s: prev, o: node}
			if !st.forward {
				a.s, a.o = node, prev
			}
			b.atoms[i] = a
			prev = node
		}
		return b
	}
	if n == 1 || s.linked(r, r.spo[path[0].fact], end.node, path[0].forward) {
		emit(build(variable(varA + n - 1)))
	}
	if end.forward && r.spo[end.fact].flags&flagCategory != 0 && r.constOf[end.node] >= 0 {
		emit(build(constant(uint32(r.constOf[end.node]))))
	}
}

// linked reports whether a fact joins the anchor (the first fact's subject
// when forward, else its object) and node y.
func (s *sampler) linked(r *record, first fact, y uint32, forward bool) bool {
	x := first.o
	if forward {
		x = first.s
	}
	for _, i := range r.outOf(x) {
		if r.spo[i].o == y {
			return true
		}
	}
	for _, i := range r.inOf(x) {
		if r.spo[i].s == y {
			return true
		}
	}
	return false
}
