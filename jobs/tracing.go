package jobs

import (
	"context"
	"encoding/json"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracingMiddleware traces inserts and jobs with otelriver, which writes
// the inserting span's W3C trace context into each job's metadata and
// starts a span for each attempt (river.work/<kind>). otelriver only links
// that span to the inserter; continueTrace, run before it, makes the
// inserter its parent, so a request and the jobs it queues are one trace,
// across processes. Metrics stay with Prometheus (no meter). Without a
// provider there is no middleware.
func tracingMiddleware(provider trace.TracerProvider) []rivertype.Middleware {
	if provider == nil {
		return nil
	}
	otel := otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
		TracerProvider:              provider,
		MeterProvider:               metricnoop.NewMeterProvider(),
		EnableTracePropagation:      true,
		EnableWorkSpanJobKindSuffix: true,
	})
	return []rivertype.Middleware{river.WorkerMiddlewareFunc(continueTrace), otel}
}

// continueTrace puts the trace context otelriver stored in the job's
// metadata into ctx as the remote parent of the work that follows.
func continueTrace(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	if sc := insertedBy(ctx, job.Metadata); sc.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	return doInner(ctx)
}

// insertedBy reads the span context of the span that inserted the job.
func insertedBy(ctx context.Context, metadata []byte) trace.SpanContext {
	if len(metadata) == 0 {
		return trace.SpanContext{}
	}
	var carrier struct {
		TraceParent string `json:"traceparent"`
		TraceState  string `json:"tracestate"`
	}
	if json.Unmarshal(metadata, &carrier) != nil || carrier.TraceParent == "" {
		return trace.SpanContext{}
	}
	m := propagation.MapCarrier{"traceparent": carrier.TraceParent}
	if carrier.TraceState != "" {
		m["tracestate"] = carrier.TraceState
	}
	return trace.SpanContextFromContext(propagation.TraceContext{}.Extract(ctx, m))
}
