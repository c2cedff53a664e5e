package mine

import (
	"cmp"
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"github.com/pff/pff/app/kg"
)

// Fact flags.
const (
	// flagCategory: the object is a categorical literal, so rules may name it.
	flagCategory uint8 = 1 << iota
	// flagEntity: the object is an entity (or a dangling id), so paths may
	// run through it.
	flagEntity
)

// fact is one triple of a record, its terms numbered within the record.
type fact struct {
	p, s, o uint32
	flags   uint8
}

// record is one record's graph, indexed for joins: every lookup a rule
// needs is a binary search.
type record struct {
	spo []fact   // by predicate, subject, object; no duplicates
	pos []uint32 // positions in spo, by predicate, object, subject
	// out and in are positions in spo by subject and by object, for a
	// node's facts whatever their predicate: out[outStart[x]:outStart[x+1]]
	// are x's facts as subject.
	out, in           []uint32
	outStart, inStart []uint32
	// hashes identify the terms' strings across records, so that the
	// corpus's constants can be recognised in records added before the
	// constant was known to be one.
	hashes []uint64
	// Set by corpus.finalize:
	constOf   []int32  // by term: its constant's id, or -1
	termOf    []int32  // by constant id: the term that holds it here, or -1
	predStart []uint32 // spo[predStart[p]:predStart[p+1]] holds p(_, _)
}

// corpus is the records the miner learns from. Predicates are numbered
// across the corpus; terms within each record; constants across the corpus
// again, once finalize has counted them.
type corpus struct {
	seed      maphash.Seed
	predIDs   map[string]uint32
	predNames []string
	// catValues holds every categorical object's string by its hash.
	catValues map[uint64]string

	records  []*record
	facts    int
	offered  int // records offered, for reservoir sampling
	maxFacts int
	full     bool
	rng      *rand.Rand

	// Set by finalize:
	constNames []string
	predRecs   [][]uint32 // by predicate: the records that state it
	// constRecs lists the records that state p(_, c), by constKey(p, c).
	constRecs map[uint64][]uint32
}

func newCorpus(seed uint64, maxFacts int) *corpus {
	return &corpus{
		seed:      maphash.MakeSeed(),
		predIDs:   map[string]uint32{},
		catValues: map[uint64]string{},
		maxFacts:  maxFacts,
		rng:       rand.New(rand.NewPCG(seed, 0x5eed_c0de)), // #nosec G404 -- seeded on purpose: the same seed gives the same rules
	}
}

// add indexes one graph and keeps it, or drops it or another record to
// stay within maxFacts.
func (c *corpus) add(g *kg.Graph) {
	r := c.index(g)
	c.offered++
	if !c.full && c.facts+len(r.spo) > c.maxFacts && len(c.records) > 0 {
		c.full = true
	}
	if !c.full {
		c.records = append(c.records, r)
		c.facts += len(r.spo)
		return
	}
	// Algorithm R: the kept records are a uniform sample of those offered.
	if j := c.rng.IntN(c.offered); j < len(c.records) {
		c.facts += len(r.spo) - len(c.records[j].spo)
		c.records[j] = r
	}
}

func (c *corpus) index(g *kg.Graph) *record {
	r := &record{}
	terms := make(map[string]uint32, len(g.Triples))
	term := func(s string) uint32 {
		id, ok := terms[s]
		if !ok {
			id = uint32(len(r.hashes))
			terms[s] = id
			r.hashes = append(r.hashes, maphash.String(c.seed, s))
		}
		return id
	}
	facts := make([]fact, 0, len(g.Triples))
	for _, t := range g.Triples {
		if !predicateOK(t.Predicate) {
			continue // a rule could not name it
		}
		f := fact{p: c.pred(t.Predicate), s: term(t.Subject), o: term(t.Object)}
		if t.ObjectKind == kg.Entity {
			f.flags |= flagEntity
		}
		if t.Class == kg.ClassCategory && constantOK(t.Object) {
			f.flags |= flagCategory
			c.catValues[r.hashes[f.o]] = t.Object
		}
		facts = append(facts, f)
	}
	slices.SortFunc(facts, compareSPO)
	// A fact stated twice is one fact.
	out := facts[:0]
	for _, f := range facts {
		if n := len(out); n > 0 && out[n-1].p == f.p && out[n-1].s == f.s && out[n-1].o == f.o {
			out[n-1].flags |= f.flags
			continue
		}
		out = append(out, f)
	}
	r.spo = slices.Clip(out)
	r.pos = make([]uint32, len(r.spo))
	for i := range r.pos {
		r.pos[i] = uint32(i)
	}
	slices.SortFunc(r.pos, func(a, b uint32) int {
		x, y := r.spo[a], r.spo[b]
		return cmp.Or(cmp.Compare(x.p, y.p), cmp.Compare(x.o, y.o), cmp.Compare(x.s, y.s))
	})
	r.out = slices.Clone(r.pos)
	slices.SortFunc(r.out, func(a, b uint32) int {
		x, y := r.spo[a], r.spo[b]
		return cmp.Or(cmp.Compare(x.s, y.s), cmp.Compare(x.p, y.p), cmp.Compare(x.o, y.o))
	})
	r.in = slices.Clone(r.pos)
	slices.SortFunc(r.in, func(a, b uint32) int {
		x, y := r.spo[a], r.spo[b]
		return cmp.Or(cmp.Compare(x.o, y.o), cmp.Compare(x.p, y.p), cmp.Compare(x.s, y.s))
	})
	r.outStart = make([]uint32, len(r.hashes)+1)
	r.inStart = make([]uint32, len(r.hashes)+1)
	for _, f := range r.spo {
		r.outStart[f.s+1]++
		r.inStart[f.o+1]++
	}
	for t := range r.hashes {
		r.outStart[t+1] += r.outStart[t]
		r.inStart[t+1] += r.inStart[t]
	}
	return r
}

