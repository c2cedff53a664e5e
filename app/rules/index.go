package rules

import (
	"cmp"
	"slices"

	"github.com/pff/pff/app/kg"
)

// fact is an indexed triple: interned subject and object, and the triple's
// position in the graph for its JSON pointer.
type fact struct {
	s, o   uint32
	triple int32
}

type span struct{ lo, hi int32 }

func (r span) empty() bool { return r.lo >= r.hi }

// index holds one record's facts for the predicates the set's rules use,
// sorted twice so that every lookup a join needs is a binary search:
// by predicate and subject in spo, by predicate and object in pos.
type index struct {
	set   *Set
	spo   []fact
	pos   []fact
	preds []span // by predicate id; the same range in spo and pos
	// local interns the record's terms that no rule mentions; their ids
	// follow the rule constants' ids.
	local map[string]uint32
	names []string
}

func (s *Set) index(g *kg.Graph) *index {
	ix := &index{set: s, preds: make([]span, len(s.preds)), local: make(map[string]uint32, len(g.Triples))}
	predOf := make([]uint32, 0, len(g.Triples))
	facts := make([]fact, 0, len(g.Triples))
	for i, t := range g.Triples {
		p, ok := s.preds[t.Predicate]
		if !ok {
			continue // no rule can see it
		}
		predOf = append(predOf, p)
		facts = append(facts, fact{s: ix.intern(t.Subject), o: ix.intern(t.Object), triple: int32(i)})
		ix.preds[p].hi++
	}
	// Counting sort by predicate, then sort each predicate's run.
	var next int32
	for p := range ix.preds {
		n := ix.preds[p].hi
		ix.preds[p] = span{lo: next, hi: next}
		next += n
	}
	ix.spo = make([]fact, len(facts))
	for i, f := range facts {
		r := &ix.preds[predOf[i]]
		ix.spo[r.hi] = f
		r.hi++
	}
	ix.pos = slices.Clone(ix.spo)
	for _, r := range ix.preds {
		slices.SortFunc(ix.spo[r.lo:r.hi], func(a, b fact) int {
			return cmp.Or(cmp.Compare(a.s, b.s), cmp.Compare(a.o, b.o))
		})
		slices.SortFunc(ix.pos[r.lo:r.hi], func(a, b fact) int {
			return cmp.Or(cmp.Compare(a.o, b.o), cmp.Compare(a.s, b.s))
		})
	}
	return ix
}

func (ix *index) intern(v string) uint32 {
	if id, ok := ix.set.consts[v]; ok {
		return id
	}
	id, ok := ix.local[v]
	if !ok {
		id = uint32(len(ix.set.constNames) + len(ix.names))
		ix.local[v] = id
		ix.names = append(ix.names, v)
	}
	return id
}

// name is the string a term id stands for.
func (ix *index) name(id uint32) string {
	if n := uint32(len(ix.set.constNames)); id >= n {
		return ix.names[id-n]
	}
	return ix.set.constNames[id]
}

// bySubject is the range of spo holding p(s, _).
func (ix *index) bySubject(p, s uint32) span {
	return equalRange(ix.spo, ix.preds[p], func(f fact) uint32 { return f.s }, s)
}

// byObject is the range of pos holding p(_, o).
func (ix *index) byObject(p, o uint32) span {
	return equalRange(ix.pos, ix.preds[p], func(f fact) uint32 { return f.o }, o)
}

// find returns the position in spo of p(s, o): one binary search over the
// predicate's facts, ordered by subject and then object.
func (ix *index) find(p, s, o uint32) (int32, bool) {
	r := ix.preds[p]
	run := ix.spo[r.lo:r.hi]
	lo, hi := 0, len(run)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if f := run[mid]; f.s < s || f.s == s && f.o < o {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return r.lo + int32(lo), lo < len(run) && run[lo].s == s && run[lo].o == o
}

// hasSubject reports whether some p(s, _) holds.
func (ix *index) hasSubject(p, s uint32) bool {
	r := ix.preds[p]
	run := ix.spo[r.lo:r.hi]
	i := lowerBound(run, func(f fact) uint32 { return f.s }, s)
	return i < len(run) && run[i].s == s
}

// hasObject reports whether some p(_, o) holds.
func (ix *index) hasObject(p, o uint32) bool {
	r := ix.preds[p]
	run := ix.pos[r.lo:r.hi]
	i := lowerBound(run, func(f fact) uint32 { return f.o }, o)
	return i < len(run) && run[i].o == o
}

// equalRange narrows r to the facts whose key is v; facts are sorted by key
// within r.
func equalRange(facts []fact, r span, key func(fact) uint32, v uint32) span {
	run := facts[r.lo:r.hi]
	lo := lowerBound(run, key, v)
	hi := lo + upperBound(run[lo:], key, v)
	return span{lo: r.lo + int32(lo), hi: r.lo + int32(hi)}
}

// lowerBound is the first position in run whose key is at least v.
func lowerBound(run []fact, key func(fact) uint32, v uint32) int {
	lo, hi := 0, len(run)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if key(run[mid]) < v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// upperBound is the first position in run whose key is above v.
func upperBound(run []fact, key func(fact) uint32, v uint32) int {
	lo, hi := 0, len(run)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if key(run[mid]) <= v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
