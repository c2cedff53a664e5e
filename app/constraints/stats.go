package constraints

import (
	"hash/maphash"

	"github.com/pff/pff/app/kg"
)

// The learner counts, over the records it learns from, what each candidate
// constraint needs: how many entities of a type meet a condition, how many
// of them have a relation, how many edges to entities that meet a
// qualifier each has, which values and shapes a relation takes. Strings
// are interned; a condition is a pair of interned facts: the entity's
// current status (0 for none) and one other categorical fact (0 for none).

// cond is a condition: status fact, other fact; {0, 0} is none.
type cond [2]uint32

// size is the number of facts in the condition.
func (c cond) size() int {
	n := 0
	for _, f := range c {
		if f != 0 {
			n++
		}
	}
	return n
}

// parents are the conditions with one fact fewer.
func (c cond) parents() []cond {
	switch {
	case c[0] != 0 && c[1] != 0:
		return []cond{{c[0], 0}, {0, c[1]}}
	case c != cond{}:
		return []cond{{}}
	}
	return nil
}

// histogram counts entities by how many qualified edges they have: 0 to
// 3, and 4 or more.
type histogram [5]int32

func (h *histogram) add(n int) { h[min(n, len(h)-1)]++ }

// violators returns how many entities of the histogram a bound would
// refuse, or -1 when the histogram cannot tell (a count of 4 or more
// against a bound that ends at 4 or beyond).
func (h *histogram) violators(lo int, hi *int) int {
	v := 0
	for n, count := range h {
		if count == 0 {
			continue
		}
		in := n >= lo && (hi == nil || n <= *hi)
		if n == len(h)-1 && hi != nil && *hi >= n {
			return -1
		}
		if !in {
			v += int(count)
		}
	}
	return v
}

type (
	subjectKey  struct{ typ, c0, c1 uint32 }
	relationKey struct {
		subjectKey
		rel uint32
	}
	cardKey struct {
		relationKey
		q0, q1 uint32
	}
	// cardStat is the qualified-edge count of the entities of a key that
	// have one or more: how many, fewest, most, and for single conditions
	// the histogram of every entity's count (zeros filled in at the end).
	cardStat struct {
		nonzero, lo, hi int32
		hist            *histogram
	}
	// uniqueStat counts records with two or more values and records where
	// two entities shared one, and the values seen across records.
	uniqueStat struct {
		records, shared int
		values          map[uint64]bool
		repeats         int
		facts           int
	}
	// valueStat counts a relation's values (domain) and shapes (format).
	valueStat struct {
		facts    int
		values   map[uint32]int // nil once too many, or not categorical
		shapes   map[string]int
		open     bool // a value was text or an identifier: no domain
		category bool
	}
)

// stats are the counts of the records learned from.
type stats struct {
	strs    map[string]uint32
	names   []string
	records int

	subjects map[subjectKey]int
	present  map[relationKey]int
	card     map[cardKey]*cardStat
	unique   map[relationKey]*uniqueStat
	values   map[relationKey]*valueStat // condition-free: subjectKey{typ, 0, 0}
	seed     maphash.Seed

	maxValues int
}

func newStats(maxValues int) *stats {
	return &stats{strs: map[string]uint32{"": 0}, names: []string{""}, subjects: map[subjectKey]int{},
		present: map[relationKey]int{}, card: map[cardKey]*cardStat{}, unique: map[relationKey]*uniqueStat{},
		values: map[relationKey]*valueStat{}, seed: maphash.MakeSeed(), maxValues: maxValues}
}

func (s *stats) id(str string) uint32 {
	if i, ok := s.strs[str]; ok {
		return i
	}
	i := uint32(len(s.names))
	s.strs[str] = i
	s.names = append(s.names, str)
	return i
}

// fact interns relation=value as one string.
func (s *stats) fact(rel, val string) uint32 { return s.id(rel + "\x00" + val) }

// entityFacts are what the learner needs of one entity of a record.
type entityFacts struct {
	typ    uint32
	status uint32   // the status fact, 0 for none
	others []uint32 // its other functional categorical facts
	rels   map[string][]int
}

// conds returns the conditions an entity meets: none, its status, each
// other fact, and its status with each other fact.
func (e *entityFacts) conds() []cond {
	out := make([]cond, 0, 2+2*len(e.others))
	out = append(out, cond{})
	if e.status != 0 {
		out = append(out, cond{e.status, 0})
	}
	for _, f := range e.others {
		out = append(out, cond{0, f})
		if e.status != 0 {
			out = append(out, cond{e.status, f})
		}
	}
	return out
}

// record reads one record's entities: type, conditions and facts by
// relation.
func (s *stats) record(g *kg.Graph) map[string]*entityFacts {
	es := make(map[string]*entityFacts, len(g.Entities))
	for id, info := range g.Entities {
		es[id] = &entityFacts{typ: s.id(info.Type), rels: map[string][]int{}}
	}
	for i, t := range g.Triples {
		if e := es[t.Subject]; e != nil && t.Predicate != kg.PredType {
			e.rels[t.Predicate] = append(e.rels[t.Predicate], i)
		}
	}
	for _, e := range es {
		for rel, facts := range e.rels {
			if len(facts) != 1 || !conditional(rel) || identifierRelation(rel) {
				continue
			}
			t := g.Triples[facts[0]]
			if t.Class != kg.ClassCategory {
				continue
			}
			if rel == kg.PredStatus {
				e.status = s.fact(rel, t.Object)
			} else {
				e.others = append(e.others, s.fact(rel, t.Object))
			}
		}
	}
	return es
}

