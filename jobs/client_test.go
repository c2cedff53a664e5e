package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// blockingArgs is a job that runs until it is told to finish or cancelled.
type blockingArgs struct{}

func (blockingArgs) Kind() string { return "test_blocking" }

type blockingWorker struct {
	river.WorkerDefaults[blockingArgs]
	started chan struct{}
	finish  chan struct{}
}

func (w *blockingWorker) Work(ctx context.Context, _ *river.Job[blockingArgs]) error {
	close(w.started)
	select {
	case <-w.finish:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := store.Connect(context.Background(), store.PoolConfig{URL: storetest.NewDatabase(t)})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func startBlocking(t *testing.T, pool *pgxpool.Pool) (*jobs.Client, *blockingWorker, int64) {
	t.Helper()
	ctx := context.Background()
	worker := &blockingWorker{started: make(chan struct{}), finish: make(chan struct{})}
	client, err := jobs.New(pool, jobs.Config{
		Workers:  2,
		Register: func(w *river.Workers) { river.AddWorker(w, worker) },
	})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	res, err := client.River().Insert(ctx, blockingArgs{}, nil)
	require.NoError(t, err)
	select {
	case <-worker.started:
	case <-time.After(10 * time.Second):
		t.Fatal("job never started")
	}
	return client, worker, res.Job.ID
}

func TestStopCancelsAJobThatOutlivesTheSoftTimeoutAndRequeuesIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	client, _, id := startBlocking(t, pool)

	require.NoError(t, client.Stop(ctx, 100*time.Millisecond, 5*time.Second))

	job, err := client.River().JobGet(ctx, id)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateAvailable, job.State, "an interrupted job goes back to the queue")
	require.Zero(t, job.Attempt, "the interruption does not use up an attempt")
	require.Empty(t, job.Errors)
}

func TestStopLetsARunningJobFinishWithinTheSoftTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	client, worker, id := startBlocking(t, pool)

	stopped := make(chan error, 1)
	go func() { stopped <- client.Stop(ctx, 10*time.Second, time.Second) }()
	time.Sleep(50 * time.Millisecond)
	close(worker.finish)
	require.NoError(t, <-stopped)

	job, err := client.River().JobGet(ctx, id)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateCompleted, job.State)
}

func TestInsertOnlyClientEnqueuesWithoutWorking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	client, err := jobs.New(pool, jobs.Config{})
	require.NoError(t, err)
	require.Zero(t, client.Workers())
	require.NoError(t, client.Start(ctx))
	res, err := client.River().Insert(ctx, blockingArgs{}, nil)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateAvailable, res.Job.State)
	require.NoError(t, client.Stop(ctx, time.Second, time.Second))
}

func TestAClientWithWorkersNeedsThemRegistered(t *testing.T) {
	t.Parallel()
	_, err := jobs.New(newPool(t), jobs.Config{Workers: 1})
	require.ErrorContains(t, err, "Register")
}

func TestPruneAuditLogDeletesOnlyExpiredEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	_, err := pool.Exec(ctx, `INSERT INTO audit_log (occurred_at, action, status) VALUES
		(now() - interval '400 days', 'old', 'succeeded'), (now() - interval '10 days', 'recent', 'succeeded')`)
	require.NoError(t, err)

	deps := jobs.Deps{Store: store.New(pool), AuditRetentionDays: 365}
	client, err := jobs.New(pool, jobs.Config{Workers: 1, Register: jobs.Register(deps)})
	require.NoError(t, err)
	events, cancel := client.River().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	require.NoError(t, client.Start(ctx))
	defer client.Stop(ctx, time.Second, time.Second) //nolint:errcheck // test teardown

	_, err = client.River().Insert(ctx, jobs.PruneAuditLogArgs{OlderThanDays: 365}, nil)
	require.NoError(t, err)
	select {
	case ev := <-events:
		require.Equal(t, river.EventKindJobCompleted, ev.Kind)
		require.JSONEq(t, `{"deleted":1,"login_attempts_deleted":0}`, string(ev.Job.Output()))
	case <-time.After(10 * time.Second):
		t.Fatal("prune job did not finish")
	}
	var actions []string
	rows, err := pool.Query(ctx, "SELECT action FROM audit_log")
	require.NoError(t, err)
	for rows.Next() {
		var a string
		require.NoError(t, rows.Scan(&a))
		actions = append(actions, a)
	}
	require.Equal(t, []string{"recent"}, actions)
}
