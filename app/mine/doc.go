// Package mine learns Horn rules from a corpus of record graphs, the way
// AnyBURL does: it samples paths from random facts, generalises each path
// into rules, and keeps the rules whose support and confidence, computed
// exactly over the corpus, clear the thresholds.
//
// Two departures from AnyBURL make exact counting affordable and the search
// thorough. A draw picks an entity (the anchor) and takes every path of up
// to two steps from it, not one random path. And a path is generalised into
// a body first: one join of the body over the corpus counts its bindings
// and, for every head the bound entities carry (each categorical fact
// h(X,'c'), each relation h(X,_) or h(_,X), and for a cyclic body each fact
// between its ends), the bindings it holds for. So every head that fits a
// sampled body is judged, at the cost of one join.
//
// A corpus is the union of the records' graphs ([kg.Graph]). Entity ids are
// unique per record, so a rule is grounded within one record at a time and
// generalises over records. The rules are those [rules] evaluates, with its
// semantics, so a rule's confidence here is the share of the body's bindings
// for which app/rules would find no violation:
//
//   - Object identity: distinct variables bind distinct values, and no
//     variable binds a constant of the body.
//   - A head variable that does not occur in the body is existential.
//   - Facts are a set: a triple a record states twice is one fact, and a
//     binding is counted once.
//
// Rules have a body of one or two atoms; the first names X (Y when the head
// is about its object):
//
//	cyclic:       h(X,Y) <= b(X,Y)              h(X,Y) <= b1(X,A), b2(A,Y)
//	constant:     h(X,'c') <= b(X,'d')          h(X,'c') <= b1(A,X), b2(A,'d')
//	free end:     h(X,'c') <= b(X,A)            h(X,Y) <= b(X,A)
//	existential:  h(X,Y) <= b(X,'d')            h(X,Y) <= b1(Y,A), b2(A,'d')
//
// (and the same with the atoms' terms the other way round). A rule is left
// out when a more general one that cleared the thresholds, its body without
// the second atom or with the constant a variable, is at least as
// confident: that one finds every violation the narrower one would.
//
// The TSV's predictions are the body's bindings, as app/rules counts them
// (AnyBURL counts distinct head groundings instead), and correct those of
// them for which the head holds. Constants are
// the objects of categorical facts ([kg.ClassCategory]) only: ids, numbers,
// dates and other high-cardinality values would make rules that fit one
// record. Paths run through entities, never through a literal: two entities
// of one record that share a status are not related by it.
//
// Mining is deterministic for a seed, the records added in the same order,
// and a run that ends on its sample budget rather than its time budget.
package mine
