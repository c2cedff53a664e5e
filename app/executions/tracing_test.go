package executions_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/store"
)

// TestAFixFlowLinesBSSCallsAreChildrenOfItsJobSpan runs a plan of a fix
// flow with tracing on: the execution started in a span is one trace, each
// line's job is a span of it, and every BSS call of a line is a child of
// that line's job span, with its HTTP attempts under it.
func TestAFixFlowLinesBSSCallsAreChildrenOfItsJobSpan(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	b := newBench(t, benchConfig{tracer: provider})
	b.uploadFile("fix", "testdata/fix-flows.yaml")
	lines := addSynthLines(t, b.sim, 0, 3)

	ctx, root := provider.Tracer("test").Start(context.Background(), "start execution")
	e, err := b.svc.Start(ctx, executions.StartRequest{Flow: "Terminate_First_Active", Lines: synthInputs(lines), Mode: executions.ModePlan}, "user:alice")
	require.NoError(t, err)
	root.End()
	e = b.wait(e.ID, 30*time.Second)
	require.Equal(t, store.ExecPlanned, e.State)
	// The last job's span ends just after the execution settles.
	require.Eventually(t, func() bool { return len(workSpans(spans.GetSpans(), "river.work/flow_line")) >= 3 }, 10*time.Second, 20*time.Millisecond)

	all := spans.GetSpans()
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range all {
		byID[s.SpanContext.SpanID()] = s
	}
	lineJobs := workSpans(all, "river.work/flow_line")
	require.Len(t, lineJobs, 3, "one job span per line")
	for _, j := range lineJobs {
		require.Equal(t, root.SpanContext().TraceID(), j.SpanContext.TraceID(), "the execution is one trace")
	}
	calls, attempts := 0, 0
	for _, s := range all {
		parent, ok := byID[s.Parent.SpanID()]
		switch {
		case len(s.Name) > 4 && s.Name[:4] == "bss ":
			calls++
			require.True(t, ok, "%s has no recorded parent", s.Name)
			require.Equal(t, "river.work/flow_line", parent.Name, "a BSS call is a child of its line's job span")
			require.Equal(t, trace.SpanKindClient, kindOfChildren(all, s.SpanContext.SpanID()), "%s has its HTTP attempts under it", s.Name)
		case s.SpanKind == trace.SpanKindClient && ok && len(parent.Name) > 4 && parent.Name[:4] == "bss ":
			attempts++
			require.Equal(t, "GET", s.Name, "a plan only reads")
		}
	}
	t.Logf("%d line jobs, %d BSS calls, %d HTTP attempts, %d spans", len(lineJobs), calls, attempts, len(all))
	require.GreaterOrEqual(t, calls, 3, "every line called BSS")
	require.GreaterOrEqual(t, attempts, calls)
}

// workSpans are the spans named name.
func workSpans(spans tracetest.SpanStubs, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// kindOfChildren is the kind of the first child of parent, or internal.
func kindOfChildren(spans tracetest.SpanStubs, parent trace.SpanID) trace.SpanKind {
	for _, s := range spans {
		if s.Parent.SpanID() == parent {
			return s.SpanKind
		}
	}
	return trace.SpanKindInternal
}
