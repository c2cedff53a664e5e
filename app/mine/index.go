package mine

import "sort"

// span is a range of positions in spo or pos.
type span struct{ lo, hi int }

// bySubject is the range of spo holding p(s, _).
func (r *record) bySubject(p, s uint32) span {
	lo := sort.Search(len(r.spo), func(i int) bool {
		f := r.spo[i]
		return f.p > p || f.p == p && f.s >= s
	})
	hi := lo + sort.Search(len(r.spo)-lo, func(i int) bool {
		f := r.spo[lo+i]
		return f.p > p || f.s > s
	})
	return span{lo, hi}
}

// byObject is the range of pos holding p(_, o).
func (r *record) byObject(p, o uint32) span {
	lo := sort.Search(len(r.pos), func(i int) bool {
		f := r.spo[r.pos[i]]
		return f.p > p || f.p == p && f.o >= o
	})
	hi := lo + sort.Search(len(r.pos)-lo, func(i int) bool {
		f := r.spo[r.pos[lo+i]]
		return f.p > p || f.o > o
	})
	return span{lo, hi}
}

// byPredicate is the range of spo (and of pos) holding p(_, _).
func (r *record) byPredicate(p uint32) span {
	lo := sort.Search(len(r.spo), func(i int) bool { return r.spo[i].p >= p })
	hi := lo + sort.Search(len(r.spo)-lo, func(i int) bool { return r.spo[lo+i].p > p })
	return span{lo, hi}
}

// has reports whether p(s, o) holds.
func (r *record) has(p, s, o uint32) bool {
	i := sort.Search(len(r.spo), func(i int) bool {
		f := r.spo[i]
		return f.p > p || f.p == p && (f.s > s || f.s == s && f.o >= o)
	})
	return i < len(r.spo) && r.spo[i].p == p && r.spo[i].s == s && r.spo[i].o == o
}
