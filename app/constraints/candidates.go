package constraints

import (
	"maps"
	"math"
	"slices"
	"strings"
)

// candidates turns the counts into the constraints they support: each held
// for every entity it bound, bound at least cfg.MinSupport, and, when it has
// conditions, is no chance: the entities without them break it often enough
// that so many with them keeping it is unlikely (see significant). A
// constraint that a more general one implies is left out.
func (s *stats) candidates(cfg Config) []Constraint {
	var out []Constraint
	out = append(out, s.presence(cfg)...)
	out = append(out, s.cardinality(cfg)...)
	out = append(out, s.uniqueness(cfg)...)
	out = append(out, s.formatsAndDomains(cfg)...)
	return out
}

// significant says that n entities all keeping a constraint that a share v
// of comparable entities break is unlikely to be chance: (1-v)^n ≤ alpha.
func significant(n int, v, alpha float64) bool {
	if v <= 0 {
		return false
	}
	if v >= 1 {
		return true
	}
	return float64(n)*math.Log1p(-v) <= math.Log(alpha)
}

func (s *stats) conditions(c cond) Conditions {
	if c == (cond{}) {
		return nil
	}
	out := Conditions{}
	for _, f := range c {
		if f != 0 {
			rel, val, _ := strings.Cut(s.names[f], "\x00")
			out[rel] = val
		}
	}
	return out
}

func (s *stats) presence(cfg Config) []Constraint {
	var out []Constraint
	for k, n := range s.present {
		subjects := s.subjects[k.subjectKey]
		if n != subjects || subjects < cfg.MinSupport || s.names[k.rel] == kg_type {
			continue
		}
		c := cond{k.c0, k.c1}
		if s.conditions(c).has(s.names[k.rel]) {
			continue // an entity with r=v has r
		}
		general := true
		for _, p := range c.parents() {
			pk := relationKey{subjectKey{k.typ, p[0], p[1]}, k.rel}
			ps := s.subjects[pk.subjectKey]
			if s.present[pk] == ps {
				general = false // a parent says it already
				break
			}
			if !significant(subjects, 1-float64(s.present[pk])/float64(ps), cfg.Significance) {
				general = false
				break
			}
		}
		if !general {
			continue
		}
		out = append(out, Constraint{Kind: Presence, Type: s.names[k.typ], When: s.conditions(c), Relation: s.names[k.rel], Support: subjects})
	}
	return out
}

// kg_type is the type predicate, which every entity has.
const kg_type = "type"

// bounds are the cardinalities a count range supports: exactly n, or at
// least n; empty when the range says nothing worth checking. "At most"
// is left out: an upper bound learned from counts that are mostly 0 or 1
// breaks at the first entity with a rare second one.
func bounds(lo, hi int) (int, *int, bool) {
	switch {
	case lo == hi:
		return lo, &hi, true
	case lo >= 1:
		return lo, nil, true
	}
	return 0, nil, false
}

func (s *stats) cardinality(cfg Config) []Constraint {
	var out []Constraint
	// Qualified-edge counts that are zero for every entity of a condition
	// leave no key: the condition-free keys list the (relation, qualifier)
	// pairs of each type, to look for them.
	type pair struct{ rel, q0, q1 uint32 }
	pairsOf := map[uint32][]pair{}
	for k := range s.card {
		if k.c0 == 0 && k.c1 == 0 {
			pairsOf[k.typ] = append(pairsOf[k.typ], pair{k.rel, k.q0, k.q1})
		}
	}
	condsOf := map[uint32][]cond{}
	for k, n := range s.subjects {
		if n >= cfg.MinSupport {
			condsOf[k.typ] = append(condsOf[k.typ], cond{k.c0, k.c1})
		}
	}
	for typ, conds := range condsOf {
		for _, c := range conds {
			subjects := s.subjects[subjectKey{typ, c[0], c[1]}]
			for _, p := range pairsOf[typ] {
				k := cardKey{relationKey{subjectKey{typ, c[0], c[1]}, p.rel}, p.q0, p.q1}
				lo, hi := 0, 0
				if cs := s.card[k]; cs != nil {
					hi = int(cs.hi)
					if int(cs.nonzero) == subjects {
						lo = int(cs.lo)
					}
				}
				min, max, ok := bounds(lo, hi)
				if !ok || p.q0 == 0 && p.q1 == 0 && max == nil && min == 1 {
					continue // nothing to say, or presence says it
				}
				if s.impliedByParent(typ, c, p.rel, cond{p.q0, p.q1}, min, max, subjects, cfg) {
					continue
				}
				out = append(out, Constraint{Kind: Cardinality, Type: s.names[typ], When: s.conditions(c), Relation: s.names[p.rel],
					Where: s.conditions(cond{p.q0, p.q1}), Min: min, Max: max, Support: subjects})
			}
		}
	}
	return out
}

