package jobs_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// fastHeartbeat is DefaultHeartbeat a hundred times faster.
var fastHeartbeat = jobs.HeartbeatConfig{Interval: 100 * time.Millisecond, StaleAfter: 600 * time.Millisecond, ReapEvery: 150 * time.Millisecond}

// orphanArgs is a short job that a worker process is killed in the middle of.
type orphanArgs struct{}

func (orphanArgs) Kind() string { return "test_orphan" }

// orphanWorker blocks until cancelled (in the process that is killed) or
// finishes at once (in the one that takes over), and says how its runs ended.
type orphanWorker struct {
	river.WorkerDefaults[orphanArgs]
	block bool
	mu    sync.Mutex
	ended []error
}

func (w *orphanWorker) Work(ctx context.Context, _ *river.Job[orphanArgs]) error {
	if !w.block {
		return nil
	}
	<-ctx.Done()
	w.mu.Lock()
	w.ended = append(w.ended, context.Cause(ctx))
	w.mu.Unlock()
	return ctx.Err()
}

func (w *orphanWorker) endings() []error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]error(nil), w.ended...)
}

// orphanProcessEnv makes the test binary a worker process (see
// TestOrphanWorkerProcess) on the database it names.
const orphanProcessEnv = "PFF_TEST_ORPHAN_WORKER_DB"

// TestOrphanWorkerProcess is not a test: run by
// TestJobsOfADeadWorkerAreRetriedSoon in a child process, it works
// test_orphan jobs, which never end, until it is killed.
func TestOrphanWorkerProcess(t *testing.T) {
	url := os.Getenv(orphanProcessEnv)
	if url == "" {
		t.Skip("runs only as the child of TestJobsOfADeadWorkerAreRetriedSoon")
	}
	ctx := context.Background()
	pool, err := store.Connect(ctx, store.PoolConfig{URL: url})
	require.NoError(t, err)
	client, err := jobs.New(pool, jobs.Config{Workers: 1, Heartbeat: fastHeartbeat, FetchCooldown: 10 * time.Millisecond,
		Register: func(w *river.Workers) { river.AddWorker(w, &orphanWorker{block: true}) }})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	select {} // until SIGKILL
}

// TestJobsOfADeadWorkerAreRetriedSoon kills a worker process in the middle
// of a job: another worker retries the job once its heartbeat is stale
// (StaleAfter plus at most ReapEvery), not after River's rescue delay.
func TestJobsOfADeadWorkerAreRetriedSoon(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	inserter, err := jobs.New(pool, jobs.Config{})
	require.NoError(t, err)
	res, err := inserter.River().Insert(ctx, orphanArgs{}, nil)
	require.NoError(t, err)

	child := exec.Command(os.Args[0], "-test.run=^TestOrphanWorkerProcess$", "-test.count=1")
	child.Env = append(os.Environ(), orphanProcessEnv+"="+pool.Config().ConnString())
	child.Stdout, child.Stderr = os.Stderr, os.Stderr
	require.NoError(t, child.Start())
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	require.Eventually(t, func() bool {
		job, err := inserter.River().JobGet(ctx, res.Job.ID)
		return err == nil && job.State == rivertype.JobStateRunning
	}, 30*time.Second, 10*time.Millisecond, "the child never ran the job")
	time.Sleep(3 * fastHeartbeat.Interval) // it has beaten for it
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	_ = child.Wait()
	killed := time.Now()

	taker, err := jobs.New(pool, jobs.Config{Workers: 1, Heartbeat: fastHeartbeat, FetchCooldown: 10 * time.Millisecond,
		Register: func(w *river.Workers) { river.AddWorker(w, &orphanWorker{}) }})
	require.NoError(t, err)
	require.NoError(t, taker.Start(ctx))
	t.Cleanup(func() { _ = taker.Stop(context.Background(), time.Second, time.Second) })
	var job *rivertype.JobRow
	require.Eventually(t, func() bool {
		job, err = taker.River().JobGet(ctx, res.Job.ID)
		return err == nil && job.State == rivertype.JobStateCompleted
	}, 20*time.Second, 10*time.Millisecond, "the orphaned job was never retried")
	took := time.Since(killed)
	require.Less(t, took, fastHeartbeat.StaleAfter+fastHeartbeat.ReapEvery+2*time.Second,
		"retried within the heartbeat's staleness, not River's rescue delay")
	require.Equal(t, 2, job.Attempt)
	require.Len(t, job.Errors, 1)
	require.Equal(t, store.StaleJobError, job.Errors[0].Error)
}

