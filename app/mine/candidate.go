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
