package constraints

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/pff/pff/app/kg"
)

// Set is a compiled constraint set. It is immutable and safe for concurrent
// use.
type Set struct {
	constraints []Constraint
	version     string
}

// Compile checks constraints and returns them as a set; duplicates (the
// same statement twice) keep the most confident.
func Compile(cs []Constraint) (*Set, error) {
	var errs []error
	ids := map[string]bool{}
	byKey := map[string]int{}
	var kept []Constraint
	for _, c := range cs {
		if msg := problemOf(&c); msg != "" {
			errs = append(errs, fmt.Errorf("constraints: %s %q: %s", c.Pos, c.ID, msg))
			continue
		}
		if ids[c.ID] {
			errs = append(errs, fmt.Errorf("constraints: %s: id %q names two constraints", c.Pos, c.ID))
			continue
		}
		ids[c.ID] = true
		c.Shapes, c.Values = sortedSet(c.Shapes), sortedSet(c.Values)
		if i, dup := byKey[c.key()]; dup {
			if c.Confidence > kept[i].Confidence {
				kept[i] = c
			}
			continue
		}
		byKey[c.key()] = len(kept)
		kept = append(kept, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sortConstraints(kept)
	h := sha256.New()
	for _, c := range kept {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", c.ID, c.key(), strconv.FormatFloat(c.Confidence, 'g', -1, 64))
	}
	return &Set{constraints: kept, version: hex.EncodeToString(h.Sum(nil)[:6])}, nil
}

func sortedSet(s []string) []string {
	if s == nil {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// problemOf says what makes a constraint meaningless, or "".
func problemOf(c *Constraint) string {
	switch {
	case c.ID == "":
		return "has no id"
	case !slices.Contains(Kinds(), c.Kind):
		return fmt.Sprintf("unknown kind %q (want one of %v)", c.Kind, Kinds())
	case c.Type == "":
		return "has no type"
	case c.Relation == "":
		return "has no relation"
	case c.Confidence < 0 || c.Confidence > 1 || c.Confidence != c.Confidence:
		return fmt.Sprintf("confidence %v outside [0, 1]", c.Confidence)
	case c.Kind == Cardinality && (c.Min < 0 || c.Max != nil && *c.Max < c.Min):
		return "a cardinality needs 0 <= min <= max"
	case c.Kind != Cardinality && (c.Min != 0 || c.Max != nil || len(c.Where) > 0):
		return "min, max and where belong to cardinalities"
	case c.Kind == Format && len(c.Shapes) == 0:
		return "a format needs shapes"
	case c.Kind != Format && len(c.Shapes) > 0:
		return "shapes belong to formats"
	case c.Kind == Domain && len(c.Values) == 0:
		return "a domain needs values"
	case c.Kind != Domain && len(c.Values) > 0:
		return "values belong to domains"
	case c.Relation == IDRelation && c.Kind != Format:
		return "the id pseudo-relation takes only formats"
	}
	for _, s := range c.Shapes {
		if !slices.Contains(Shapes(), s) {
			return fmt.Sprintf("unknown shape %q (want one of %v)", s, Shapes())
		}
	}
	return ""
}

// Constraints returns the set's constraints, sorted.
func (s *Set) Constraints() []Constraint { return slices.Clone(s.constraints) }

// Len is the number of constraints.
func (s *Set) Len() int { return len(s.constraints) }

// Version identifies the set's content: equal sets have equal versions.
func (s *Set) Version() string { return s.version }

// Result is what a set found in one record.
type Result struct {
	Violations []Violation
	// Satisfied counts constraints that bound some entity and held;
	// NotApplicable those that bound none.
	Satisfied, NotApplicable int
}

// Violation is one entity (or, for unique, one shared value) that breaks a
// constraint.
type Violation struct {
	// Constraint points into the set; it must not be modified.
	Constraint *Constraint
	Subject    string
	// Detail says what was found: the count, the value, its shape.
	Detail string
	// Pointers are the JSON pointers of the entity or the facts at fault.
	Pointers []string
}

// Evaluate checks every constraint against one record's graph.
func (s *Set) Evaluate(g *kg.Graph) Result {
	ix := indexRecord(g)
	var res Result
	for i := range s.constraints {
		c := &s.constraints[i]
		bound, before := 0, len(res.Violations)
		for _, e := range ix.byType[c.Type] {
			if !ix.meets(e, c.When) {
				continue
			}
			bound++
			if c.Kind != Unique {
				res.Violations = append(res.Violations, ix.check(c, e)...)
			}
		}
		if c.Kind == Unique && bound > 1 {
			res.Violations = append(res.Violations, ix.duplicates(c)...)
		}
		switch {
		case bound == 0:
			res.NotApplicable++
		case len(res.Violations) == before:
			res.Satisfied++
		}
	}
	return res
}

// recordIndex finds an entity's facts by predicate.
type recordIndex struct {
	g      *kg.Graph
	byType map[string][]string
	facts  map[string]map[string][]int // subject → predicate → triple indices
}

func indexRecord(g *kg.Graph) *recordIndex {
	ix := &recordIndex{g: g, byType: map[string][]string{}, facts: make(map[string]map[string][]int, len(g.Entities))}
	for i, t := range g.Triples {
		if t.Predicate == kg.PredType {
			if _, ok := g.Entities[t.Subject]; ok && g.Entities[t.Subject].Type == t.Object {
				ix.byType[t.Object] = append(ix.byType[t.Object], t.Subject)
			}
		}
		m := ix.facts[t.Subject]
		if m == nil {
			m = map[string][]int{}
			ix.facts[t.Subject] = m
		}
		m[t.Predicate] = append(m[t.Predicate], i)
	}
	for typ, es := range ix.byType {
		ix.byType[typ] = slices.Compact(es)
	}
	return ix
}

// meets says entity e has every fact of cond.
func (ix *recordIndex) meets(e string, cond Conditions) bool {
	for rel, val := range cond {
		if !slices.ContainsFunc(ix.facts[e][rel], func(i int) bool { return ix.g.Triples[i].Object == val }) {
			return false
		}
	}
	return true
}

func (ix *recordIndex) pointer(e string) string { return ix.g.Entities[e].Pointer }

// check returns the violations of entity e of constraint c (not unique).
func (ix *recordIndex) check(c *Constraint, e string) []Violation {
	facts := ix.facts[e][c.Relation]
	switch c.Kind {
	case Presence:
		if len(facts) == 0 {
			return []Violation{{Constraint: c, Subject: e, Detail: "none", Pointers: []string{ix.pointer(e)}}}
		}
	case Cardinality:
		n, pointers := 0, []string{ix.pointer(e)}
		for _, i := range facts {
			t := ix.g.Triples[i]
			if t.Class == kg.ClassEdge && ix.meets(t.Object, c.Where) {
				n++
				pointers = append(pointers, t.Pointer)
			}
		}
		if !c.allows(n) {
			return []Violation{{Constraint: c, Subject: e, Detail: fmt.Sprintf("has %d", n), Pointers: pointers}}
		}
	case Format:
		if c.Relation == IDRelation {
			if shape := Shape(e); !slices.Contains(c.Shapes, shape) {
				return []Violation{{Constraint: c, Subject: e, Detail: fmt.Sprintf("id %q is %s", e, shape), Pointers: []string{ix.pointer(e) + "/id"}}}
			}
			return nil
		}
		var out []Violation
		for _, i := range facts {
			t := ix.g.Triples[i]
			if t.ObjectKind != kg.Literal || t.Class == kg.ClassDangling {
				continue
			}
			if shape := Shape(t.Object); !slices.Contains(c.Shapes, shape) {
				out = append(out, Violation{Constraint: c, Subject: e, Detail: fmt.Sprintf("%q is %s", t.Object, shape), Pointers: []string{t.Pointer}})
			}
		}
		return out
	case Domain:
		var out []Violation
		for _, i := range facts {
			t := ix.g.Triples[i]
			if t.ObjectKind == kg.Literal && !slices.Contains(c.Values, t.Object) {
				out = append(out, Violation{Constraint: c, Subject: e, Detail: fmt.Sprintf("%q is not among them", t.Object), Pointers: []string{t.Pointer}})
			}
		}
		return out
	}
	return nil
}

// duplicates returns the values of a unique constraint that two or more
// bound entities share, one violation each.
func (ix *recordIndex) duplicates(c *Constraint) []Violation {
	type holders struct {
		subjects map[string]bool
		pointers []string
	}
	byValue := map[string]*holders{}
	var order []string
	for _, e := range ix.byType[c.Type] {
		if !ix.meets(e, c.When) {
			continue
		}
		for _, i := range ix.facts[e][c.Relation] {
			t := ix.g.Triples[i]
			h := byValue[t.Object]
			if h == nil {
				h = &holders{subjects: map[string]bool{}}
				byValue[t.Object] = h
				order = append(order, t.Object)
			}
			h.subjects[e] = true
			h.pointers = append(h.pointers, t.Pointer)
		}
	}
	var out []Violation
	for _, v := range order {
		if h := byValue[v]; len(h.subjects) > 1 {
			out = append(out, Violation{Constraint: c, Detail: fmt.Sprintf("%q is held by %d", v, len(h.subjects)), Pointers: h.pointers})
		}
	}
	return out
}
