package executions

import (
	"context"
	"sync"
	"time"

	"github.com/pff/pff/store"
)

// group runs the database writes of the lines this engine runs in shared
// transactions. Every journal flush and every line's end takes its
// execution's row lock (for the events' order) and holds it through the
// commit, so an execution's lines would otherwise commit one by one: with
// shared transactions, the lines that come while one commits go together
// in the next.
//
// There is no goroutine of its own: the first line to come when no group
// is committing leads; lines that come while it commits queue, and when it
// is done it hands the lead to the first of them, which commits them all.
type group[T, R any] struct {
	// commit runs items in one transaction and returns each one's result.
	commit func(ctx context.Context, items []T) []R

	mu     sync.Mutex
	queue  []*groupRequest[T, R]
	active bool
}

type groupRequest[T, R any] struct {
	item T
	done chan groupResult[R]
}

type groupResult[R any] struct {
	res  R
	lead bool // not run: its line commits the queue
}

// maxGroup bounds the lines that share a transaction.
const maxGroup = 256

// groupTimeout bounds a shared transaction: lines other than the leader's
// wait for it, so the leader's own context does not decide for them.
const groupTimeout = 30 * time.Second

// do runs item with whatever other lines come at the same time.
func (g *group[T, R]) do(ctx context.Context, item T) R {
	req := &groupRequest[T, R]{item: item, done: make(chan groupResult[R], 1)}
	g.mu.Lock()
	g.queue = append(g.queue, req)
	if g.active {
		g.mu.Unlock()
		// Wait even when ctx ends: the request may be in a transaction
		// being committed, and its outcome decides what the line does.
		res := <-req.done
		if !res.lead {
			return res.res
		}
		g.mu.Lock()
	}
	// This line leads: it is first in the queue, so in the group.
	g.active = true
	n := min(len(g.queue), maxGroup)
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()
	g.run(ctx, batch)
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.active = false
		g.mu.Unlock()
	} else {
		// The first line waiting commits the others, and this one goes on.
		next := g.queue[0]
		g.mu.Unlock()
		next.done <- groupResult[R]{lead: true}
	}
	return (<-req.done).res
}

// run commits a batch and tells each of its lines the result.
func (g *group[T, R]) run(ctx context.Context, batch []*groupRequest[T, R]) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), groupTimeout)
	defer cancel()
	items := make([]T, len(batch))
	for i, r := range batch {
		items[i] = r.item
	}
	results := g.commit(ctx, items)
	for i, r := range batch {
		r.done <- groupResult[R]{res: results[i]}
	}
}

// saveStepsGroup commits journal flushes together.
func saveStepsGroup(st *store.Store) func(ctx context.Context, ws []store.StepWrite) []error {
	return func(ctx context.Context, ws []store.StepWrite) []error {
		outcomes, err := st.SaveStepsMany(ctx, ws)
		if err != nil {
			outcomes = make([]error, len(ws))
			for i := range outcomes {
				outcomes[i] = err
			}
		}
		return outcomes
	}
}

// finishing is a line's end for the group that commits ends together.
type finishing struct {
	outcome store.LineOutcome
	rules   store.PauseRules
}

type finished struct {
	exec store.Execution
	err  error
}

// finishGroup commits lines' ends together. When the group fails, each
// line is finished on its own, so that one line's failure is its own.
func finishGroup(st *store.Store) func(ctx context.Context, fs []finishing) []finished {
	return func(ctx context.Context, fs []finishing) []finished {
		out := make([]finished, len(fs))
		outcomes := make([]store.LineOutcome, len(fs))
		for i, f := range fs {
			outcomes[i] = f.outcome
		}
		execs, err := st.FinishLines(ctx, outcomes, fs[0].rules)
		if err == nil {
			for i := range fs {
				out[i] = finished{exec: execs[i]}
			}
			return out
		}
		if len(fs) == 1 {
			return []finished{{err: err}}
		}
		for i, f := range fs {
			out[i].exec, out[i].err = st.FinishLine(ctx, f.outcome, f.rules)
		}
		return out
	}
}
