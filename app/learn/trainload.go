package learn

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

// loadCorpusForTraining reads the learning view of the latest build for
// training: the same held-out records, relation ranges and leak-free split
// as LoadCorpusGraph and SplitTriples would give, but streamed
// from the database into interned ids. A corpus of 15,000 records has 3.6
// million learnable facts and 415,000 entities; held as strings, named
// triples and maps of names, they took 2.6 GiB before training began.
func loadCorpusForTraining(ctx context.Context, st *store.Store, seed uint64) (*trainingData, error) {
	build, err := st.LatestKGBuild(ctx)
	if err != nil {
		return nil, fmt.Errorf("learn: no knowledge graph (run pff kg build): %w", err)
	}
	g := internedGraph{entityIDs: map[string]int32{}, relationIDs: map[string]int32{}}
	category := []byte(kg.ClassCategory.String())
	err = st.EachLearningTriple(ctx, func(subject, predicate, object, class []byte) error {
		h, t := g.entity(subject), g.entity(object)
		if string(class) == string(category) {
			g.isValue[t] = true
		}
		g.triples = append(g.triples, embed.Triple{Head: h, Relation: g.relation(predicate), Tail: t})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	if len(g.triples) == 0 {
		return nil, fmt.Errorf("learn: the knowledge graph has no learnable facts (%d records)", build.Records)
	}
	g.entityIDs, g.relationIDs = nil, nil // the dataset builds its own

	d := &trainingData{source: "corpus", fingerprint: build.Fingerprint, values: map[string]bool{}}
	for id, v := range g.isValue {
		if v {
			d.values[g.entities[id]] = true
		}
	}
	d.ranges = g.relationRanges(maxTails)
	train := g.triples
	if len(d.values) > 0 {
		train, d.heldOut = g.holdOutRecords(calibrationHoldOut, maxCalibrationRecords, seed)
	}
	train, valid, test, err := embed.SplitIndexed(train, len(g.entities), len(g.relations), embed.SplitConfig{Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("learn: split the corpus: %w", err)
	}
	entities, relations := g.compact(train, valid, test)
	d.ds, err = embed.NewIndexedDataset(entities, relations, train, valid, test)
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	return d, nil
}

// internedGraph is the learning view with names replaced by dense ids in
// order of first appearance.
type internedGraph struct {
	entities, relations    []string
	entityIDs, relationIDs map[string]int32
	isValue                []bool // per entity: the object of a categorical fact
	triples                []embed.Triple
}

// entity returns the id of name; string(name) in a map index does not
// allocate, so only a new name does.
func (g *internedGraph) entity(name []byte) int32 {
	if id, ok := g.entityIDs[string(name)]; ok {
		return id
	}
	id := int32(len(g.entities))
	s := string(name)
	g.entities = append(g.entities, s)
	g.entityIDs[s] = id
	g.isValue = append(g.isValue, false)
	return id
}

func (g *internedGraph) relation(name []byte) int32 {
	if id, ok := g.relationIDs[string(name)]; ok {
		return id
	}
	id := int32(len(g.relations))
	s := string(name)
	g.relations = append(g.relations, s)
	g.relationIDs[s] = id
	return id
}

// records labels every fact with its record: the
// connected components of the entity edges (values are shared across
// records, so edges to them do not join). It returns each fact's record
// and, per record, its first fact, which names it.
func (g *internedGraph) records() (factRecord []int32, first []int32) {
	parent := make([]int32, len(g.entities))
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(e int32) int32 {
		root := e
		for parent[root] != root {
			root = parent[root]
		}
		for parent[e] != root { // path compression
			parent[e], e = root, parent[e]
		}
		return root
	}
	for _, t := range g.triples {
		if !g.isValue[t.Tail] {
			if a, b := find(t.Head), find(t.Tail); a != b {
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	record := make([]int32, len(g.entities)) // root → record number + 1
	factRecord = make([]int32, len(g.triples))
	for i, t := range g.triples {
		root := find(t.Head)
		if record[root] == 0 {
			first = append(first, int32(i))
			record[root] = int32(len(first))
		}
		factRecord[i] = record[root] - 1
	}
	return factRecord, first
}

// holdOutRecords holds out about fraction of the records, at least one and
// at most maxRecords, by a seeded hash of a record's first subject, so the
// choice does not depend on the order the facts came in, and returns the facts left to train on, in place of g.triples, and the
// held-out records.
func (g *internedGraph) holdOutRecords(fraction float64, maxRecords int, seed uint64) ([]embed.Triple, [][]fact) {
	factRecord, first := g.records()
	if len(first) < 2 {
		return g.triples, nil
	}
	type keyed struct {
		key    uint64
		record int32
	}
	keys := make([]keyed, len(first))
	var seedBytes [8]byte
	for j := range seedBytes {
		seedBytes[j] = byte(seed >> (8 * j))
	}
	for r, i := range first {
		h := fnv.New64a()
		h.Write(seedBytes[:])
		h.Write([]byte(g.entities[g.triples[i].Head]))
		keys[r] = keyed{h.Sum64(), int32(r)}
	}
	slices.SortFunc(keys, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	n := min(max(int(fraction*float64(len(first))), 1), maxRecords, len(first)-1)
	heldAt := make(map[int32]int, n) // record → index in out
	out := make([][]fact, n)
	for k, kr := range keys[:n] {
		heldAt[kr.record] = k
	}
	train := g.triples[:0]
	for i, t := range g.triples {
		if k, held := heldAt[factRecord[i]]; held {
			out[k] = append(out[k], fact{subject: g.entities[t.Head], relation: g.relations[t.Relation],
				object: g.entities[t.Tail], value: g.isValue[t.Tail]})
			continue
		}
		train = append(train, t) // never ahead of the loop
	}
	return train, out
}

// relationRanges is relationRanges of all facts, held-out records' too.
func (g *internedGraph) relationRanges(limit int) map[string]relationRange {
	counts := map[int32]map[int32]int{}
	for _, t := range g.triples {
		if !g.isValue[t.Tail] {
			continue
		}
		if counts[t.Relation] == nil {
			counts[t.Relation] = map[int32]int{}
		}
		counts[t.Relation][t.Tail]++
	}
	out := make(map[string]relationRange, len(counts))
	for rel, c := range counts {
		var rr relationRange
		tails := make([]string, 0, len(c))
		byName := make(map[string]int, len(c))
		for t, n := range c {
			name := g.entities[t]
			tails = append(tails, name)
			byName[name] = n
			rr.facts += n
			if n == 1 {
				rr.singletons++
			}
		}
		slices.SortFunc(tails, func(a, b string) int {
			if byName[a] != byName[b] {
				return byName[b] - byName[a]
			}
			return cmp.Compare(a, b)
		})
		if len(tails) > limit {
			tails = tails[:limit]
		}
		rr.tails = tails
		out[g.relations[rel]] = rr
	}
	return out
}

// compact renumbers the entities and relations of the splits, in place,
// to those that occur in them (held-out records' own entities drop out),
// keeping their order, and returns their names.
func (g *internedGraph) compact(splits ...[]embed.Triple) (entities, relations []string) {
	entID, relID := make([]int32, len(g.entities)), make([]int32, len(g.relations))
	for _, split := range splits {
		for _, t := range split {
			entID[t.Head], entID[t.Tail], relID[t.Relation] = 1, 1, 1
		}
	}
	renumber := func(ids []int32, names []string) []string {
		var kept []string
		for i, used := range ids {
			if used == 0 {
				ids[i] = -1
				continue
			}
			ids[i] = int32(len(kept))
			kept = append(kept, names[i])
		}
		return kept
	}
	entities, relations = renumber(entID, g.entities), renumber(relID, g.relations)
	for _, split := range splits {
		for i, t := range split {
			split[i] = embed.Triple{Head: entID[t.Head], Relation: relID[t.Relation], Tail: entID[t.Tail]}
		}
	}
	return entities, relations
}
