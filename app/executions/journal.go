package executions

import (
	"context"
	"sync"
	"time"

	"github.com/pff/pff/store"
)

// groupCommit saves the journal entries of the lines this engine runs in
// shared transactions. Every flush takes its execution's row lock (for the
// events' order) and holds it through the commit, so an execution's lines
// would otherwise wait for one another's commits one by one: with a
// shared commit, the lines that flush while one transaction commits go
// together in the next.
//
// There is no writer goroutine: the first line to flush when none is
// committing leads; lines that come while it commits queue, and when it is
// done it hands the lead to the first of them, which commits them all.
type groupCommit struct {
	save func(ctx context.Context, ws []store.StepWrite) ([]error, error)

	mu     sync.Mutex
	queue  []*flushRequest
	active bool
}

type flushRequest struct {
	w    store.StepWrite
	done chan flushResult
}

type flushResult struct {
	err  error
	lead bool // the request was not saved: its line commits the queue
}

// maxGroup bounds the lines that share a transaction.
const maxGroup = 256

// groupTimeout bounds a shared transaction: lines other than the leader's
// wait for it, so the leader's own context does not decide for them.
const groupTimeout = 30 * time.Second

// flush saves w, with whatever other lines flush at the same time.
func (g *groupCommit) flush(ctx context.Context, w store.StepWrite) error {
	req := &flushRequest{w: w, done: make(chan flushResult, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, req)
	if g.active {
		g.mu.Unlock()
		// Wait even when ctx ends: the request may be in a transaction
		// being committed, and its outcome decides what the line does.
		res := <-req.done
		if !res.lead {
			return res.err
		}
		g.mu.Lock()
	}
	// This line leads: it is first in the queue, so in the group.
	g.active = true
	n := min(len(g.queue), maxGroup)
	group := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()
	g.commit(ctx, group)
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.active = false
		g.mu.Unlock()
	} else {
		// The first line waiting commits the others, and this one goes on.
		next := g.queue[0]
		g.mu.Unlock()
		next.done <- flushResult{lead: true}
	}
	return (<-req.done).err
}

// commit saves a group and tells each of its lines the outcome.
func (g *groupCommit) commit(ctx context.Context, group []*flushRequest) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), groupTimeout)
	defer cancel()
	ws := make([]store.StepWrite, len(group))
	for i, r := range group {
		ws[i] = r.w
	}
	outcomes, err := g.save(ctx, ws)
	for i, r := range group {
		if err != nil {
			r.done <- flushResult{err: err}
			continue
		}
		r.done <- flushResult{err: outcomes[i]}
	}
}
