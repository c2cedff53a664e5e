package learn_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/pff/pff/app/learn"
)

// TestGraphBuildsAndTrainingPhasesAreSpans builds the graph and trains
// inside a span, as their jobs do: the build and its two halves, and each
// phase of the training, are spans under it, one after the other.
func TestGraphBuildsAndTrainingPhasesAreSpans(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	writeRecords(t, st, generated(t, 30, 0, 2))
	spans := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	ctx, job := provider.Tracer("test").Start(context.Background(), "river.work/train_model")
	_, _, err := learn.BuildKG(ctx, st, learn.CorpusConfig{})
	require.NoError(t, err)
	_, err = learn.Train(ctx, st, learn.TrainRequest{Hyperparameters: quick, CreatedBy: "test"})
	require.NoError(t, err)
	job.End()

	parents := map[string]string{}
	var phases []tracetest.SpanStub
	byID := map[string]string{}
	for _, s := range spans.GetSpans() {
		byID[s.SpanContext.SpanID().String()] = s.Name
	}
	for _, s := range spans.GetSpans() {
		parents[s.Name] = byID[s.Parent.SpanID().String()]
		if strings.HasPrefix(s.Name, "train.") {
			phases = append(phases, s)
		}
	}
	require.Equal(t, "river.work/train_model", parents["kg.build"])
	require.Equal(t, "kg.build", parents["kg.read_corpus"])
	require.Equal(t, "kg.build", parents["kg.write_triples"])
	var names []string
	for i, p := range phases {
		names = append(names, p.Name)
		require.Equal(t, job.SpanContext().SpanID(), p.Parent.SpanID(), "%s is under the job", p.Name)
		if i > 0 {
			require.False(t, p.StartTime.Before(phases[i-1].EndTime), "%s starts after %s ends", p.Name, phases[i-1].Name)
		}
	}
	require.Equal(t, []string{"train.load", "train.train", "train.evaluate", "train.calibrate", "train.save"}, names)
}
