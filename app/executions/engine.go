package executions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/flows"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

// EngineConfig are the dependencies of an Engine. Zero values mean defaults.
type EngineConfig struct {
	Store *store.Store
	// Client calls BSS; its catalogue is the operations flows may call.
	Client *bss.Client
	// Validators judges records for validator.validate.
	Validators validation.ValidatorSource
	Logger     *slog.Logger
	// StateRecheck is how long a line trusts what it last read of its
	// execution's state (cancelled, paused) before reading it again at a
	// step boundary; default 200 ms, so a cancel takes effect well within 2 s.
	StateRecheck time.Duration
	// MinLinesForRatio is how many lines must be done before an execution's
	// failure ratio can pause it (default 10).
	MinLinesForRatio int
	// DefaultRetry is the retry of calls whose step names none (default: 3
	// attempts of transient failures, from 500 ms).
	DefaultRetry *flows.RetryPolicy
	// Random draws the jitter of retries in [0, 1); nil means math/rand.
	Random func() float64
	// Observe, when set, is told where each step's time went (and each
	// line's claim), for metrics and benchmarks. It is called from many
	// lines at once and must not block.
	Observe func(StepTiming)
}

// Engine runs lines of executions: the job workers call RunLine.
type Engine struct {
	cfg     EngineConfig
	catalog Catalog
	files   fileCache
	states  stateCache
	// journal and finishes commit lines' flushes and ends together.
	journal  group[store.StepWrite, error]
	finishes group[finishing, finished]
}

// NewEngine makes an engine.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if cfg.Store == nil || cfg.Client == nil {
		return nil, errors.New("executions: EngineConfig needs Store and Client")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StateRecheck == 0 {
		cfg.StateRecheck = 200 * time.Millisecond
	}
	if cfg.MinLinesForRatio == 0 {
		cfg.MinLinesForRatio = 10
	}
	if cfg.DefaultRetry == nil {
		cfg.DefaultRetry = &flows.RetryPolicy{Attempts: 3, Backoff: 500 * time.Millisecond, MaxBackoff: 5 * time.Second,
			Jitter: flows.DefaultJitter, On: []string{flows.CodeTransient, flows.CodeTimeout}}
	}
	if cfg.Random == nil {
		cfg.Random = randomFloat
	}
	e := &Engine{cfg: cfg, catalog: Catalog{BSS: cfg.Client.Catalogue()}}
	e.files.load = e.loadFile
	e.states.ttl = cfg.StateRecheck
	e.states.read = cfg.Store.ExecutionState
	e.journal.commit = saveStepsGroup(cfg.Store)
	e.finishes.commit = finishGroup(cfg.Store)
	return e, nil
}

// Catalog is what flows run by this engine may call.
func (e *Engine) Catalog() Catalog { return e.catalog }

// errCancelled and errPaused stop a run at a step boundary.
var (
	errCancelled = errors.New("executions: the execution was cancelled")
	errPaused    = errors.New("executions: the execution was paused")
)

// RunLine runs one line for job jobID: it takes the line, replays its
// journal, runs its flow from there and records how it ended. A line held
// by another job, or no longer queued, is left alone. The returned error is
// for River: the job is retried, and the line taken back by the same job.
func (e *Engine) RunLine(ctx context.Context, lineID, jobID int64) error {
	start := time.Now()
	line, exec, err := e.cfg.Store.ClaimLine(ctx, lineID, jobID)
	if e.cfg.Observe != nil {
		took := time.Since(start)
		e.cfg.Observe(StepTiming{Kind: "line", Method: "claim", Total: took, Store: took})
	}
	if errors.Is(err, store.ErrLineTaken) {
		return nil
	}
	if err != nil {
		return err
	}
	// A line stopped by a pause is handed back to the queue, unless the
	// execution was resumed (or cancelled) before that: then it runs on,
	// from its journal, here.
	for i := range maxReruns {
		err := e.runClaimed(ctx, exec, line, i == 0)
		if !errors.Is(err, errMoved) {
			return err
		}
		e.states.forget(exec.ID)
		if exec, err = e.cfg.Store.ExecutionByID(ctx, exec.ID); err != nil {
			return err
		}
	}
	return fmt.Errorf("executions: line %d: its execution kept changing state while it was being paused", lineID)
}

// maxReruns bounds how often a line runs on because its execution was
// resumed while the line was stopping for a pause.
const maxReruns = 10

// errMoved: the line could not be handed back for a pause because its
// execution is running (or cancelled) again.
var errMoved = errors.New("executions: the execution changed state while the line was being released")

