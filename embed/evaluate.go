package embed

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Metrics are link-prediction results. Each triple (h, r, t) makes two
// queries, (h, r, ?) answered by t and (?, r, t) answered by h. The rank of
// the answer among all entities is 1 + the number of candidates nearer than
// it + half the number exactly as near (the mean of the ranks the tied
// candidates could take). With a filter, candidates that complete another
// known triple are left out.
type Metrics struct {
	MRR     float64 // mean reciprocal rank
	MR      float64 // mean rank
	Hits1   float64 // share of queries ranked at most 1
	Hits3   float64 // … at most 3
	Hits10  float64 // … at most 10
	Queries int
}

// EvalConfig configures Evaluate.
type EvalConfig struct {
	// Filter holds the known triples to leave out when ranking (the standard
	// "filtered" protocol); nil ranks against all entities ("raw").
	Filter *Filter
	// Workers is the number of goroutines; default runtime.GOMAXPROCS(0).
	Workers int
}

// evalBlock is the number of triples ranked together: each entity row is
// loaded once for all their queries.
const evalBlock = 4

// Evaluate ranks the answers of both queries of every triple.
func (m *Model) Evaluate(ctx context.Context, triples []Triple, cfg EvalConfig) (Metrics, error) {
	for _, t := range triples {
		if err := m.check(t); err != nil {
			return Metrics{}, fmt.Errorf("embed: evaluate: %w", err)
		}
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ranks := make([]float64, 2*len(triples))
	var next atomic.Int64
	parallel(workers, func(int) {
		r := newRanker(m, cfg.Filter)
		for ctx.Err() == nil {
			i := int(next.Add(evalBlock)) - evalBlock
			if i >= len(triples) {
				return
			}
			block := triples[i:min(i+evalBlock, len(triples))]
			r.rankBlock(block, ranks[2*i:])
		}
	})
	if err := ctx.Err(); err != nil {
		return Metrics{}, fmt.Errorf("embed: evaluate: %w", err)
	}
	return metricsOf(ranks), nil
}

func metricsOf(ranks []float64) Metrics {
	m := Metrics{Queries: len(ranks)}
	if len(ranks) == 0 {
		return m
	}
	for _, r := range ranks {
		m.MRR += 1 / r
		m.MR += r
		for _, h := range [...]struct {
			k   float64
			sum *float64
		}{{1, &m.Hits1}, {3, &m.Hits3}, {10, &m.Hits10}} {
			if r <= h.k {
				*h.sum++
			}
		}
	}
	n := float64(len(ranks))
	m.MRR /= n
	m.MR /= n
	m.Hits1 /= n
	m.Hits3 /= n
	m.Hits10 /= n
	return m
}

// ranker holds one goroutine's buffers for ranking.
type ranker struct {
	m       *Model
	filter  *Filter
	anchors [][]float32 // per query: h + r or t − r
	dists   [][]float32 // per query: distance of every entity
}

func newRanker(m *Model, filter *Filter) *ranker {
	r := &ranker{m: m, filter: filter}
	for range 2 * evalBlock {
		r.anchors = append(r.anchors, make([]float32, m.dim))
		r.dists = append(r.dists, make([]float32, m.NumEntities()))
	}
	return r
}

// rankBlock writes the ranks of the tail and head queries of triple i to
// ranks[2i] and ranks[2i+1].
func (r *ranker) rankBlock(block []Triple, ranks []float64) {
	m := r.m
	for i, t := range block {
		add(r.anchors[2*i], m.Entity(t.Head), m.Relation(t.Relation))
		sub(r.anchors[2*i+1], m.Entity(t.Tail), m.Relation(t.Relation))
	}
	anchors, dists := r.anchors[:2*len(block)], r.dists[:2*len(block)]
	dist := m.distance()
	for id := range m.NumEntities() {
		e := m.Entity(int32(id))
		for q, a := range anchors {
			dists[q][id] = dist(a, e)
		}
	}
	for i, t := range block {
		var tailsKnown, headsKnown []Triple
		if r.filter != nil {
			tailsKnown, headsKnown = r.filter.tails(t.Head, t.Relation), r.filter.heads(t.Relation, t.Tail)
		}
		ranks[2*i] = rankOf(dists[2*i], t.Tail, tailsKnown, func(k Triple) int32 { return k.Tail })
		ranks[2*i+1] = rankOf(dists[2*i+1], t.Head, headsKnown, func(k Triple) int32 { return k.Head })
	}
}

// rankOf returns the rank of answer among dists, leaving out the entities
// that answer(k) gives for the known triples k.
func rankOf(dists []float32, answer int32, known []Triple, answerOf func(Triple) int32) float64 {
	d := dists[answer]
	var nearer, ties int
	for _, x := range dists {
		if x < d {
			nearer++
		} else if x == d {
			ties++
		}
	}
	ties-- // the answer itself
	for _, k := range known {
		id := answerOf(k)
		if id == answer {
			continue
		}
		if x := dists[id]; x < d {
			nearer--
		} else if x == d {
			ties--
		}
	}
	return 1 + float64(nearer) + float64(ties)/2
}

// parallel runs fn(0), …, fn(n−1) concurrently and returns when all have.
func parallel(n int, fn func(worker int)) {
	if n == 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < n; w++ {
		wg.Go(func() { fn(w) })
	}
	fn(0)
	wg.Wait()
}
