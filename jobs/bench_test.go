package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/jobs"
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
