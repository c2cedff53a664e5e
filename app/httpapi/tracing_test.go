package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestARequestSpanIsNamedByItsRouteNeverItsPath serves requests through
// the envelope with a tracer: each is a server span named by method and
// route template, continuing a caller's trace, with its status; the
// access-log line names the trace; probes are not traced.
func TestARequestSpanIsNamedByItsRouteNeverItsPath(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	lines := &lineWriter{}
	e := newTracedEcho(sinkLogger(lines, true, slog.LevelDebug), newHTTPMetrics(prometheus.NewRegistry()), provider.Tracer(tracerScope))
	var inHandler trace.SpanContext
	e.GET(Prefix+"/records/:id", func(c echo.Context) error {
		inHandler = trace.SpanContextFromContext(c.Request().Context())
		return c.NoContent(http.StatusNoContent)
	})
	e.GET(livenessRoute, func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	e.GET("/boom", func(echo.Context) error { return echo.NewHTTPError(http.StatusInternalServerError) })

	const caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	req := httptest.NewRequest(http.MethodGet, Prefix+"/records/31612345678", nil)
	req.Header.Set("Traceparent", caller)
	e.ServeHTTP(httptest.NewRecorder(), req)

	got := spans.GetSpans()
	require.Len(t, got, 1)
	span := got[0]
	require.Equal(t, "GET "+Prefix+"/records/:id", span.Name)
	require.Equal(t, trace.SpanKindServer, span.SpanKind)
	require.Equal(t, "0af7651916cd43dd8448eb211c80319c", span.SpanContext.TraceID().String(), "the caller's trace goes on")
	require.Equal(t, "b7ad6b7169203331", span.Parent.SpanID().String())
	require.Contains(t, span.Attributes, attribute.String("http.route", Prefix+"/records/:id"))
	require.Contains(t, span.Attributes, attribute.Int("http.response.status_code", http.StatusNoContent))
	for _, a := range span.Attributes {
		require.NotContains(t, a.Value.String(), "31612345678", "the raw path is never recorded")
	}
	require.Equal(t, span.SpanContext.SpanID(), inHandler.SpanID(), "the handler runs in the request's span")

	var line map[string]any
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(lines.buf), &line))
	require.Equal(t, span.SpanContext.TraceID().String(), line["trace_id"], "the access-log line names its trace")
	require.Equal(t, span.SpanContext.SpanID().String(), line["span_id"])

	spans.Reset()
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/boom", nil))
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/nowhere/31612345678", nil))
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, livenessRoute, nil))
	got = spans.GetSpans()
	require.Len(t, got, 2, "the liveness probe is not traced")
	require.Equal(t, "GET /boom", got[0].Name)
	require.Equal(t, codes.Error, got[0].Status.Code, "a 5xx is an error")
	require.Equal(t, "GET", got[1].Name, "an unmatched request is named by its method alone")
}

// BenchmarkTracedEnvelope is BenchmarkAccessLog with tracing on: a span
// per request, sampled, batched to an exporter that drops them.
//
//	go test -run '^$' -bench 'AccessLog|TracedEnvelope' ./app/httpapi
func BenchmarkTracedEnvelope(b *testing.B) {
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	for _, r := range routeTable(b) {
		b.Run(strings.TrimPrefix(r.Method+r.Path, "/"), func(b *testing.B) {
			n := max(b.N, 1000)
			cpu, allocs := tracedEnvelopeCost(b, r, n, provider.Tracer(tracerScope))
			b.ReportMetric(float64(cpu.Nanoseconds()), "envelope-cpu-ns/req")
			b.ReportMetric(allocs, "envelope-allocs/req")
			b.ReportMetric(0, "ns/op")
		})
	}
}
