package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestLogsInsideASpanCarryItsIDs(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	logger := slog.New(LogHandler{Handler: slog.NewJSONHandler(&out, nil)}).With("component", "test")
	provider := sdktrace.NewTracerProvider()
	ctx, span := provider.Tracer("test").Start(context.Background(), "work")
	defer span.End()

	logger.InfoContext(ctx, "inside")
	var line map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &line))
	require.Equal(t, span.SpanContext().TraceID().String(), line["trace_id"])
	require.Equal(t, span.SpanContext().SpanID().String(), line["span_id"])
	require.Equal(t, "test", line["component"], "the handler's own attributes stay")

	out.Reset()
	logger.InfoContext(context.Background(), "outside")
	require.NotContains(t, out.String(), "trace_id", "a line outside a span says nothing of traces")
}

func TestStartFollowsTheSpanInTheContext(t *testing.T) {
	t.Parallel()
	ctx, span := Start(context.Background(), "orphan")
	require.False(t, span.SpanContext().IsValid(), "without a span in the context there is no span")
	require.Equal(t, context.Background(), ctx)

	spans := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	ctx, parent := provider.Tracer("test").Start(context.Background(), "job")
	_, child := Start(ctx, "phase")
	End(child, errors.New("disk full"))
	parent.End()

	got := spans.GetSpans()
	require.Len(t, got, 2)
	require.Equal(t, "phase", got[0].Name)
	require.Equal(t, parent.SpanContext().SpanID(), got[0].Parent.SpanID())
	require.Equal(t, codes.Error, got[0].Status.Code)
	require.Equal(t, "disk full", got[0].Status.Description)
}