// TestLongJobsOfLiveWorkersAreNotReaped runs a job for many times the
// staleness while another process reaps: its heartbeats keep it its
// worker's.
func TestLongJobsOfLiveWorkersAreNotReaped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	worker := &sleepWorker{d: 3 * fastHeartbeat.StaleAfter}
	client, err := jobs.New(pool, jobs.Config{Workers: 1, Heartbeat: fastHeartbeat, FetchCooldown: 10 * time.Millisecond,
		Register: func(w *river.Workers) { river.AddWorker(w, worker) }})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { _ = client.Stop(context.Background(), time.Second, time.Second) })
	reaper, err := jobs.New(pool, jobs.Config{Workers: 1, Heartbeat: fastHeartbeat,
		Register: func(w *river.Workers) { river.AddWorker(w, worker) }})
	require.NoError(t, err)
	require.NoError(t, reaper.Start(ctx))
	t.Cleanup(func() { _ = reaper.Stop(context.Background(), time.Second, time.Second) })

	res, err := client.River().Insert(ctx, sleepArgs{}, nil)
	require.NoError(t, err)
	var job *rivertype.JobRow
	require.Eventually(t, func() bool {
		job, err = client.River().JobGet(ctx, res.Job.ID)
		return err == nil && job.State == rivertype.JobStateCompleted
	}, 30*time.Second, 20*time.Millisecond)
	require.Equal(t, 1, job.Attempt)
	require.Empty(t, job.Errors)
}

// TestAJobHandedOnIsCancelledWhereItStillRuns hands a running job back to
// the queue as if its worker had missed its heartbeats: the worker finds
// out at its next heartbeat and stops the job.
func TestAJobHandedOnIsCancelledWhereItStillRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	worker := &orphanWorker{block: true}
	slow := jobs.HeartbeatConfig{Interval: 50 * time.Millisecond, StaleAfter: time.Hour, ReapEvery: time.Hour}
	client, err := jobs.New(pool, jobs.Config{Workers: 1, Heartbeat: slow,
		Register: func(w *river.Workers) { river.AddWorker(w, worker) }})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { _ = client.Stop(context.Background(), time.Second, time.Second) })
	res, err := client.River().Insert(ctx, orphanArgs{}, &river.InsertOpts{MaxAttempts: 1})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		job, err := client.River().JobGet(ctx, res.Job.ID)
		return err == nil && job.State == rivertype.JobStateRunning
	}, 10*time.Second, 10*time.Millisecond)

	reaped, err := store.New(pool).ReapStaleJobs(ctx, 0, 10)
	require.NoError(t, err)
	require.Len(t, reaped, 1)
	require.Equal(t, "discarded", reaped[0].State, "out of attempts")
	require.Eventually(t, func() bool { return len(worker.endings()) == 1 }, 10*time.Second, 10*time.Millisecond)
	require.ErrorContains(t, worker.endings()[0], "handed to another worker")
}

func TestDefaultHeartbeatRetriesWithinTwoMinutes(t *testing.T) {
	t.Parallel()
	h := jobs.DefaultHeartbeat
	require.GreaterOrEqual(t, h.StaleAfter, 5*h.Interval, "a live worker misses several heartbeats before its jobs are taken")
	// River's producers poll for available jobs every second.
	require.Less(t, h.StaleAfter+h.ReapEvery+time.Second, 2*time.Minute)
}

// sleepArgs is a job that takes a while.
type sleepArgs struct{}

func (sleepArgs) Kind() string { return "test_sleep" }

type sleepWorker struct {
	river.WorkerDefaults[sleepArgs]
	d time.Duration
}

func (w *sleepWorker) Work(ctx context.Context, _ *river.Job[sleepArgs]) error {
	select {
	case <-time.After(w.d):
		return nil
	case <-ctx.Done():
		return errors.Join(ctx.Err(), context.Cause(ctx))
	}
}
