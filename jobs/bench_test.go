package jobs_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

type noopArgs struct{}

func (noopArgs) Kind() string { return "bench_noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// BenchmarkNoopJobThroughput measures how many no-op jobs per second River
// works through: b.N jobs are enqueued first, then timed from Start until the
// last one completes.
//
//	go test -run '^$' -bench NoopJobThroughput -benchtime 20000x ./jobs
func BenchmarkNoopJobThroughput(b *testing.B) {
	b.Run("defaults", func(b *testing.B) { benchmarkNoop(b, jobs.Config{Workers: 100}) })
	b.Run("cooldown=1ms", func(b *testing.B) { benchmarkNoop(b, jobs.Config{Workers: 100, FetchCooldown: time.Millisecond}) })
}

func benchmarkNoop(b *testing.B, cfg jobs.Config) {
	ctx := context.Background()
	pool := newPool(b)
	cfg.Register = func(w *river.Workers) { river.AddWorker(w, noopWorker{}) }
	client, err := jobs.New(pool, cfg)
	require.NoError(b, err)
	params := make([]river.InsertManyParams, b.N)
	for i := range params {
		params[i] = river.InsertManyParams{Args: noopArgs{}}
	}
	for start := 0; start < len(params); start += 10_000 {
		_, err := client.River().InsertManyFast(ctx, params[start:min(start+10_000, len(params))])
		require.NoError(b, err)
	}
	completed, cancel := client.River().SubscribeConfig(&river.SubscribeConfig{
		ChanSize: b.N,
		Kinds:    []river.EventKind{river.EventKindJobCompleted},
	})
	defer cancel()

	b.ResetTimer()
	start := time.Now()
	require.NoError(b, client.Start(ctx))
	for range b.N {
		<-completed
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
	require.NoError(b, client.Stop(ctx, 5*time.Second, 5*time.Second))
}

// BenchmarkValidationJobs stores 500 generated records and works their
// validation jobs, b.N rounds of them, beside the same records validated in
// this process on as many goroutines as cores: the ratio is what the queue,
// the reads and the writes of reports cost on top of validating.
//
//	go test -run '^$' -bench ValidationJobs -benchtime 3x ./jobs
func BenchmarkValidationJobs(b *testing.B) {
	ctx := context.Background()
	pool := newPool(b)
	st := store.New(pool)
	inserter, err := jobs.New(pool, jobs.Config{})
	require.NoError(b, err)
	const n = 500
	recs := storeGenerated(b, st, inserter, n, 0.1)
	// Nothing works the jobs the ingest queued: each round queues its own.
	_, err = pool.Exec(ctx, `DELETE FROM river_job`)
	require.NoError(b, err)
	ids, err := st.ListRecordIDs(ctx, store.RecordFilter{Limit: n})
	require.NoError(b, err)
	client, err := jobs.New(pool, jobs.Config{Workers: 2 * runtime.GOMAXPROCS(0),
		Register: jobs.Register(jobs.Deps{Store: st, AuditRetentionDays: 1})})
	require.NoError(b, err)
	require.NoError(b, client.Start(ctx))
	b.Cleanup(func() { require.NoError(b, client.Stop(ctx, 5*time.Second, 5*time.Second)) })
	defaults, err := validation.DefaultSource()
	require.NoError(b, err)

	var inJobs, inProcess time.Duration
	for b.Loop() {
		start := time.Now()
		require.NoError(b, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return client.EnqueueValidations(ctx, tx, ids) }))
		waitJobs(b, pool, "validate_records", 5*time.Minute)
		inJobs += time.Since(start)

		start = time.Now()
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(runtime.GOMAXPROCS(0))
		for _, rec := range recs {
			g.Go(func() error {
				_, err := defaults.V.Validate(gctx, rec.Doc)
				return err
			})
		}
		require.NoError(b, g.Wait())
		inProcess += time.Since(start)
	}
	b.ReportMetric(float64(n*b.N)/inJobs.Seconds(), "records/s")
	b.ReportMetric(inProcess.Seconds()/inJobs.Seconds(), "of-in-process")
}
