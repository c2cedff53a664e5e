package rules

import (
	"slices"

	"github.com/pff/pff/app/kg"
)

// Result is what a rule set found in one record.
type Result struct {
	Violations []Violation
	// Satisfied counts rules whose body matched and whose head held for
	// every match.
	Satisfied int
	// NotApplicable counts rules whose body never matched.
	NotApplicable int
}

// Violation is one binding of a rule's body for which the head does not hold.
type Violation struct {
	// Rule points into the set; it must not be modified.
	Rule *Rule
	// Pattern is Rule.Pattern(), written once when the set was compiled.
	Pattern string
	// Bindings give the body's variables, named as the rule writes them,
	// their values, in order of first appearance in the rule's body.
	Bindings []Binding
	// Pointers are the JSON pointers of the facts the body matched, in the
	// order of the rule's body.
	Pointers []string
}

// Binding is a variable's value.
type Binding struct {
	Var   string `json:"var"`
	Value string `json:"value"`
}

// Evaluate checks every rule of the set against one record's graph.
func (s *Set) Evaluate(g *kg.Graph) Result {
	ix := s.index(g)
	var res Result
	m := matcher{ix: ix, graph: g, res: &res}
	for i := range s.bodies {
		b := &s.bodies[i]
		first, ok := ix.mostSelective(b)
		if !ok {
			res.NotApplicable += len(b.heads)
			continue
		}
		m.run(b, b.plans[first])
	}
	return res
}

// mostSelective picks the body atom with the fewest candidate facts, judged
// by its constants alone, and reports false when one has none: then the body
// cannot match.
func (ix *index) mostSelective(b *body) (int, bool) {
	best, bestCount := 0, int32(-1)
	for i, a := range b.atoms {
		var r span
		switch {
		case !a.s.isVar() && !a.o.isVar():
			if _, ok := ix.find(a.pred, a.s.id, a.o.id); ok {
				r = span{0, 1}
			}
		case !a.s.isVar():
			r = ix.bySubject(a.pred, a.s.id)
		case !a.o.isVar():
			r = ix.byObject(a.pred, a.o.id)
		default:
			r = ix.preds[a.pred]
		}
		n := r.hi - r.lo
		if n == 0 {
			return 0, false
		}
		if bestCount < 0 || n < bestCount {
			best, bestCount = i, n
		}
	}
	return best, true
}

// matcher enumerates a body's bindings by backtracking along a plan and
// checks the heads at each complete binding.
type matcher struct {
	ix    *index
	graph *kg.Graph
	res   *Result
	// Violations' bindings and pointers are cut from these, to allocate
	// once per many violations rather than twice per violation.
	bindings []Binding
	pointers []string

	body     *body
	plan     []int
	vals     []uint32
	bound    []bool
	facts    []int32 // matched triple, by body atom
	matched  bool
	violated []bool // by head
}

func (m *matcher) run(b *body, plan []int) {
	m.body, m.plan, m.matched = b, plan, false
	m.vals = slices.Grow(m.vals[:0], b.nvars)[:b.nvars]
	m.bound = slices.Grow(m.bound[:0], b.nvars)[:b.nvars]
	clear(m.bound)
	m.facts = slices.Grow(m.facts[:0], len(b.atoms))[:len(b.atoms)]
	m.violated = slices.Grow(m.violated[:0], len(b.heads))[:len(b.heads)]
	clear(m.violated)

	m.match(0)

	for i := range b.heads {
		switch {
		case !m.matched:
			m.res.NotApplicable++
		case !m.violated[i]:
			m.res.Satisfied++
		}
	}
}

func (m *matcher) match(depth int) {
	if depth == len(m.plan) {
		m.conclude()
		return
	}
	ix := m.ix
	at := m.plan[depth]
	a := m.body.atoms[at]
	s, sKnown := m.value(a.s)
	o, oKnown := m.value(a.o)
	switch {
	case sKnown && oKnown:
		if i, ok := ix.find(a.pred, s, o); ok {
			m.facts[at] = ix.spo[i].triple
			m.match(depth + 1)
		}
	case sKnown:
		r := ix.bySubject(a.pred, s)
		for _, f := range ix.spo[r.lo:r.hi] {
			if m.bind(a.o, f.o) {
				m.facts[at] = f.triple
				m.match(depth + 1)
				m.bound[a.o.slot] = false
			}
		}
	case oKnown:
		r := ix.byObject(a.pred, o)
		for _, f := range ix.pos[r.lo:r.hi] {
			if m.bind(a.s, f.s) {
				m.facts[at] = f.triple
				m.match(depth + 1)
				m.bound[a.s.slot] = false
			}
		}
	default:
		r := ix.preds[a.pred]
		reflexive := a.s.slot == a.o.slot
		for _, f := range ix.spo[r.lo:r.hi] {
			if reflexive && f.s != f.o || !m.bind(a.s, f.s) {
				continue
			}
			if reflexive {
				m.facts[at] = f.triple
				m.match(depth + 1)
			} else if m.bind(a.o, f.o) {
				m.facts[at] = f.triple
				m.match(depth + 1)
				m.bound[a.o.slot] = false
			}
			m.bound[a.s.slot] = false
		}
	}
}

