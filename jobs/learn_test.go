package jobs_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// corpusPool returns a database holding the knowledge graph of n clean
// generated records.
func corpusPool(t *testing.T, n int) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool := newPool(t)
	st := store.New(pool)
	g, err := gen.New(gen.Config{N: n, Seed: 5, Compact: true})
	require.NoError(t, err)
	var batch []store.NewRecord
	for r, ok := g.Next(); ok; r, ok = g.Next() {
		nr, err := records.Prepare(ingest.Document{Data: r.Doc})
		require.NoError(t, err)
		batch = append(batch, nr)
	}
	_, err = st.WriteRecords(ctx, batch, nil)
	require.NoError(t, err)
	_, _, err = learn.BuildKG(ctx, st, learn.CorpusConfig{})
	require.NoError(t, err)
	return pool
}

func TestTrainingJobsAreUniquePerCorpus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := corpusPool(t, 10)
	client, err := jobs.New(pool, jobs.Config{})
	require.NoError(t, err)
	args := jobs.TrainModelArgs{Fingerprint: "f1", Hyperparameters: learn.Hyperparameters{Epochs: 3}}
	first, err := client.River().Insert(ctx, args, nil)
	require.NoError(t, err)
	args.CreatedBy = "someone else"
	again, err := client.River().Insert(ctx, args, nil)
	require.NoError(t, err)
	require.True(t, again.UniqueSkippedAsDuplicate, "the same training asked for by another is one job")
	require.Equal(t, first.Job.ID, again.Job.ID)
	args.Fingerprint = "f2"
	other, err := client.River().Insert(ctx, args, nil)
	require.NoError(t, err)
	require.False(t, other.UniqueSkippedAsDuplicate, "another corpus trains anew")
}

// workerProcessEnv makes the test binary a training worker (see
// TestTrainingWorkerProcess) on the database it names.
const workerProcessEnv = "PFF_TEST_TRAINING_WORKER_DB"

// TestTrainingWorkerProcess is not a test: run by
// TestKilledTrainingResumesFromItsCheckpoint in a child process, it works
// training jobs until it is killed.
func TestTrainingWorkerProcess(t *testing.T) {
	url := os.Getenv(workerProcessEnv)
	if url == "" {
		t.Skip("runs only as the child of TestKilledTrainingResumesFromItsCheckpoint")
	}
	ctx := context.Background()
	pool, err := store.Connect(ctx, store.PoolConfig{URL: url})
	require.NoError(t, err)
	client, err := jobs.New(pool, jobs.Config{Workers: 1, Heartbeat: fastHeartbeat, FetchCooldown: 10 * time.Millisecond,
		Register: jobs.Register(jobs.Deps{Store: store.New(pool)})})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	select {} // until SIGKILL
}

