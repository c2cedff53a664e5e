package embed

import (
	"cmp"
	"slices"
	"sort"
)

// Filter indexes known triples, for the filtered ranking protocol (other true
// answers do not count against a prediction) and for rejecting corruptions
// that are in fact true.
type Filter struct {
	byHead []Triple // sorted by head, relation, tail; no duplicates
	byTail []Triple // sorted by relation, tail, head; no duplicates
}

// NewFilter indexes the union of the given triple sets, typically a
// dataset's train, valid and test splits.
func NewFilter(sets ...[]Triple) *Filter {
	var all []Triple
	for _, s := range sets {
		all = append(all, s...)
	}
	slices.SortFunc(all, compareByHead)
	all = slices.Compact(all)
	byTail := slices.Clone(all)
	slices.SortFunc(byTail, compareByTail)
	return &Filter{byHead: all, byTail: byTail}
}

func compareByHead(a, b Triple) int {
	return cmp.Or(cmp.Compare(a.Head, b.Head), cmp.Compare(a.Relation, b.Relation), cmp.Compare(a.Tail, b.Tail))
}

func compareByTail(a, b Triple) int {
	return cmp.Or(cmp.Compare(a.Relation, b.Relation), cmp.Compare(a.Tail, b.Tail), cmp.Compare(a.Head, b.Head))
}

// Contains reports whether t is a known triple.
func (f *Filter) Contains(t Triple) bool {
	_, found := slices.BinarySearchFunc(f.byHead, t, compareByHead)
	return found
}

// tails returns the known triples (head, relation, ·).
func (f *Filter) tails(head, relation int32) []Triple {
	lo := sort.Search(len(f.byHead), func(i int) bool {
		t := f.byHead[i]
		return t.Head > head || t.Head == head && t.Relation >= relation
	})
	hi := lo
	for hi < len(f.byHead) && f.byHead[hi].Head == head && f.byHead[hi].Relation == relation {
		hi++
	}
	return f.byHead[lo:hi]
}

// heads returns the known triples (·, relation, tail).
func (f *Filter) heads(relation, tail int32) []Triple {
	lo := sort.Search(len(f.byTail), func(i int) bool {
		t := f.byTail[i]
		return t.Relation > relation || t.Relation == relation && t.Tail >= tail
	})
	hi := lo
	for hi < len(f.byTail) && f.byTail[hi].Relation == relation && f.byTail[hi].Tail == tail {
		hi++
	}
	return f.byTail[lo:hi]
}

// filterFor indexes the triples of the given sets that share a query with
// one of queries: (h, r, ·) or (·, r, t). Ranking queries needs no other.
func filterFor(queries []Triple, sets ...[]Triple) *Filter {
	type key struct{ a, b int32 }
	tails := make(map[key]bool, len(queries)) // (head, relation)
	heads := make(map[key]bool, len(queries)) // (relation, tail)
	for _, q := range queries {
		tails[key{q.Head, q.Relation}] = true
		heads[key{q.Relation, q.Tail}] = true
	}
	var keep []Triple
	for _, s := range sets {
		for _, t := range s {
			if tails[key{t.Head, t.Relation}] || heads[key{t.Relation, t.Tail}] {
				keep = append(keep, t)
			}
		}
	}
	return NewFilter(keep)
}
