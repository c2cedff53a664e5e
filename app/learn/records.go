package learn

import (
	"cmp"
	"hash/fnv"
	"slices"

	"github.com/pff/pff/embed"
)

// recordsOf groups a corpus's learnable facts into records: the connected
// components of its entity edges. Entities are unique to their record and
// values are shared, so a component is one record's graph.
func recordsOf(cg *CorpusGraph) [][]fact {
	parent := map[string]string{}
	var find func(string) string
	find = func(e string) string {
		p, ok := parent[e]
		if !ok || p == e {
			parent[e] = e
			return e
		}
		root := find(p)
		parent[e] = root
		return root
	}
	for _, t := range cg.Triples {
		find(t.Head)
		if !cg.Values[t.Tail] {
			if a, b := find(t.Head), find(t.Tail); a != b {
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	byRoot := map[string][]fact{}
	for _, t := range cg.Triples {
		root := find(t.Head)
		byRoot[root] = append(byRoot[root], fact{subject: t.Head, relation: t.Relation, object: t.Tail, value: cg.Values[t.Tail]})
	}
	roots := make([]string, 0, len(byRoot))
	for r := range byRoot {
		roots = append(roots, r)
	}
	slices.Sort(roots)
	out := make([][]fact, len(roots))
	for i, r := range roots {
		out[i] = byRoot[r]
	}
	return out
}

// holdOutRecords picks about fraction of the records, at least one and at
// most maxRecords, by a seeded hash of their first subject, so the choice
// does not depend on the order the facts came in. It returns the facts
// left to train on and the held-out records.
func holdOutRecords(recs [][]fact, fraction float64, maxRecords int, seed uint64) ([]embed.NamedTriple, [][]fact) {
	type keyed struct {
		key uint64
		i   int
	}
	keys := make([]keyed, len(recs))
	for i, r := range recs {
		h := fnv.New64a()
		var b [8]byte
		for j := range b {
			b[j] = byte(seed >> (8 * j))
		}
		h.Write(b[:])
		h.Write([]byte(r[0].subject))
		keys[i] = keyed{h.Sum64(), i}
	}
	slices.SortFunc(keys, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	n := min(max(int(fraction*float64(len(recs))), 1), maxRecords, len(recs)-1)
	held := make([]bool, len(recs))
	var out [][]fact
	for _, k := range keys[:max(n, 0)] {
		held[k.i] = true
		out = append(out, recs[k.i])
	}
	var train []embed.NamedTriple
	for i, r := range recs {
		if held[i] {
			continue
		}
		for _, f := range r {
			train = append(train, embed.NamedTriple{Head: f.subject, Relation: f.relation, Tail: f.object})
		}
	}
	return train, out
}

// relationRange is what a relation's categorical facts look like: its
// values, most frequent first, how many facts there are and how many values
// occur once.
type relationRange struct {
	tails             []string
	facts, singletons int
}

// complete says tails lists every value seen, so a value not among them is
// one never seen.
func (rr relationRange) complete() bool { return rr.facts > 0 && len(rr.tails) < maxTails }

// relationRanges counts the categorical objects of every relation and lists
// them most frequent first, at most limit of them.
func relationRanges(triples []embed.NamedTriple, values map[string]bool, limit int) map[string]relationRange {
	counts := map[string]map[string]int{}
	for _, t := range triples {
		if !values[t.Tail] {
			continue
		}
		if counts[t.Relation] == nil {
			counts[t.Relation] = map[string]int{}
		}
		counts[t.Relation][t.Tail]++
	}
	out := make(map[string]relationRange, len(counts))
	for rel, c := range counts {
		var rr relationRange
		tails := make([]string, 0, len(c))
		for t, n := range c {
			tails = append(tails, t)
			rr.facts += n
			if n == 1 {
				rr.singletons++
			}
		}
		slices.SortFunc(tails, func(a, b string) int {
			if c[a] != c[b] {
				return c[b] - c[a]
			}
			return cmp.Compare(a, b)
		})
		if len(tails) > limit {
			tails = tails[:limit]
		}
		rr.tails = tails
		out[rel] = rr
	}
	return out
}
