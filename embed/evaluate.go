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

// query is one half of a test triple: the anchor h + r with answer t, or
// the anchor t − r with answer h.
type query struct {
	anchor []float32
	answer int32
	dist   float32 // of the answer
	known  []int32 // other answers known to be true, to leave out
	nearer int     // candidates nearer than the answer
	ties   int     // candidates exactly as near, the answer included
}

// ranker ranks the queries of a block of triples; each goroutine has its own.
type ranker struct {
	m       *Model
	filter  *Filter
	queries []query
}

func newRanker(m *Model, filter *Filter) *ranker {
	r := &ranker{m: m, filter: filter, queries: make([]query, 2*evalBlock)}
	for i := range r.queries {
		r.queries[i].anchor = make([]float32, m.dim)
	}
	return r
}

// rankBlock writes the ranks of the tail and head queries of triple i to
// ranks[2i] and ranks[2i+1].
func (r *ranker) rankBlock(block []Triple, ranks []float64) {
	m := r.m
	dist, within := m.distance(), m.distanceWithin()
	queries := r.queries[:2*len(block)]
	for i, t := range block {
		tail, head := &queries[2*i], &queries[2*i+1]
		add(tail.anchor, m.Entity(t.Head), m.Relation(t.Relation))
		sub(head.anchor, m.Entity(t.Tail), m.Relation(t.Relation))
		tail.answer, head.answer = t.Tail, t.Head
		tail.known, head.known = tail.known[:0], head.known[:0]
		if r.filter != nil {
			for _, k := range r.filter.tails(t.Head, t.Relation) {
				tail.known = append(tail.known, k.Tail)
			}
			for _, k := range r.filter.heads(t.Relation, t.Tail) {
				head.known = append(head.known, k.Head)
			}
		}
	}
	for i := range queries {
		q := &queries[i]
		q.dist = dist(q.anchor, m.Entity(q.answer))
		q.nearer, q.ties = 0, 0
	}
	// Entity-major, so that each entity's vector is loaded once per block.
	for id := range int32(m.NumEntities()) {
		e := m.Entity(id)
		for i := range queries {
			q := &queries[i]
			if d := within(q.anchor, e, q.dist); d < q.dist {
				q.nearer++
			} else if d == q.dist {
				q.ties++
			}
		}
	}
	for i := range queries {
		q := &queries[i]
		q.ties-- // the answer itself
		for _, id := range q.known {
			if id == q.answer {
				continue
			}
			if d := dist(q.anchor, m.Entity(id)); d < q.dist {
				q.nearer--
			} else if d == q.dist {
				q.ties--
			}
		}
		ranks[i] = 1 + float64(q.nearer) + float64(q.ties)/2
	}
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
