package rules

// term is a compiled term: a variable's slot or a constant's term id.
type term struct {
	slot int32 // variable slot, or -1 for a constant
	id   uint32
}

func (t term) isVar() bool { return t.slot >= 0 }

// atom is a compiled atom.
type atom struct {
	pred uint32
	s, o term
}

// body is the join shared by every rule with this body.
type body struct {
	atoms []atom
	nvars int
	// consts are the body's constants, which no variable may bind (object
	// identity).
	consts []uint32
	// plans[i] is the join order to use when atom i matches fewest facts:
	// each next atom shares as many bound terms with the ones before as it can.
	plans [][]int
	heads []head
}

// head is one rule's conclusion over its body's slots.
type head struct {
	rule int32
	// atom's slots at or above the body's nvars are existential: any value
	// satisfies them.
	atom atom
	// names are the rule's own variable names, by slot; bindOrder lists the
	// body's slots in the order the rule's body first names them; written
	// maps the rule's body atoms, in its own order, to the body's. Reports
	// use the rule's words.
	names     []string
	bindOrder []int
	written   []int
}

func (s *Set) compileBody(c canonicalForm) body {
	b := body{atoms: make([]atom, len(c.atoms))}
	vars := map[string]bool{}
	for i, a := range c.atoms {
		b.atoms[i] = s.compileAtom(a, c.slots)
		for _, t := range [2]Term{a.Subject, a.Object} {
			if t.Var {
				vars[t.Value] = true
			} else {
				b.consts = append(b.consts, s.constID(t.Value))
			}
		}
	}
	b.nvars = len(vars)
	for first := range b.atoms {
		b.plans = append(b.plans, b.plan(first))
	}
	return b
}

// plan orders the body's atoms for a join that starts at first: next comes
// the atom with the most terms already known, since a known term turns a scan
// into an index lookup.
func (b *body) plan(first int) []int {
	order := []int{first}
	bound := make([]bool, b.nvars)
	used := make([]bool, len(b.atoms))
	mark := func(i int) {
		used[i] = true
		for _, t := range [2]term{b.atoms[i].s, b.atoms[i].o} {
			if t.isVar() {
				bound[t.slot] = true
			}
		}
	}
	known := func(i int) int {
		n := 0
		for _, t := range [2]term{b.atoms[i].s, b.atoms[i].o} {
			if !t.isVar() || bound[t.slot] {
				n++
			}
		}
		return n
	}
	mark(first)
	for len(order) < len(b.atoms) {
		next := -1
		for i := range b.atoms {
			if !used[i] && (next < 0 || known(i) > known(next)) {
				next = i
			}
		}
		order = append(order, next)
		mark(next)
	}
	return order
}

func (s *Set) compileHead(rule int32, a Atom, c canonicalForm) head {
	h := head{rule: rule, atom: s.compileAtom(a, c.slots), names: make([]string, len(c.slots)), written: c.written}
	for name, slot := range c.slots {
		h.names[slot] = name
	}
	seen := map[int]bool{}
	for _, canon := range c.written {
		for _, t := range [2]Term{c.atoms[canon].Subject, c.atoms[canon].Object} {
			if slot := c.slots[t.Value]; t.Var && !seen[slot] {
				seen[slot] = true
				h.bindOrder = append(h.bindOrder, slot)
			}
		}
	}
	return h
}

func (s *Set) compileAtom(a Atom, slots map[string]int) atom {
	t := func(x Term) term {
		if x.Var {
			return term{slot: int32(slots[x.Value])}
		}
		return term{slot: -1, id: s.constID(x.Value)}
	}
	return atom{pred: s.predID(a.Predicate), s: t(a.Subject), o: t(a.Object)}
}

func (s *Set) predID(name string) uint32 {
	id, ok := s.preds[name]
	if !ok {
		id = uint32(len(s.preds))
		s.preds[name] = id
	}
	return id
}

func (s *Set) constID(value string) uint32 {
	id, ok := s.consts[value]
	if !ok {
		id = uint32(len(s.constNames))
		s.consts[value] = id
		s.constNames = append(s.constNames, value)
	}
	return id
}
