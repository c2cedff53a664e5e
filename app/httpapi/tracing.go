package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerScope is the instrumentation scope of the HTTP server's spans.
const tracerScope = "github.com/pff/pff/app/httpapi"

// traced says whether requests to route are traced: not the liveness
// probe and the metrics scrape, which come every few seconds and say
// nothing a trace would.
func traced(route string) bool {
	return route != livenessRoute && route != "/metrics"
}

// startRequestSpan starts the span of a request, a child of the caller's
// span when the request carries W3C trace context (traceparent), and puts
// it in the request's context, where the SQL, the jobs it queues and the
// logs find it. The span is named after the route template ("GET
// /api/v1/records/:id"), never the path, which may hold MSISDNs and ids.
//
//nolint:contextcheck // the span's context is the request's own (req.Context())
func startRequestSpan(tracer trace.Tracer, metrics *httpMetrics, c echo.Context) (*http.Request, trace.Span) {
	req := c.Request()
	route := metrics.routeOf(c)
	name := req.Method
	attrs := []attribute.KeyValue{attribute.String("http.request.method", req.Method)}
	if route != "unmatched" {
		name += " " + route
		attrs = append(attrs, attribute.String("http.route", route))
	}
	ctx := propagation.TraceContext{}.Extract(req.Context(), propagation.HeaderCarrier(req.Header))
	ctx, span := tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	req = req.WithContext(ctx)
	c.SetRequest(req)
	return req, span
}

// endRequestSpan records the status sent and ends the span; the access-log
// line gets the span's ids.
func endRequestSpan(span trace.Span, status int, entry *accessEntry) {
	span.SetAttributes(attribute.Int("http.response.status_code", status), attribute.String("pff.request_id", entry.requestID))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
	if sc := span.SpanContext(); sc.IsValid() {
		entry.traceID, entry.spanID = sc.TraceID().String(), sc.SpanID().String()
	}
}