// value returns a term's value when it is a constant or a bound variable.
func (m *matcher) value(t term) (uint32, bool) {
	if !t.isVar() {
		return t.id, true
	}
	if int(t.slot) < len(m.bound) && m.bound[t.slot] {
		return m.vals[t.slot], true
	}
	return 0, false
}

// bind gives an unbound variable a value unless object identity forbids it:
// the value is already another variable's or is one of the body's constants.
func (m *matcher) bind(t term, v uint32) bool {
	for slot, b := range m.bound {
		if b && m.vals[slot] == v {
			return false
		}
	}
	if slices.Contains(m.body.consts, v) {
		return false
	}
	m.vals[t.slot], m.bound[t.slot] = v, true
	return true
}

// conclude checks every head against a complete binding.
func (m *matcher) conclude() {
	m.matched = true
	for i, h := range m.body.heads {
		if !m.holds(h.atom) {
			m.violated[i] = true
			// Appended one by one, thousands of violations would grow by a
			// quarter at a time and allocate five times their size;
			// doubling allocates about twice.
			if v := m.res.Violations; len(v) == cap(v) {
				m.res.Violations = slices.Grow(v, max(16, len(v)))
			}
			m.res.Violations = append(m.res.Violations, m.violation(h))
		}
	}
}

// holds reports whether a head is a fact under the current binding; its
// existential variables may take any value.
func (m *matcher) holds(a atom) bool {
	ix := m.ix
	s, sKnown := m.value(a.s)
	o, oKnown := m.value(a.o)
	switch {
	case sKnown && oKnown:
		_, ok := ix.find(a.pred, s, o)
		return ok
	case sKnown:
		return ix.hasSubject(a.pred, s)
	case oKnown:
		return ix.hasObject(a.pred, o)
	case a.s.slot == a.o.slot:
		r := ix.preds[a.pred]
		return slices.ContainsFunc(ix.spo[r.lo:r.hi], func(f fact) bool { return f.s == f.o })
	default:
		return !ix.preds[a.pred].empty()
	}
}

func (m *matcher) violation(h head) Violation {
	if cap(m.bindings)-len(m.bindings) < m.body.nvars {
		m.bindings = make([]Binding, 0, max(256, m.body.nvars))
	}
	if cap(m.pointers)-len(m.pointers) < len(m.facts) {
		m.pointers = make([]string, 0, max(256, len(m.facts)))
	}
	start := len(m.bindings)
	for _, slot := range h.bindOrder {
		m.bindings = append(m.bindings, Binding{Var: h.names[slot], Value: m.ix.name(m.vals[slot])})
	}
	v := Violation{Rule: &m.ix.set.rules[h.rule], Pattern: m.ix.set.patterns[h.rule], Bindings: m.bindings[start:len(m.bindings):len(m.bindings)]}
	start = len(m.pointers)
	for _, at := range h.written {
		if p := m.graph.Triples[m.facts[at]].Pointer; !slices.Contains(m.pointers[start:], p) {
			m.pointers = append(m.pointers, p)
		}
	}
	v.Pointers = m.pointers[start:len(m.pointers):len(m.pointers)]
	return v
}

// Applied marks in applied, indexed like Rules, the rules whose body has a
// binding in the record's graph, and returns how many it marked anew:
// reading a corpus record by record says which rules ever apply.
func (s *Set) Applied(g *kg.Graph, applied []bool) int {
	ix := s.index(g)
	var res Result
	m := matcher{ix: ix, graph: g, res: &res}
	marked := 0
	for i := range s.bodies {
		b := &s.bodies[i]
		if !slices.ContainsFunc(b.heads, func(h head) bool { return !applied[h.rule] }) {
			continue
		}
		first, ok := ix.mostSelective(b)
		if !ok {
			continue
		}
		m.run(b, b.plans[first])
		if !m.matched {
			continue
		}
		for _, h := range b.heads {
			if !applied[h.rule] {
				applied[h.rule] = true
				marked++
			}
		}
	}
	return marked
}