// conditional says a relation may serve in conditions: a categorical fact
// of the entity itself, not a list of its characteristics, nor a status
// history. (Nor a catalog id: its external id says the same in words that
// survive a catalog migration; see identifierRelation.)
func conditional(rel string) bool {
	return rel != kg.PredCharacteristic && rel != kg.PredDangling && rel != "status.status" && rel != "status.reason"
}

// add counts one record.
func (s *stats) add(g *kg.Graph) {
	s.records++
	es := s.record(g)
	type local struct{ rel, q0, q1 uint32 }
	uniqueSeen := map[relationKey]map[string]string{} // value → subject, this record
	for id, e := range es {
		conds := e.conds()
		for _, c := range conds {
			s.subjects[subjectKey{e.typ, c[0], c[1]}]++
		}
		counts := map[local]int{}
		for rel, facts := range e.rels {
			if rel == kg.PredDangling {
				continue
			}
			r := s.id(rel)
			for _, c := range conds {
				s.present[relationKey{subjectKey{e.typ, c[0], c[1]}, r}]++
			}
			for _, i := range facts {
				t := g.Triples[i]
				switch {
				case t.Class == kg.ClassEdge:
					if o := es[t.Object]; o != nil {
						for _, q := range o.conds() {
							counts[local{r, q[0], q[1]}]++
						}
					}
				case t.ObjectKind == kg.Literal && t.Class != kg.ClassDangling:
					s.value(relationKey{subjectKey{e.typ, 0, 0}, r}, rel, t)
					for _, c := range conds[:min(len(conds), 1+boolInt(e.status != 0))] {
						k := relationKey{subjectKey{e.typ, c[0], c[1]}, r}
						seen := uniqueSeen[k]
						if seen == nil {
							seen = map[string]string{}
							uniqueSeen[k] = seen
						}
						if other, dup := seen[t.Object]; dup && other != id {
							seen[t.Object] = "\x00shared"
						} else if !dup {
							seen[t.Object] = id
						}
					}
				}
			}
		}
		shape := Shape(id)
		vs := s.valueStat(relationKey{subjectKey{e.typ, 0, 0}, s.id(IDRelation)}, false)
		vs.facts++
		vs.shapes[shape]++
		for _, c := range conds {
			for l, n := range counts {
				k := cardKey{relationKey{subjectKey{e.typ, c[0], c[1]}, l.rel}, l.q0, l.q1}
				cs := s.card[k]
				if cs == nil {
					cs = &cardStat{lo: int32(n), hi: int32(n)}
					if c.size() < 2 {
						cs.hist = &histogram{}
					}
					s.card[k] = cs
				}
				cs.nonzero++
				cs.lo, cs.hi = min(cs.lo, int32(n)), max(cs.hi, int32(n))
				if cs.hist != nil {
					cs.hist.add(n)
				}
			}
		}
	}
	for k, seen := range uniqueSeen {
		if len(seen) < 2 && !sharedIn(seen) {
			continue
		}
		u := s.unique[k]
		if u == nil {
			u = &uniqueStat{values: map[uint64]bool{}}
			s.unique[k] = u
		}
		u.records++
		if sharedIn(seen) {
			u.shared++
		}
		for v := range seen {
			h := maphash.String(s.seed, v)
			u.facts++
			if u.values[h] {
				u.repeats++
			} else if len(u.values) < 1<<20 {
				u.values[h] = true
			}
		}
	}
}

func sharedIn(seen map[string]string) bool {
	for _, subject := range seen {
		if subject == "\x00shared" {
			return true
		}
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *stats) valueStat(k relationKey, category bool) *valueStat {
	vs := s.values[k]
	if vs == nil {
		vs = &valueStat{shapes: map[string]int{}, category: category}
		if category {
			vs.values = map[uint32]int{}
		}
		s.values[k] = vs
	}
	return vs
}

// value counts a literal fact of a relation for format and domain.
func (s *stats) value(k relationKey, rel string, t kg.Triple) {
	vs := s.valueStat(k, t.Class == kg.ClassCategory)
	vs.facts++
	vs.shapes[Shape(t.Object)]++
	if t.Class != kg.ClassCategory {
		vs.category = false
	}
	if !vs.open && (identifierRelation(rel) || Shape(t.Object) == ShapeText) {
		vs.open = true
	}
	if vs.values != nil {
		vs.values[s.id(t.Object)]++
		if len(vs.values) > s.maxValues {
			vs.values = nil
		}
	}
}

// identifierRelation says a relation names entities or catalog entries by
// id rather than categories: ids, numbers, the external ids of entities.
// The external ids of catalog entries (productOfferingExternalId) are
// their names, and categories.
func identifierRelation(rel string) bool {
	switch {
	case rel == IDRelation || hasSuffix(rel, ".id") || hasSuffix(rel, "Number") || hasSuffix(rel, "externalId"):
		return true
	case hasSuffix(rel, "ExternalId"):
		return false
	}
	return hasSuffix(rel, "Id") || hasSuffix(rel, "ID")
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}
