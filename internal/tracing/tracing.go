// Package tracing holds what PFF's packages share to trace their work with
// OpenTelemetry: spans for phases that start from the span already in the
// context, and a log handler that stamps records with the active span.
//
// Tracing is off unless a process is given a tracer provider (app builds it
// from telemetry.otlp_endpoint). Nothing here keeps a global provider: a
// span started here takes its provider from the span in its context, so
// with tracing off (no span, or a no-op one) it is a no-op and costs a
// context lookup.
package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Scope is the instrumentation scope of PFF's own spans.
const Scope = "github.com/pff/pff"

// Start starts a span named name as a child of the span in ctx, with that
// span's provider. Without a span in ctx (tracing off, or work that no
// traced request or job started) it returns ctx and a no-op span.
func Start(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return ctx, parent
	}
	return parent.TracerProvider().Tracer(Scope).Start(ctx, name, trace.WithAttributes(attrs...))
}

// End ends span, marking it failed with err when err is not nil.
func End(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
