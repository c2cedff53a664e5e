package mine

import "context"

// judgement is what the corpus says of a candidate.
type judgement struct {
	predictions int // bindings of the body
	correct     int // those for which the head holds
}

// recordsFor lists the records a candidate's body may match in: the shortest
// of its atoms' lists, by predicate or by predicate and constant.
func (c *corpus) recordsFor(cd *candidate) []uint32 {
	var recs []uint32
	for i, a := range cd.atoms() {
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

// judge counts a candidate's predictions over the whole corpus.
func (c *corpus) judge(ctx context.Context, cd *candidate) (judgement, error) {
	recs := c.recordsFor(cd)
	var (
		j judgement
		m matcher
	)
	for i, ri := range recs {
		if i%512 == 0 {
			if err := ctx.Err(); err != nil {
				return judgement{}, err
			}
		}
		m.run(c.records[ri], cd, &j)
	}
	return j, nil
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
// the semantics of app/rules: object identity (distinct variables bind
// distinct values, none of them a constant of the body) and existential
// head variables.
type matcher struct {
	r       *record
	body    [2]ratom
	order   [2]int
	n       int
	consts  [4]uint32
	nconsts int
	head    ratom
	// headAbsent: the head names a constant the record lacks, so it never holds.
	headAbsent bool
	vals       [numVars]uint32
	bound      [numVars]bool
	j          *judgement
}

func (m *matcher) run(r *record, cd *candidate, j *judgement) {
	*m = matcher{r: r, n: int(cd.n), j: j}
	for i, a := range cd.atoms() {
		ra, ok := m.resolve(a, true)
		if !ok {
			return // the body names a constant the record lacks
		}
		m.body[i] = ra
	}
	h, ok := m.resolve(cd.head, false)
	m.head, m.headAbsent = h, !ok
	// Start from an atom with a constant: it has the fewest facts.
	m.order = [2]int{0, 1}
	if m.n == 2 && !hasConst(m.body[0]) && hasConst(m.body[1]) {
		m.order = [2]int{1, 0}
	}
	m.match(0)
}

func hasConst(a ratom) bool { return a.s.v < 0 || a.o.v < 0 }

// resolve finds an atom's constants in the record; inBody collects them for
// object identity.
func (m *matcher) resolve(a atom, inBody bool) (ratom, bool) {
	ra := ratom{p: a.p}
	for i, t := range [2]term{a.s, a.o} {
		rt := rterm{v: t.v}
		if !t.isVar() {
			id, ok := m.r.constTerm(t.c)
			if !ok {
				return ratom{}, false
			}
			rt.t = id
			if inBody {
				m.consts[m.nconsts] = id
				m.nconsts++
			}
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
	for _, c := range m.consts[:m.nconsts] {
		if c == v {
			return false
		}
	}
	m.vals[t.v], m.bound[t.v] = v, true
	return true
}

func (m *matcher) match(depth int) {
	if depth == m.n {
		m.j.predictions++
		if m.holds() {
			m.j.correct++
		}
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

// holds reports whether the head is a fact under the current binding; an
// existential variable may take any value.
func (m *matcher) holds() bool {
	if m.headAbsent {
		return false
	}
	r, a := m.r, m.head
	s, sKnown := m.value(a.s)
	o, oKnown := m.value(a.o)
	switch {
	case sKnown && oKnown:
		return r.has(a.p, s, o)
	case sKnown:
		sp := r.bySubject(a.p, s)
		return sp.hi > sp.lo
	case oKnown:
		sp := r.byObject(a.p, o)
		return sp.hi > sp.lo
	default:
		sp := r.byPredicate(a.p)
		return sp.hi > sp.lo
	}
}