// TestKilledTrainingResumesFromItsCheckpoint kills a worker process in the
// middle of a training: another worker resumes the training from its last
// checkpoint as soon as the dead worker's heartbeat is stale, however long
// learn.train_timeout allows one attempt to run (2 hours here).
func TestKilledTrainingResumesFromItsCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := corpusPool(t, 5)
	st := store.New(pool)

	// Ten epochs between checkpoints; enough epochs that the child is
	// killed long before the end.
	hp := learn.Hyperparameters{Dim: 16, Epochs: 60, Negatives: 2, BatchSize: 512, EvalEvery: -1, Seed: 1}
	inserter, err := jobs.New(pool, jobs.Config{})
	require.NoError(t, err)
	res, err := inserter.River().Insert(ctx, jobs.TrainModelArgs{Fingerprint: "corpus", Hyperparameters: hp}, nil)
	require.NoError(t, err)
	jobID := res.Job.ID

	child := exec.Command(os.Args[0], "-test.run=^TestTrainingWorkerProcess$", "-test.count=1")
	child.Env = append(os.Environ(), workerProcessEnv+"="+pool.Config().ConnString())
	child.Stdout, child.Stderr = os.Stderr, os.Stderr
	require.NoError(t, child.Start())
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })

	var model store.Model
	require.Eventually(t, func() bool {
		model, err = st.ModelByJob(ctx, jobID)
		if err != nil {
			return false
		}
		epoch, err := st.CheckpointEpoch(ctx, model.ID)
		return err == nil && epoch >= 10
	}, 60*time.Second, 5*time.Millisecond, "the child never wrote a checkpoint")
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	_ = child.Wait()
	killed := time.Now()

	job, err := inserter.River().JobGet(ctx, jobID)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateRunning, job.State, "a killed worker leaves its job running")
	_, err = st.ActiveModel(ctx)
	require.ErrorIs(t, err, store.ErrNotFound, "no half-trained model is active")

	// A new worker, with the production default for train_timeout.
	rescuer, err := jobs.New(pool, jobs.Config{Workers: 1, Heartbeat: fastHeartbeat, FetchCooldown: 10 * time.Millisecond,
		Register: jobs.Register(jobs.Deps{Store: st})})
	require.NoError(t, err)
	require.NoError(t, rescuer.Start(ctx))
	t.Cleanup(func() { _ = rescuer.Stop(context.Background(), 5*time.Second, 5*time.Second) })
	require.Eventually(t, func() bool {
		job, err = rescuer.River().JobGet(ctx, jobID)
		return err == nil && job.Attempt == 2
	}, 30*time.Second, 10*time.Millisecond, "the orphaned training was never resumed")
	require.Less(t, time.Since(killed), fastHeartbeat.StaleAfter+fastHeartbeat.ReapEvery+2*time.Second,
		"resumed once the heartbeat was stale, not after train_timeout")
	require.Eventually(t, func() bool {
		job, err = rescuer.River().JobGet(ctx, jobID)
		return err == nil && job.State == rivertype.JobStateCompleted
	}, 3*time.Minute, 20*time.Millisecond, "the resumed training never completed")
	require.Len(t, job.Errors, 1, "the death is recorded as a failed attempt")
	require.Equal(t, store.StaleJobError, job.Errors[0].Error)

	model, err = st.ModelByJob(ctx, jobID)
	require.NoError(t, err)
	require.Equal(t, store.ModelReady, model.State)
	var metrics learn.TrainMetrics
	require.NoError(t, json.Unmarshal(model.Metrics, &metrics))
	require.GreaterOrEqual(t, metrics.ResumedFromEpoch, 10, "training resumed from the checkpoint")
	require.Equal(t, 60, metrics.Epochs)
	_, err = st.CheckpointEpoch(ctx, model.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "a stored model keeps no checkpoint")
}

func TestCancelledTrainingFailsItsModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := corpusPool(t, 10)
	st := store.New(pool)
	client, err := jobs.New(pool, jobs.Config{Workers: 1, FetchCooldown: 10 * time.Millisecond,
		Register: jobs.Register(jobs.Deps{Store: st})})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { _ = client.Stop(context.Background(), 5*time.Second, 5*time.Second) })

	hp := learn.Hyperparameters{Dim: 8, Epochs: 100_000, EvalEvery: -1}
	res, err := client.River().Insert(ctx, jobs.TrainModelArgs{Fingerprint: "corpus", Hyperparameters: hp}, nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		m, err := st.ModelByJob(ctx, res.Job.ID)
		return err == nil && len(m.Progress) > 2 // training has reported an epoch
	}, 30*time.Second, 20*time.Millisecond)

	// The model's progress and the job's output are written one after the
	// other; wait for the second.
	var progress learn.TrainProgress
	require.Eventually(t, func() bool {
		running, err := client.River().JobGet(ctx, res.Job.ID)
		require.NoError(t, err)
		require.Equal(t, rivertype.JobStateRunning, running.State)
		return len(running.Output()) > 0 && json.Unmarshal(running.Output(), &progress) == nil && progress.Epoch > 0
	}, 30*time.Second, 20*time.Millisecond, "a running training shows its progress as the job's output")
	require.Equal(t, "training", progress.Phase)

	_, err = client.River().JobCancel(ctx, res.Job.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		job, err := client.River().JobGet(ctx, res.Job.ID)
		return err == nil && job.State == rivertype.JobStateCancelled
	}, 30*time.Second, 20*time.Millisecond)
	m, err := st.ModelByJob(ctx, res.Job.ID)
	require.NoError(t, err)
	require.Equal(t, store.ModelFailed, m.State)
	require.Equal(t, "cancelled", m.Error)
}