func compareSPO(a, b fact) int {
	return cmp.Or(cmp.Compare(a.p, b.p), cmp.Compare(a.s, b.s), cmp.Compare(a.o, b.o))
}

func (c *corpus) pred(name string) uint32 {
	id, ok := c.predIDs[name]
	if !ok {
		id = uint32(len(c.predNames))
		c.predIDs[name] = id
		c.predNames = append(c.predNames, name)
	}
	return id
}

// finalize numbers the constants, the categorical objects stated at least
// minCount times (a rarer one cannot give a rule enough support), and lists
// each predicate's records.
func (c *corpus) finalize(minCount int) {
	counts := map[uint64]int{}
	for _, r := range c.records {
		for _, f := range r.spo {
			if f.flags&flagCategory != 0 {
				counts[r.hashes[f.o]]++
			}
		}
	}
	c.constNames = c.constNames[:0]
	for h, n := range counts {
		if n >= minCount {
			c.constNames = append(c.constNames, c.catValues[h])
		}
	}
	slices.Sort(c.constNames)
	constOf := make(map[uint64]uint32, len(c.constNames))
	for i, v := range c.constNames {
		constOf[maphash.String(c.seed, v)] = uint32(i)
	}

	c.predRecs = make([][]uint32, len(c.predNames))
	c.constRecs = map[uint64][]uint32{}
	for ri, r := range c.records {
		r.constOf = make([]int32, len(r.hashes))
		r.termOf = make([]int32, len(c.constNames))
		for i := range r.termOf {
			r.termOf[i] = -1
		}
		for t, h := range r.hashes {
			r.constOf[t] = -1
			if id, ok := constOf[h]; ok {
				r.constOf[t], r.termOf[id] = int32(id), int32(t)
			}
		}
		r.predStart = make([]uint32, len(c.predNames)+1)
		for _, f := range r.spo {
			r.predStart[f.p+1]++
		}
		for p := range c.predNames {
			r.predStart[p+1] += r.predStart[p]
		}
		for i, f := range r.spo {
			if i == 0 || r.spo[i-1].p != f.p {
				c.predRecs[f.p] = append(c.predRecs[f.p], uint32(ri))
			}
			if id := r.constOf[f.o]; id >= 0 {
				k := constKey(f.p, uint32(id))
				if recs := c.constRecs[k]; len(recs) == 0 || recs[len(recs)-1] != uint32(ri) {
					c.constRecs[k] = append(recs, uint32(ri))
				}
			}
		}
	}
}

func constKey(p, c uint32) uint64 { return uint64(p)<<32 | uint64(c) }

// constTerm returns the term that holds constant id in the record.
func (r *record) constTerm(id uint32) (uint32, bool) {
	t := r.termOf[id]
	return uint32(t), t >= 0
}

// predicateOK reports whether a rule can name the predicate: the rule
// parser reads a predicate up to a space, a parenthesis, a comma, a quote
// or "<".
func predicateOK(p string) bool {
	return p != "" && !strings.ContainsAny(p, "(),'\"<") && !strings.ContainsFunc(p, unicode.IsSpace)
}

// constantOK reports whether a constant fits on a line of AnyBURL's TSV.
func constantOK(v string) bool {
	return !strings.ContainsAny(v, "\t\r\n")
}
