package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// TestStatementsOfATracedRequestAreSpans runs statements and a batch inside a span and outside any: only the first are traced, with the
// statement's text and never its arguments.
func TestStatementsOfATracedRequestAreSpans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	spans := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	pool, err := store.Connect(ctx, store.PoolConfig{URL: storetest.NewDatabase(t), TracerProvider: provider})
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT $1::int", 41).Scan(&n), "outside a trace")
	require.Empty(t, spans.GetSpans(), "a statement outside a trace makes no span")

	traced, root := provider.Tracer("test").Start(ctx, "request")
	require.NoError(t, pool.QueryRow(traced, "SELECT $1::int + 1", 41).Scan(&n))
	require.Equal(t, 42, n)
	_, err = pool.Exec(traced, "SELECT no_such_column FROM (SELECT 1) s")
	require.Error(t, err)
	batch := &pgx.Batch{}
	batch.Queue("SELECT 1")
	batch.Queue("SELECT 2")
	require.NoError(t, pool.SendBatch(traced, batch).Close())
	_, err = pool.Exec(traced, "-- a comment first\n/* and another */ with q as (select 1) select * from q")
	require.NoError(t, err)
	root.End()

	byName := map[string][]tracetest.SpanStub{}
	for _, s := range spans.GetSpans() {
		byName[s.Name] = append(byName[s.Name], s)
	}
	require.Len(t, byName["SELECT"], 2)
	ok, failed := byName["SELECT"][0], byName["SELECT"][1]
	require.Equal(t, root.SpanContext().SpanID(), ok.Parent.SpanID())
	require.Equal(t, trace.SpanKindClient, ok.SpanKind)
	require.Contains(t, ok.Attributes, attribute.String("db.query.text", "SELECT $1::int + 1"))
	require.Contains(t, ok.Attributes, attribute.String("db.system.name", "postgresql"))
	for _, a := range ok.Attributes {
		require.NotContains(t, a.Value.String(), "41", "arguments are not recorded")
	}
	require.Equal(t, "Error", failed.Status.Code.String())
	require.Len(t, byName["batch"], 1)
	require.Contains(t, byName["batch"][0].Attributes, attribute.Int("db.operation.batch.size", 2))
	require.Len(t, byName["batch"][0].Events, 2, "each statement of a batch is an event")
	require.Len(t, byName["WITH"], 1, "a span is named by the statement's first keyword, after comments")
}
