package jobs_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// gatedValidations stands in for the validation worker: its jobs run until
// the gate opens.
type gatedValidations struct {
	river.WorkerDefaults[jobs.ValidateRecordsArgs]
	gate chan struct{}
}

func (w *gatedValidations) Work(ctx context.Context, _ *river.Job[jobs.ValidateRecordsArgs]) error {
	select {
	case <-w.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type revalidation struct {
	Phase     string `json:"phase"`
	Records   int    `json:"records"`
	Jobs      int    `json:"jobs"`
	Completed int    `json:"completed"`
	Failed    int    `json:"failed"`
	Running   int    `json:"running"`
	Waiting   int    `json:"waiting"`
}

// TestARevalidationCompletesWhenItsValidationsHave runs a re-validation
// while its validation jobs cannot finish: it reports their progress and
// stays open until they have all completed. Between its looks it holds no
// worker: two of the three run its validations, the third looks.
func TestARevalidationCompletesWhenItsValidationsHave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	st := store.New(pool)
	g, err := gen.New(gen.Config{N: 60, Seed: 7, Compact: true})
	require.NoError(t, err)
	var batch []store.NewRecord
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		prepared, err := records.Prepare(ingest.Document{Source: rec.FileName(), Data: rec.Doc})
		require.NoError(t, err)
		batch = append(batch, prepared)
	}
	_, err = st.WriteRecords(ctx, batch, nil)
	require.NoError(t, err)

	validations := &gatedValidations{gate: make(chan struct{})}
	client, err := jobs.New(pool, jobs.Config{Workers: 3, FetchCooldown: 10 * time.Millisecond, Register: func(w *river.Workers) {
		river.AddWorker(w, &jobs.RevalidateWorker{Store: st})
		river.AddWorker(w, validations)
	}})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { _ = client.Stop(context.Background(), time.Second, time.Second) })
	res, err := client.River().Insert(ctx, jobs.RevalidateArgs{}, nil)
	require.NoError(t, err)

	progress := func() (*rivertype.JobRow, revalidation) {
		job, err := client.River().JobGet(ctx, res.Job.ID)
		require.NoError(t, err)
		var out revalidation
		if len(job.Output()) > 0 {
			require.NoError(t, json.Unmarshal(job.Output(), &out))
		}
		return job, out
	}
	require.Eventually(t, func() bool {
		_, out := progress()
		return out.Phase == "validating" && out.Running > 0
	}, 20*time.Second, 10*time.Millisecond, "the re-validation reports its running validations")
	deadline := time.Now().Add(3 * time.Second) // three looks at its validations
	for time.Now().Before(deadline) {
		job, out := progress()
		require.NotEqual(t, rivertype.JobStateCompleted, job.State, "completed while its validations still run")
		require.Equal(t, revalidation{Phase: "validating", Records: 60, Jobs: 2, Running: out.Running, Waiting: out.Waiting}, out)
		require.Equal(t, 2, out.Running+out.Waiting)
		time.Sleep(50 * time.Millisecond)
	}

	close(validations.gate)
	var job *rivertype.JobRow
	var out revalidation
	require.Eventually(t, func() bool {
		job, out = progress()
		return job.State == rivertype.JobStateCompleted
	}, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, revalidation{Phase: "done", Records: 60, Jobs: 2, Completed: 2}, out)
	require.Empty(t, job.Errors)
	children, err := client.River().JobList(ctx, river.NewJobListParams().Kinds("validate_records").First(10))
	require.NoError(t, err)
	require.Len(t, children.Jobs, 2)
	for _, child := range children.Jobs {
		require.NotNil(t, child.FinalizedAt)
		require.False(t, child.FinalizedAt.After(*job.FinalizedAt), "the re-validation ends after its validations")
	}
}
