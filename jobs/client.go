// Package jobs is PFF's background work on River: the client, its workers and
// the way they start and stop. Jobs live in PostgreSQL, so any number of
// `pff serve` and `pff worker` processes share one queue.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/trace"

	"github.com/pff/pff/store"
)

// Config configures a Client. Zero values mean defaults.
type Config struct {
	// Workers is how many jobs run at once. 0 makes an insert-only client that
	// enqueues jobs but never works them (`pff serve --workers 0`).
	Workers int
	// Logger receives River's logs; nil discards them.
	Logger *slog.Logger
	// Register adds the workers this process runs. It is required when
	// Workers > 0. Tests use it to register their own workers.
	Register func(*river.Workers)
	// Queues are the queues worked, by name, with their workers; nil means
	// the default queue and the flows queue, each with Workers.
	Queues map[string]int
	// PeriodicJobs are scheduled by whichever worker process is River's leader.
	PeriodicJobs []*river.PeriodicJob
	// FetchCooldown is the least time between two fetches of new jobs; 0 means
	// River's 100 ms. With many short jobs it caps throughput at about
	// Workers per cooldown, so lower it for floods of tiny jobs.
	FetchCooldown time.Duration
	// JobTimeout bounds jobs whose worker sets no timeout; 0 means River's
	// 1 minute.
	JobTimeout time.Duration
	// RescueStuckJobsAfter is how long a job may run before River's own
	// rescuer takes its worker for dead and retries it; 0 means River's 1
	// hour. It must exceed JobTimeout and the timeouts workers set (a
	// training's). Heartbeats find dead workers sooner; this is the backstop.
	RescueStuckJobsAfter time.Duration
	// Heartbeat times the heartbeats that hand the jobs of a dead worker
	// back to the queue (heartbeat.go); zero values mean DefaultHeartbeat.
	Heartbeat HeartbeatConfig
	// TracerProvider, when set, traces inserts and jobs (tracing.go); nil
	// means no tracing middleware at all.
	TracerProvider trace.TracerProvider
}

// Client is a River client that knows how to shut down without losing work.
type Client struct {
	river   *river.Client[pgx.Tx]
	workers int
	// leases beat for the running jobs and reap those of dead workers; nil
	// for an insert-only client.
	leases *leases
	// hardStopping is set just before running jobs are cancelled on shutdown,
	// so the interrupted jobs are handed back to the queue instead of being
	// counted as failed attempts.
	hardStopping atomic.Bool
}

// New makes a client on pool. It does not start working jobs: call Start.
func New(pool *pgxpool.Pool, cfg Config) (*Client, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{workers: cfg.Workers}
	riverConfig := &river.Config{Logger: logger, FetchCooldown: cfg.FetchCooldown, RescueStuckJobsAfter: cfg.RescueStuckJobsAfter,
		JobTimeout: cfg.JobTimeout}
	// Tracing comes first, so the job's span covers the rest.
	tracing := tracingMiddleware(cfg.TracerProvider)
	riverConfig.Middleware = tracing
	if cfg.Workers > 0 {
		if cfg.Register == nil {
			return nil, errors.New("jobs: a client with workers needs Config.Register")
		}
		workers := river.NewWorkers()
		cfg.Register(workers)
		riverConfig.Workers = workers
		queues := cfg.Queues
		if queues == nil {
			queues = map[string]int{river.QueueDefault: cfg.Workers, QueueFlows: cfg.Workers}
		}
		riverConfig.Queues = map[string]river.QueueConfig{}
		for name, n := range queues {
			riverConfig.Queues[name] = river.QueueConfig{MaxWorkers: n}
		}
		riverConfig.PeriodicJobs = cfg.PeriodicJobs
		c.leases = newLeases(store.New(pool), cfg.Heartbeat, logger)
		riverConfig.Middleware = append(tracing,
			river.WorkerMiddlewareFunc(c.leases.hold),
			river.WorkerMiddlewareFunc(c.requeueOnHardStop),
		)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), riverConfig)
	if err != nil {
		return nil, fmt.Errorf("jobs: new river client: %w", err)
	}
	c.river = client
	return c, nil
}

// River is the underlying client, for inserting jobs.
func (c *Client) River() *river.Client[pgx.Tx] { return c.river }

// Workers is how many jobs the client runs at once; 0 for an insert-only client.
func (c *Client) Workers() int { return c.workers }

// Start begins working jobs. An insert-only client has nothing to start.
func (c *Client) Start(ctx context.Context) error {
	if c.workers == 0 {
		return nil
	}
	if err := c.river.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	c.leases.start() //nolint:contextcheck // the leases live until Stop, not until Start's context ends
	return nil
}

// Stop lets running jobs finish for up to softTimeout, then cancels them; a
// cancelled job goes back to `available` for another worker (or the next
// start) to pick up. It waits at most a further hardTimeout for cancelled jobs
// to return.
func (c *Client) Stop(ctx context.Context, softTimeout, hardTimeout time.Duration) error {
	if c.workers == 0 {
		return nil
	}
	// Jobs are beaten for until they have stopped.
	defer c.leases.halt()
	softCtx, cancel := context.WithTimeout(ctx, softTimeout)
	err := c.river.Stop(softCtx)
	cancel()
	if err == nil {
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	c.hardStopping.Store(true)
	hardCtx, cancel := context.WithTimeout(ctx, hardTimeout)
	defer cancel()
	if err := c.river.StopAndCancel(hardCtx); err != nil {
		return fmt.Errorf("jobs: stop and cancel running jobs: %w", err)
	}
	return nil
}

// requeueOnHardStop turns the error of a job interrupted by shutdown into an
// immediate snooze: River then makes it available again without using up
// one of its attempts.
func (c *Client) requeueOnHardStop(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	err := doInner(ctx)
	if err != nil && ctx.Err() != nil && c.hardStopping.Load() {
		return river.JobSnooze(0)
	}
	return err
}
