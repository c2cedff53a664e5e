package bss_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pff/pff/app/bss"
)

// TestACallIsASpanWithItsHTTPAttemptsUnderIt calls BSS inside a span: the
// call is a child span named by its operation, each HTTP attempt a client
// span under it, and BSS receives the attempt's trace context.
func TestACallIsASpanWithItsHTTPAttemptsUnderIt(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	var mu sync.Mutex
	var received []string
	f := newFixture(t, fixtureOptions{
		config: func(c *bss.Config) { c.TracerProvider = provider },
		system: func(sc *bss.SystemConfig) {
			target, err := url.Parse(sc.Clusters[0])
			require.NoError(t, err)
			proxy := httputil.NewSingleHostReverseProxy(target)
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				received = append(received, r.Header.Get("Traceparent"))
				mu.Unlock()
				proxy.ServeHTTP(w, r)
			}))
			t.Cleanup(front.Close)
			sc.Clusters = []string{front.URL}
		},
	})
	ctx, job := provider.Tracer("test").Start(t.Context(), "river.work/flow_line")
	res, err := f.client.Call(ctx, "line.get_customer_enquiry", map[string]any{"msisdn": singleMSISDN}, "")
	require.NoError(t, err)
	require.True(t, res.OK(), "%+v", res)
	job.End()

	got := spans.GetSpans()
	require.Len(t, got, 3)
	attempt, call := got[0], got[1]
	require.Equal(t, "bss line.get_customer_enquiry", call.Name)
	require.Equal(t, job.SpanContext().SpanID(), call.Parent.SpanID(), "the call is a child of the job's span")
	require.Contains(t, call.Attributes, attribute.String("pff.bss.outcome", "success"))
	require.Contains(t, call.Attributes, attribute.Int("pff.bss.attempts", 1))
	require.Equal(t, "GET", attempt.Name)
	require.Equal(t, trace.SpanKindClient, attempt.SpanKind)
	require.Equal(t, call.SpanContext.SpanID(), attempt.Parent.SpanID(), "the attempt is under the call")
	require.Contains(t, attempt.Attributes, attribute.Int("http.response.status_code", http.StatusOK))
	for _, a := range append(attempt.Attributes, call.Attributes...) {
		require.NotContains(t, a.Value.String(), singleMSISDN, "no span records the MSISDN")
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"00-" + attempt.SpanContext.TraceID().String() + "-" + attempt.SpanContext.SpanID().String() + "-01"}, received,
		"BSS receives the attempt's trace context")
}
