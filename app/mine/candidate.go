package mine

import "github.com/pff/pff/app/rules"

// Variable slots. X and Y are the head's subject and object; A and B are
// the path's nodes after the one it starts from, in path order.
const (
	varX = iota
	varY
	varA
	varB
	numVars
)

// varName is the name a slot takes in a rule, AnyBURL's.
func varName(slot int8) string { return "XYAB"[slot : slot+1] }

// term is a variable's slot, or a constant's id when v is -1.
type term struct {
	v int8
	c uint32
}

func variable(slot int) term  { return term{v: int8(slot)} }
func constant(id uint32) term { return term{v: -1, c: id} }

func (t term) isVar() bool { return t.v >= 0 }

type atom struct {
	p    uint32
	s, o term
}

// candidate is a rule before it is judged. It is comparable: equal
// candidates are the same rule, since a rule has one way of being written
// here (variables named by their place on the path, the body in path order,
// and a cyclic body always written from X).
type candidate struct {
	head atom
	body [2]atom
	n    uint8 // body atoms
}

func (c *candidate) atoms() []atom { return c.body[:c.n] }

// inBody reports whether a variable slot occurs in the body; a head
// variable that does not is existential.
func (c *candidate) inBody(slot int8) bool {
	for _, a := range c.atoms() {
		if a.s.v == slot || a.o.v == slot {
			return true
		}
	}
	return false
}

// inBodyAt reports whether body atom i holds one of the head's variables: a
// cyclic body's last atom does, and cannot be dropped.
func (c *candidate) inBodyAt(i int, head atom) bool {
	a := c.body[i]
	for _, h := range [2]term{head.s, head.o} {
		if h.isVar() && (a.s == h || a.o == h) {
			return true
		}
	}
	return false
}

// trivial reports whether a body atom makes the head hold by itself: the
// same predicate, with the head's terms or any term where the head's is
// existential.
func (c *candidate) trivial() bool {
	matches := func(h, b term) bool {
		return h == b || h.isVar() && !c.inBody(h.v)
	}
	for _, a := range c.atoms() {
		if a.p == c.head.p && matches(c.head.s, a.s) && matches(c.head.o, a.o) {
			return true
		}
	}
	return false
}

// rule writes the candidate with the corpus's names.
func (c *candidate) rule(predNames, constNames []string) (rules.Atom, []rules.Atom) {
	t := func(x term) rules.Term {
		if x.isVar() {
			return rules.Var(varName(x.v))
		}
		return rules.Const(constNames[x.c])
	}
	a := func(x atom) rules.Atom {
		return rules.Atom{Predicate: predNames[x.p], Subject: t(x.s), Object: t(x.o)}
	}
	body := make([]rules.Atom, c.n)
	for i, b := range c.atoms() {
		body[i] = a(b)
	}
	return a(c.head), body
}

// body is a rule body before its heads are chosen. Its anchor is X, the
// term the head will be about; a two-atom path's middle node is A; its end
// is a constant or a variable (A after one atom, B after two), which a
// cyclic head names too.
type body struct {
	atoms [2]atom
	n     uint8
}

// endVar is the slot of the body's end when it is a variable.
func (b *body) endVar() (int8, bool) {
	a := b.atoms[b.n-1]
	end := int8(varA + b.n - 1)
	if a.s.v == end || a.o.v == end {
		return end, true
	}
	return 0, false
}

// Heads, relative to a body's anchor X and end E.
const (
	headSome        uint8 = iota // h(X,Y), Y existential
	headSomeSubject              // h(Y,X), Y existential
	headCycle                    // h(X,E)
	headCycleBack                // h(E,X)
	headConst                    // h(X,'c')
)

// headKey is a head for a body: a predicate, a kind, and for headConst a
// constant.
type headKey struct {
	p    uint32
	kind uint8
	c    uint32
}

// rename returns t with slot from renamed to to.
func rename(t term, from, to int8) term {
	if t.v == from {
		t.v = to
	}
	return t
}

// candidate writes the rule a body and a head make, the way the candidate
// type requires: head h(X,Y) or h(X,'c'), the body written from X for a
// cyclic rule.
func (b *body) candidate(h headKey) candidate {
	c := candidate{n: b.n}
	c.body = b.atoms
	each := func(f func(term) term) {
		for i := range c.body[:c.n] {
			c.body[i].s, c.body[i].o = f(c.body[i].s), f(c.body[i].o)
		}
	}
	end, _ := b.endVar()
	switch h.kind {
	case headConst:
		c.head = atom{p: h.p, s: variable(varX), o: constant(h.c)}
	case headSome:
		c.head = atom{p: h.p, s: variable(varX), o: variable(varY)}
	case headSomeSubject: // the anchor is the head's object: Y
		each(func(t term) term { return rename(t, varX, varY) })
		c.head = atom{p: h.p, s: variable(varX), o: variable(varY)}
	case headCycle:
		each(func(t term) term { return rename(t, end, varY) })
		c.head = atom{p: h.p, s: variable(varX), o: variable(varY)}
	case headCycleBack: // the anchor is Y, the end X; written from X
		each(func(t term) term {
			if t.v == varX {
				return variable(varY)
			}
			return rename(t, end, varX)
		})
		if c.n == 2 {
			c.body[0], c.body[1] = c.body[1], c.body[0]
		}
		c.head = atom{p: h.p, s: variable(varX), o: variable(varY)}
	}
	return c
}
