package mine

import (
	"cmp"
	"context"
	"slices"
)

// verdict is what the corpus says of a body: its bindings, and for each
// head how many of them it holds for.
type verdict struct {
	predictions int
	heads       *tally
}

// recordsFor lists the records a body may match in: the shortest of its
// atoms' lists, by predicate or by predicate and constant.
func (c *corpus) recordsFor(b *body) []uint32 {
	var recs []uint32
	for i, a := range b.atoms[:b.n] {
		r := c.predRecs[a.p]
		if !a.o.isVar() {
			r = c.constRecs[constKey(a.p, a.o.c)]
		}
		if i == 0 || len(r) < len(recs) {
			recs = r
		}
	}
	return recs
}

// judge counts a body's bindings over the whole corpus and, for every head
// the bindings suggest, those for which it holds: one join of the body
// judges all the rules that share it. Heads about X alone are counted for
// bodies that end in a constant or have one atom; cyclic heads for bodies
// that end in a variable.
func (c *corpus) judge(ctx context.Context, b *body, heads *tally) (verdict, error) {
	heads.reset()
	v := verdict{heads: heads}
	end, cyclic := b.endVar()
	about := b.n == 1 || !cyclic
	var (
		m     matcher
		xs    []uint32
		pairs [][2]uint32
	)
	m.found = func() {
		v.predictions++
		if about {
			xs = append(xs, m.vals[varX])
		}
		if cyclic {
			pairs = append(pairs, [2]uint32{m.vals[varX], m.vals[end]})
		}
	}
	for i, ri := range c.recordsFor(b) {
		if i%512 == 0 {
			if err := ctx.Err(); err != nil {
				return verdict{}, err
			}
		}
		r := c.records[ri]
		xs, pairs = xs[:0], pairs[:0]
		m.run(r, b)
		slices.Sort(xs)
		for i := 0; i < len(xs); {
			j := i + 1
			for j < len(xs) && xs[j] == xs[i] {
				j++
			}
			r.countAbout(xs[i], j-i, v.heads)
			i = j
		}
		slices.SortFunc(pairs, func(a, b [2]uint32) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
		for i := 0; i < len(pairs); {
			j := i + 1
			for j < len(pairs) && pairs[j] == pairs[i] {
				j++
			}
			r.countCycles(pairs[i][0], pairs[i][1], j-i, v.heads)
			i = j
		}
	}
	return v, nil
}

// countAbout adds k bindings of X = x to every head that holds of x: each
// of its categorical facts h(x,'c'), and once per predicate h(x,_) and
// h(_,x).
func (r *record) countAbout(x uint32, k int, heads *tally) {
	out := r.outOf(x)
	for i, fi := range out {
		f := r.spo[fi]
		if i == 0 || r.spo[out[i-1]].p != f.p {
			heads.add(headKey{p: f.p, kind: headSome}, k)
		}
		if f.flags&flagCategory != 0 && r.constOf[f.o] >= 0 {
			heads.add(headKey{p: f.p, kind: headConst, c: uint32(r.constOf[f.o])}, k)
		}
	}
	in := r.inOf(x)
	for i, fi := range in {
		if f := r.spo[fi]; i == 0 || r.spo[in[i-1]].p != f.p {
			heads.add(headKey{p: f.p, kind: headSomeSubject}, k)
		}
	}
}

// countCycles adds k bindings of X = x, E = e to every head that links
// them: h(x,e) and h(e,x).
func (r *record) countCycles(x, e uint32, k int, heads *tally) {
	for _, fi := range r.outOf(x) {
		if f := r.spo[fi]; f.o == e {
			heads.add(headKey{p: f.p, kind: headCycle}, k)
		}
	}
	for _, fi := range r.inOf(x) {
		if f := r.spo[fi]; f.s == e {
			heads.add(headKey{p: f.p, kind: headCycleBack}, k)
		}
	}
}

// rterm is a term resolved in one record: a variable's slot, or the term
// that holds a constant when v is -1.
type rterm struct {
	v int8
	t uint32
}

type ratom struct {
	p    uint32
	s, o rterm
}

// matcher enumerates a body's bindings in one record by backtracking, with
// the semantics of app/rules: distinct variables bind distinct values, none
// of them a constant of the body. It calls found at each binding.
type matcher struct {
	found   func()
	r       *record
	body    [2]ratom
	order   [2]int
	n       int
	consts  [4]uint32
	nconsts int
	vals    [numVars]uint32
	bound   [numVars]bool
}

func (m *matcher) run(r *record, b *body) {
	m.r, m.n, m.nconsts = r, int(b.n), 0
	m.bound = [numVars]bool{}
	for i, a := range b.atoms[:b.n] {
		ra, ok := m.resolve(a)
		if !ok {
			return // the body names a constant the record lacks
		}
		m.body[i] = ra
	}
	// Start from an atom with a constant: it has the fewest facts.
	m.order = [2]int{0, 1}
	if m.n == 2 && !hasConst(m.body[0]) && hasConst(m.body[1]) {
		m.order = [2]int{1, 0}
	}
	m.match(0)
}

func hasConst(a ratom) bool { return a.s.v < 0 || a.o.v < 0 }

// resolve finds an atom's constants in the record and notes them for
// object identity.
func (m *matcher) resolve(a atom) (ratom, bool) {
	ra := ratom{p: a.p}
	for i, t := range [2]term{a.s, a.o} {
		rt := rterm{v: t.v}
		if !t.isVar() {
			id, ok := m.r.constTerm(t.c)
			if !ok {
				return ratom{}, false
			}
			rt.t = id
			m.consts[m.nconsts] = id
			m.nconsts++
		}
		if i == 0 {
			ra.s = rt
		} else {
			ra.o = rt
		}
	}
	return ra, true
}

func (m *matcher) value(t rterm) (uint32, bool) {
	if t.v < 0 {
		return t.t, true
	}
	return m.vals[t.v], m.bound[t.v]
}

// bind gives an unbound variable a value unless object identity forbids it.
func (m *matcher) bind(t rterm, v uint32) bool {
	for slot, b := range m.bound {
		if b && m.vals[slot] == v {
			return false
		}
	}
	if slices.Contains(m.consts[:m.nconsts], v) {
		return false
	}
	m.vals[t.v], m.bound[t.v] = v, true
	return true
}

func (m *matcher) match(depth int) {
	if depth == m.n {
		m.found()
		return
	}
	r := m.r
	a := m.body[m.order[depth]]
	s, sKnown := m.value(a.s)
	o, oKnown := m.value(a.o)
	switch {
	case sKnown && oKnown:
		if r.has(a.p, s, o) {
			m.match(depth + 1)
		}
	case sKnown:
		sp := r.bySubject(a.p, s)
		for _, f := range r.spo[sp.lo:sp.hi] {
			if m.bind(a.o, f.o) {
				m.match(depth + 1)
				m.bound[a.o.v] = false
			}
		}
	case oKnown:
		sp := r.byObject(a.p, o)
		for _, i := range r.pos[sp.lo:sp.hi] {
			if m.bind(a.s, r.spo[i].s) {
				m.match(depth + 1)
				m.bound[a.s.v] = false
			}
		}
	default:
		sp := r.byPredicate(a.p)
		reflexive := a.s.v == a.o.v
		for _, f := range r.spo[sp.lo:sp.hi] {
			if reflexive && f.s != f.o || !m.bind(a.s, f.s) {
				continue
			}
			if reflexive {
				m.match(depth + 1)
			} else if m.bind(a.o, f.o) {
				m.match(depth + 1)
				m.bound[a.o.v] = false
			}
			m.bound[a.s.v] = false
		}
	}
}
