package rules

import (
	"slices"
	"strconv"
	"strings"
)

// canonicalForm is a rule written so that two rules that differ only in
// variable names and body order are written alike.
type canonicalForm struct {
	body string // the body alone: rules with equal bodies share one join
	key  string // body and head: equal keys are duplicate rules
	// atoms is the body in canonical order; written[j] is the canonical
	// position of the rule's j-th body atom as written.
	atoms   []Atom
	written []int
	// slots numbers the rule's variables: body variables from 0 in order of
	// first appearance in atoms, then head-only (existential) variables.
	slots map[string]int
}

// canonicalize sorts the body by everything but variable names, then breaks
// ties between atoms that look alike by trying each order of them and keeping
// the smallest text. Bodies have at most MaxBodyAtoms atoms, so the orders to
// try are few.
func canonicalize(head Atom, body []Atom) canonicalForm {
	order := make([]int, len(body)) // canonical position → written position
	shapes := make([]string, len(body))
	for i, a := range body {
		order[i], shapes[i] = i, shapeKey(a)
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(shapes[a], shapes[b]) })
	var best canonicalForm
	permuteTies(order, shapes, 0, func() {
		c := render(head, body, order)
		if best.key == "" || c.body < best.body || (c.body == best.body && c.key < best.key) {
			best = c
			best.atoms = make([]Atom, len(order))
			best.written = make([]int, len(order))
			for canon, w := range order {
				best.atoms[canon] = body[w]
				best.written[w] = canon
			}
		}
	})
	return best
}

// shapeKey describes an atom without its variable names.
func shapeKey(a Atom) string {
	term := func(t Term) string {
		if t.Var {
			return "?"
		}
		return "'" + t.Value
	}
	same := ""
	if a.Subject.Var && a.Subject == a.Object {
		same = "="
	}
	return a.Predicate + "\x00" + term(a.Subject) + "\x00" + term(a.Object) + same
}

// permuteTies calls visit for every order of atoms that keeps the shape
// order, permuting in place the runs of atoms with equal shapes.
func permuteTies(order []int, shapes []string, from int, visit func()) {
	if from >= len(order) {
		visit()
		return
	}
	to := from + 1
	for to < len(order) && shapes[order[to]] == shapes[order[from]] {
		to++
	}
	permute(order[from:to], 0, func() { permuteTies(order, shapes, to, visit) })
}

// permute calls visit once for every order of run.
func permute(run []int, k int, visit func()) {
	if k >= len(run)-1 {
		visit()
		return
	}
	for i := k; i < len(run); i++ {
		run[k], run[i] = run[i], run[k]
		permute(run, k+1, visit)
		run[k], run[i] = run[i], run[k]
	}
}

// render writes the body in the given order and then the head, variables
// numbered by first appearance in the body, head-only variables last.
func render(head Atom, body []Atom, order []int) canonicalForm {
	slots := map[string]int{}
	var b strings.Builder
	term := func(t Term) {
		if !t.Var {
			b.WriteString(quote(t.Value))
			return
		}
		n, ok := slots[t.Value]
		if !ok {
			n = len(slots)
			slots[t.Value] = n
		}
		b.WriteString("?" + strconv.Itoa(n))
	}
	atom := func(a Atom) {
		b.WriteString(a.Predicate + "(")
		term(a.Subject)
		b.WriteByte(',')
		term(a.Object)
		b.WriteByte(')')
	}
	for _, i := range order {
		atom(body[i])
	}
	bodyText := b.String()
	b.WriteString(" => ")
	atom(head)
	return canonicalForm{body: bodyText, key: b.String(), slots: slots}
}
