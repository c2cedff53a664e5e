package bss

import (
	"context"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerScope is the instrumentation scope of the BSS client's spans.
const tracerScope = "github.com/pff/pff/app/bss"

// startCall starts the span of one call: named after the operation (never
// the path, which holds MSISDNs), covering the wait for its turn, the
// attempts on the clusters and the failovers.
func (c *Client) startCall(ctx context.Context, req Request) (context.Context, trace.Span) {
	return c.tracer.Start(ctx, "bss "+req.Operation, trace.WithAttributes(
		attribute.String("pff.bss.system", req.System),
		attribute.String("pff.bss.operation", req.Operation),
		attribute.String("pff.bss.variant", req.Variant),
		attribute.Bool("pff.bss.write", req.IsWrite())))
}

// endCall records how the call ended.
func endCall(span trace.Span, res Result) {
	span.SetAttributes(attribute.String("pff.bss.outcome", string(res.Outcome)),
		attribute.Int("pff.bss.attempts", res.Attempts))
	if res.Status != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", res.Status))
	}
	if res.Err != nil {
		span.SetStatus(codes.Error, res.Err.Error())
	}
	span.End()
}

// traced wraps both clients' transports so that each HTTP attempt is a
// client span carrying the trace context to BSS (W3C traceparent).
func (t transports) traced(tracer trace.Tracer, system string) transports {
	wrap := func(c *http.Client) *http.Client {
		out := *c
		out.Transport = tracingTransport{base: c.Transport, tracer: tracer, system: system}
		return &out
	}
	return transports{read: wrap(t.read), write: wrap(t.write)}
}

// tracingTransport is an http.RoundTripper that makes a client span of
// each request, from sending it until the response's headers arrive.
type tracingTransport struct {
	base   http.RoundTripper
	tracer trace.Tracer
	system string
}

func (t tracingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", req.Method),
		attribute.String("server.address", req.URL.Hostname()),
		attribute.String("pff.bss.system", t.system),
	}
	if port := req.URL.Port(); port != "" {
		if n, err := strconv.Atoi(port); err == nil {
			attrs = append(attrs, attribute.Int("server.port", n))
		}
	}
	ctx, span := t.tracer.Start(req.Context(), req.Method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	defer span.End()
	// A RoundTripper must not change the caller's request: inject into a copy.
	out := req.Clone(ctx)
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(out.Header))
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 500 {
		span.SetStatus(codes.Error, resp.Status)
	}
	return resp, nil
}
