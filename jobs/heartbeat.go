package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/pff/pff/store"
)

// A worker process that dies (kill -9, a lost node) leaves its jobs
// `running`. River's own rescuer retries such a job only after the longest
// timeout any job may have, hours for a training, because it cannot tell a
// dead worker from a slow job. Heartbeats can: every worker process writes,
// every Interval, one heartbeat per job it runs (job_heartbeats), and every
// worker process looks, every ReapEvery, for running jobs whose heartbeat
// is older than StaleAfter, and hands them back to the queue (in SQL, as
// River's rescuer does). A training then resumes from its checkpoint and a
// validation runs again, within a minute or two of the death, whatever the
// jobs' timeouts. A worker whose job was handed on while it still ran (it
// could not reach the database for StaleAfter) finds out at its next
// heartbeat and cancels it.

// HeartbeatConfig times heartbeats; zero values mean the defaults.
type HeartbeatConfig struct {
	// Interval is the time between two heartbeats of a process's jobs
	// (default 10 s).
	Interval time.Duration
	// StaleAfter is how long a running job may go without a heartbeat
	// before it is taken for orphaned (default 1 minute). It must be several
	// Intervals.
	StaleAfter time.Duration
	// ReapEvery is the time between two looks for orphaned jobs (default
	// 15 s).
	ReapEvery time.Duration
}

// DefaultHeartbeat: a job of a dead worker is back in the queue 60 to 75 s
// after its last heartbeat.
var DefaultHeartbeat = HeartbeatConfig{Interval: 10 * time.Second, StaleAfter: time.Minute, ReapEvery: 15 * time.Second}

func (h HeartbeatConfig) withDefaults() HeartbeatConfig {
	if h.Interval <= 0 {
		h.Interval = DefaultHeartbeat.Interval
	}
	if h.StaleAfter <= 0 {
		h.StaleAfter = DefaultHeartbeat.StaleAfter
	}
	if h.ReapEvery <= 0 {
		h.ReapEvery = DefaultHeartbeat.ReapEvery
	}
	return h
}

// errLeaseLost is why a job is cancelled when another worker has it now.
var errLeaseLost = errors.New("jobs: the job was handed to another worker after missed heartbeats")

// reapBatch bounds the jobs one look hands back.
const reapBatch = 1000

// leases keeps the heartbeats of the jobs a process runs and reaps the
// jobs of dead workers.
type leases struct {
	store  *store.Store
	cfg    HeartbeatConfig
	logger *slog.Logger

	mu   sync.Mutex
	held map[int64]lease
	// lastFailure is when the database last failed this process. A process
	// that was cut off does not reap until StaleAfter after it is back, so
	// that workers cut off with it (the whole database was down) have beaten
	// again by then.
	lastFailure time.Time

	stop context.CancelFunc
	done chan struct{}
}

type lease struct {
	attempt int
	cancel  context.CancelCauseFunc
}

func newLeases(st *store.Store, cfg HeartbeatConfig, logger *slog.Logger) *leases {
	return &leases{store: st, cfg: cfg.withDefaults(), logger: logger, held: map[int64]lease{}}
}

// hold is River worker middleware: the job is beaten for while it runs,
// and cancelled when another worker has taken it over.
func (l *leases) hold(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	l.mu.Lock()
	l.held[job.ID] = lease{attempt: job.Attempt, cancel: cancel}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.held, job.ID)
		l.mu.Unlock()
	}()
	return doInner(ctx)
}

// start beats and reaps until stopped.
func (l *leases) start() {
	ctx, cancel := context.WithCancel(context.Background())
	l.stop, l.done = cancel, make(chan struct{})
	go func() {
		defer close(l.done)
		beat, reap := time.NewTicker(l.cfg.Interval), time.NewTicker(l.cfg.ReapEvery)
		defer beat.Stop()
		defer reap.Stop()
		l.reap(ctx) // the jobs of a worker that died before this one started
		for {
			select {
			case <-ctx.Done():
				return
			case <-beat.C:
				l.beat(ctx)
			case <-reap.C:
				l.reap(ctx)
			}
		}
	}()
}

// halt stops beating and reaping; the jobs still held are no longer beaten
// for, so River must have stopped them first.
func (l *leases) halt() {
	if l.stop != nil {
		l.stop()
		<-l.done
	}
}

func (l *leases) beat(ctx context.Context) {
	l.mu.Lock()
	held := make([]store.JobLease, 0, len(l.held))
	for id, h := range l.held {
		held = append(held, store.JobLease{JobID: id, Attempt: h.attempt})
	}
	l.mu.Unlock()
	if len(held) == 0 {
		return
	}
	alive, err := l.store.BeatJobs(ctx, held)
	if err != nil {
		l.failed(ctx, "beat", err)
		return
	}
	stillRunning := make(map[int64]bool, len(alive))
	for _, id := range alive {
		stillRunning[id] = true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range held {
		if lease, ok := l.held[h.JobID]; ok && !stillRunning[h.JobID] && lease.attempt == h.Attempt {
			l.logger.Warn("job taken over by another worker; cancelling it here", "job_id", h.JobID, "attempt", h.Attempt)
			lease.cancel(errLeaseLost)
		}
	}
}

func (l *leases) reap(ctx context.Context) {
	l.mu.Lock()
	recovering := !l.lastFailure.IsZero() && time.Since(l.lastFailure) < l.cfg.StaleAfter
	l.mu.Unlock()
	if recovering {
		return
	}
	reaped, err := l.store.ReapStaleJobs(ctx, l.cfg.StaleAfter, reapBatch)
	if err != nil {
		l.failed(ctx, "reap", err)
		return
	}
	for _, j := range reaped {
		l.logger.Warn("job of a dead worker handed back to the queue", "job_id", j.ID, "kind", j.Kind,
			"attempt", j.Attempt, "state", j.State)
	}
}

func (l *leases) failed(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	l.mu.Lock()
	l.lastFailure = time.Now()
	l.mu.Unlock()
	l.logger.Warn("job heartbeats: "+what+" failed", "error", store.Describe(err))
}