// violators returns how many entities of a key break a bound, and false
// when the counts cannot tell.
func (s *stats) violators(k cardKey, lo int, hi *int) (int, bool) {
	subjects := s.subjects[k.subjectKey]
	cs := s.card[k]
	if cs == nil { // every count is zero
		if lo > 0 {
			return subjects, true
		}
		return 0, true
	}
	zeros := subjects - int(cs.nonzero)
	if cs.hist != nil {
		h := *cs.hist
		h[0] += int32(zeros)
		v := h.violators(lo, hi)
		return v, v >= 0
	}
	if int(cs.lo) >= lo && (hi == nil || int(cs.hi) <= *hi) && (zeros == 0 || lo == 0) {
		return 0, true
	}
	return 0, false
}

// impliedByParent says a more general condition (or, for a count of zero,
// a more general qualifier) already implies the bound, or that the
// entities without the conditions break it too rarely for the conditions
// to mean anything.
func (s *stats) impliedByParent(typ uint32, c cond, rel uint32, q cond, lo int, hi *int, n int, cfg Config) bool {
	if hi != nil && *hi == 0 {
		for _, pq := range q.parents() {
			if v, ok := s.violators(cardKey{relationKey{subjectKey{typ, c[0], c[1]}, rel}, pq[0], pq[1]}, 0, hi); ok && v == 0 {
				return true // no edge to the broader kind of entity either
			}
		}
	}
	for _, p := range c.parents() {
		v, ok := s.violators(cardKey{relationKey{subjectKey{typ, p[0], p[1]}, rel}, q[0], q[1]}, lo, hi)
		if !ok {
			return true // cannot tell chance from a law: leave it
		}
		ps := s.subjects[subjectKey{typ, p[0], p[1]}]
		if v == 0 || !significant(n, float64(v)/float64(ps), cfg.Significance) {
			return true
		}
	}
	return false
}

func (s *stats) uniqueness(cfg Config) []Constraint {
	var out []Constraint
	for k, u := range s.unique {
		if u.shared > 0 || u.records < cfg.MinSupport || float64(u.repeats) > 0.01*float64(u.facts) {
			continue // not unique, not seen side by side enough, or not an identifier
		}
		if s.temporal(k.typ, k.rel) {
			continue // instants to the millisecond differ by chance, not by law
		}
		if k.c0 != 0 {
			if g := s.unique[relationKey{subjectKey{k.typ, 0, 0}, k.rel}]; g != nil && g.shared == 0 && g.records >= cfg.MinSupport {
				continue
			}
		}
		out = append(out, Constraint{Kind: Unique, Type: s.names[k.typ], When: s.conditions(cond{k.c0, k.c1}), Relation: s.names[k.rel], Support: u.records})
	}
	return out
}

// temporal says a relation's values are dates, instants or periods.
func (s *stats) temporal(typ, rel uint32) bool {
	vs := s.values[relationKey{subjectKey{typ, 0, 0}, rel}]
	if vs == nil {
		return false
	}
	for _, shape := range []string{ShapeDateTime, ShapeDate, ShapeInterval, ShapeReversed} {
		if vs.shapes[shape] > 0 {
			return true
		}
	}
	return false
}

func (s *stats) formatsAndDomains(cfg Config) []Constraint {
	var out []Constraint
	for k, vs := range s.values {
		if vs.facts < cfg.MinSupport {
			continue
		}
		rel, typ := s.names[k.rel], s.names[k.typ]
		if frequent(vs.shapes, cfg.MinPerValue) {
			out = append(out, Constraint{Kind: Format, Type: typ, Relation: rel, Shapes: slices.Sorted(maps.Keys(vs.shapes)), Support: vs.facts})
		}
		if vs.category && !vs.open && vs.values != nil && frequent(vs.values, cfg.MinPerValue) {
			values := make([]string, 0, len(vs.values))
			for v := range vs.values {
				values = append(values, s.names[v])
			}
			slices.Sort(values)
			out = append(out, Constraint{Kind: Domain, Type: typ, Relation: rel, Values: values, Support: vs.facts})
		}
	}
	return out
}

// frequent says every value was seen at least min times: a value seen
// rarely says the vocabulary is open (Good-Turing).
func frequent[K comparable](counts map[K]int, min int) bool {
	for _, n := range counts {
		if n < min {
			return false
		}
	}
	return len(counts) > 0
}
