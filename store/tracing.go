package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// maxTracedSQL bounds the statement text a span carries: bulk inserts
// build long statements, and the text is for recognising the query.
const maxTracedSQL = 2048

// queryTracer makes a span of every statement, batch and COPY run on
// behalf of a traced request or job. Statements outside a trace (River's
// polling, the heartbeats, the pool's own) make none, so an idle process
// sends nothing. Spans carry the statement's text, never its arguments.
type queryTracer struct {
	tracer trace.Tracer
}

// newQueryTracer traces with provider's tracer, or returns nil (no tracer
// on the pool: no cost) when provider is nil.
func newQueryTracer(provider trace.TracerProvider) *queryTracer {
	if provider == nil {
		return nil
	}
	return &queryTracer{tracer: provider.Tracer("github.com/pff/pff/store")}
}

var dbSystem = attribute.String("db.system.name", "postgresql")

func (t *queryTracer) start(ctx context.Context, name, sql string) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	attrs := []attribute.KeyValue{dbSystem}
	if sql != "" {
		if len(sql) > maxTracedSQL {
			sql = sql[:maxTracedSQL]
		}
		attrs = append(attrs, attribute.String("db.query.text", sql))
	}
	ctx, _ = t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx
}

func (t *queryTracer) end(ctx context.Context, err error, rows int64, hasRows bool) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if hasRows {
		span.SetAttributes(attribute.Int64("db.response.returned_rows", rows))
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// TraceQueryStart implements pgx.QueryTracer.
func (t *queryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	return t.start(ctx, spanName(data.SQL), data.SQL)
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t *queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	t.end(ctx, data.Err, data.CommandTag.RowsAffected(), data.Err == nil)
}

// TraceBatchStart implements pgx.BatchTracer.
func (t *queryTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	ctx = t.start(ctx, "batch", "")
	if data.Batch != nil {
		trace.SpanFromContext(ctx).SetAttributes(attribute.Int("db.operation.batch.size", data.Batch.Len()))
	}
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer: a batch's statements are
// events of its span.
func (t *queryTracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	sql := data.SQL
	if len(sql) > maxTracedSQL {
		sql = sql[:maxTracedSQL]
	}
	attrs := []attribute.KeyValue{attribute.String("db.query.text", sql)}
	if data.Err != nil {
		attrs = append(attrs, attribute.String("error", data.Err.Error()))
	}
	span.AddEvent("query", trace.WithAttributes(attrs...))
}

// TraceBatchEnd implements pgx.BatchTracer.
func (t *queryTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	t.end(ctx, data.Err, 0, false)
}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (t *queryTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	ctx = t.start(ctx, "COPY "+data.TableName.Sanitize(), "")
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("db.collection.name", data.TableName.Sanitize()))
	return ctx
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (t *queryTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	t.end(ctx, data.Err, data.CommandTag.RowsAffected(), data.Err == nil)
}

// spanName names a statement's span by its operation: the first keyword
// (SELECT, INSERT, WITH, ...) after comments, never values.
func spanName(sql string) string {
	s := strings.TrimSpace(sql)
	for strings.HasPrefix(s, "--") || strings.HasPrefix(s, "/*") {
		if strings.HasPrefix(s, "--") {
			_, s, _ = strings.Cut(s, "\n")
		} else {
			_, s, _ = strings.Cut(s, "*/")
		}
		s = strings.TrimSpace(s)
	}
	end := strings.IndexFunc(s, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') })
	if end < 0 {
		end = len(s)
	}
	if end == 0 {
		return "SQL"
	}
	return strings.ToUpper(s[:end])
}