// runClaimed runs a line this job holds, from its journal; a line just
// claimed says so in the execution's events, with its first entries.
func (e *Engine) runClaimed(ctx context.Context, exec store.Execution, line store.Line, claimed bool) error {
	run, err := e.newLineRun(ctx, exec, line)
	if err != nil {
		return err
	}
	if claimed {
		run.events = append(run.events, store.LineEvent(line, store.LineRunning, ""))
	}
	switch exec.State {
	case store.ExecCancelled:
		return run.finish(ctx, store.LineCancelled, "cancelled", "the execution was cancelled before the line ran", "")
	case store.ExecPaused, store.ExecAwaitingApproval:
		return run.release(ctx)
	}
	file, err := e.files.get(ctx, exec.FlowsID)
	if err != nil {
		return run.finish(ctx, store.LineFailed, "engine_error", err.Error(), "")
	}
	res, err := flows.Run(ctx, file, line.Flow, run.input(), run)
	switch {
	case errors.Is(err, errCancelled):
		return run.finish(ctx, store.LineCancelled, "cancelled", "the execution was cancelled", "")
	case errors.Is(err, errPaused):
		return run.release(ctx)
	case ctx.Err() != nil:
		// Shutting down or out of time: the journal so far is kept and the
		// job runs again, replaying it.
		if ferr := run.flush(context.WithoutCancel(ctx)); ferr != nil {
			return errors.Join(err, ferr)
		}
		return ctx.Err()
	case err != nil:
		return run.finish(ctx, store.LineFailed, "engine_error", err.Error(), "")
	}
	return run.end(ctx, res)
}

// end records a finished run's outcome.
func (r *lineRun) end(ctx context.Context, res flows.Result) error {
	switch res.Status {
	case flows.Succeeded, flows.Ended:
		if missing := r.unmadePlannedWrites(); len(missing) > 0 {
			return r.finish(ctx, store.LineNeedsReview, codeDiffersFromPlan,
				fmt.Sprintf("the plan had writes this run did not make: %v", missing), "")
		}
		return r.finish(ctx, store.LineSucceeded, "", res.Message, "")
	case flows.AwaitingApproval:
		return r.finish(ctx, store.LineWaitingApproval, "", res.Message, res.At.Key)
	}
	state, code, msg := store.LineFailed, "failed", res.Message
	if res.Err != nil {
		code, msg = res.Err.Code, res.Err.Message
		if code == codeNeedsReview || code == codeDiffersFromPlan {
			state = store.LineNeedsReview
		}
	}
	return r.finish(ctx, state, code, msg, res.At.Key)
}

// fileCache keeps parsed flow files by version: a version never changes.
type fileCache struct {
	mu    sync.Mutex
	files map[int64]*flows.File
	load  func(ctx context.Context, id int64) (*flows.File, error)
}

func (c *fileCache) get(ctx context.Context, id int64) (*flows.File, error) {
	c.mu.Lock()
	f, ok := c.files[id]
	c.mu.Unlock()
	if ok {
		return f, nil
	}
	f, err := c.load(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.files == nil || len(c.files) >= 64 {
		c.files = map[int64]*flows.File{}
	}
	c.files[id] = f
	return f, nil
}

func (e *Engine) loadFile(ctx context.Context, id int64) (*flows.File, error) {
	k, err := e.cfg.Store.KnowledgeByID(ctx, string(knowledge.KindFlows), id)
	if err != nil {
		return nil, fmt.Errorf("executions: flow file %d: %w", id, err)
	}
	f, diags := flows.Parse(fmt.Sprintf("%s-v%d.yaml", k.Name, k.Version), []byte(k.Content))
	if err := diags.Err(); err != nil {
		return nil, fmt.Errorf("executions: flow file %s v%d: %w", k.Name, k.Version, err)
	}
	return f, nil
}

// stateCache answers a line's question "is my execution still running?"
// from a reading at most ttl old.
type stateCache struct {
	ttl  time.Duration
	read func(ctx context.Context, id int64) (string, error)
	mu   sync.Mutex
	seen map[int64]stateReading
	// forgets counts forget calls: a reading begun before one may predate
	// the control that caused it, and is not kept.
	forgets uint64
}

type stateReading struct {
	state string
	at    time.Time
}

func (c *stateCache) state(ctx context.Context, id int64) (string, error) {
	c.mu.Lock()
	r, ok := c.seen[id]
	forgets := c.forgets
	c.mu.Unlock()
	if ok && time.Since(r.at) < c.ttl {
		return r.state, nil
	}
	state, err := c.read(ctx, id)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.forgets != forgets {
		return state, nil
	}
	if c.seen == nil || len(c.seen) > 1024 {
		c.seen = map[int64]stateReading{}
	}
	c.seen[id] = stateReading{state: state, at: time.Now()}
	return state, nil
}

// forget drops what the cache knows of an execution, after a control
// changed it in this process.
func (c *stateCache) forget(id int64) {
	c.mu.Lock()
	delete(c.seen, id)
	c.forgets++
	c.mu.Unlock()
}
