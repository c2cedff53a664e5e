package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pff/pff/jobs"
)

type tracedArgs struct{}

func (tracedArgs) Kind() string { return "test_traced" }

// tracedWorker reports the span its job runs in.
type tracedWorker struct {
	river.WorkerDefaults[tracedArgs]
	ran chan trace.SpanContext
}

func (w *tracedWorker) Work(ctx context.Context, _ *river.Job[tracedArgs]) error {
	w.ran <- trace.SpanContextFromContext(ctx)
	return nil
}

// TestAJobIsAChildOfTheSpanThatInsertedIt inserts a job inside a span from
// an insert-only client, as the API does, and works it with another
// client, as a worker process does: the job's span is in the inserter's
// trace, a child of the insert.
func TestAJobIsAChildOfTheSpanThatInsertedIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	spans := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	api, err := jobs.New(pool, jobs.Config{TracerProvider: provider})
	require.NoError(t, err)
	worker := &tracedWorker{ran: make(chan trace.SpanContext, 1)}
	work, err := jobs.New(pool, jobs.Config{Workers: 1, FetchCooldown: 10 * time.Millisecond, TracerProvider: provider,
		Register: func(w *river.Workers) { river.AddWorker(w, worker) }})
	require.NoError(t, err)

	reqCtx, request := provider.Tracer("test").Start(ctx, "POST /api/v1/records")
	_, err = api.River().Insert(reqCtx, tracedArgs{}, nil)
	require.NoError(t, err)
	request.End()

	require.NoError(t, work.Start(ctx))
	t.Cleanup(func() { _ = work.Stop(context.Background(), 5*time.Second, 5*time.Second) })
	var inJob trace.SpanContext
	select {
	case inJob = <-worker.ran:
	case <-time.After(20 * time.Second):
		t.Fatal("the job never ran")
	}
	require.Equal(t, request.SpanContext().TraceID(), inJob.TraceID(), "the job's work is in the request's trace")

	require.Eventually(t, func() bool {
		for _, s := range spans.GetSpans() {
			if s.Name == "river.work/test_traced" {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans.GetSpans() {
		byName[s.Name] = s
	}
	insert, job := byName["river.insert_many"], byName["river.work/test_traced"]
	require.Equal(t, request.SpanContext().SpanID(), insert.Parent.SpanID(), "the insert is the request's")
	require.Equal(t, insert.SpanContext.SpanID(), job.Parent.SpanID(), "the job is a child of its insert")
	require.Equal(t, job.SpanContext.SpanID(), inJob.SpanID(), "the worker runs inside the job's span")
	require.Equal(t, trace.SpanKindConsumer, job.SpanKind)
}

func TestAJobInsertedOutsideATraceStartsItsOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	provider := sdktrace.NewTracerProvider()
	worker := &tracedWorker{ran: make(chan trace.SpanContext, 1)}
	work, err := jobs.New(pool, jobs.Config{Workers: 1, FetchCooldown: 10 * time.Millisecond, TracerProvider: provider,
		Register: func(w *river.Workers) { river.AddWorker(w, worker) }})
	require.NoError(t, err)
	// Inserted by a client without tracing: no trace context in the job.
	plain, err := jobs.New(pool, jobs.Config{})
	require.NoError(t, err)
	_, err = plain.River().Insert(ctx, tracedArgs{}, nil)
	require.NoError(t, err)
	require.NoError(t, work.Start(ctx))
	t.Cleanup(func() { _ = work.Stop(context.Background(), 5*time.Second, 5*time.Second) })
	select {
	case sc := <-worker.ran:
		require.True(t, sc.IsValid(), "the job is traced all the same, as a trace of its own")
	case <-time.After(20 * time.Second):
		t.Fatal("the job never ran")
	}
}
