package mine

import "sort"

// span is a range of positions in spo or pos.
type span struct{ lo, hi int }

// byPredicate is the range of spo (and of pos) holding p(_, _).
func (r *record) byPredicate(p uint32) span {
	return span{int(r.predStart[p]), int(r.predStart[p+1])}
}

// bySubject is the range of spo holding p(s, _).
func (r *record) bySubject(p, s uint32) span {
	sp := r.byPredicate(p)
	run := r.spo[sp.lo:sp.hi]
	lo := sort.Search(len(run), func(i int) bool { return run[i].s >= s })
	hi := lo
	for hi < len(run) && run[hi].s == s {
		hi++
	}
	return span{sp.lo + lo, sp.lo + hi}
}

// byObject is the range of pos holding p(_, o).
func (r *record) byObject(p, o uint32) span {
	sp := r.byPredicate(p)
	run := r.pos[sp.lo:sp.hi]
	lo := sort.Search(len(run), func(i int) bool { return r.spo[run[i]].o >= o })
	hi := lo
	for hi < len(run) && r.spo[run[hi]].o == o {
		hi++
	}
	return span{sp.lo + lo, sp.lo + hi}
}

// has reports whether p(s, o) holds.
func (r *record) has(p, s, o uint32) bool {
	sp := r.byPredicate(p)
	run := r.spo[sp.lo:sp.hi]
	i := sort.Search(len(run), func(i int) bool { return run[i].s > s || run[i].s == s && run[i].o >= o })
	return i < len(run) && run[i].s == s && run[i].o == o
}

// outOf returns the positions in spo of the facts whose subject is x, by
// predicate and object.
func (r *record) outOf(x uint32) []uint32 { return r.out[r.outStart[x]:r.outStart[x+1]] }

// inOf returns the positions in spo of the facts whose object is x, by
// predicate and subject.
func (r *record) inOf(x uint32) []uint32 { return r.in[r.inStart[x]:r.inStart[x+1]] }
