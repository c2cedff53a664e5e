package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// storeGenerated writes n generated records, a fraction with faults, in
// batches of 100 with their validations enqueued, and returns the records.
func storeGenerated(t testing.TB, st *store.Store, client *jobs.Client, n int, faultRate float64) []gen.Record {
	t.Helper()
	ctx := context.Background()
	g, err := gen.New(gen.Config{N: n, Seed: 42, FaultRate: faultRate, Compact: true})
	require.NoError(t, err)
	var recs []gen.Record
	w := records.NewWriter(func(ctx context.Context, batch []store.NewRecord) (store.WriteResult, error) {
		return st.WriteRecords(ctx, batch, client.EnqueueValidations)
	}, 100)
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		recs = append(recs, rec)
		require.NoError(t, w.Add(ctx, ingest.Document{Source: rec.FileName(), Data: rec.Doc}))
	}
	require.NoError(t, w.Flush(ctx))
	require.Equal(t, n, w.Result().Inserted)
	return recs
}

func countJobs(t testing.TB, pool *pgxpool.Pool, kind, state string) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = $1 AND ($2 = '' OR state::text = $2)`, kind, state).Scan(&n))
	return n
}

// waitJobs waits until no job of kind is left to work.
func waitJobs(t testing.TB, pool *pgxpool.Pool, kind string, timeout time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		var pending int
		require.NoError(t, pool.QueryRow(context.Background(),
			`SELECT count(*) FROM river_job WHERE kind = $1 AND state NOT IN ('completed', 'discarded', 'cancelled')`, kind).Scan(&pending))
		return pending == 0
	}, timeout, 20*time.Millisecond)
	require.Zero(t, countJobs(t, pool, kind, "discarded"))
}

func TestValidationsAreEnqueuedInTheWritesTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	st := store.New(pool)
	client, err := jobs.New(pool, jobs.Config{})
	require.NoError(t, err)
	g, err := gen.New(gen.Config{N: 120, Seed: 1, Compact: true})
	require.NoError(t, err)
	var batch []store.NewRecord
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		prepared, err := records.Prepare(ingest.Document{Source: rec.FileName(), Data: rec.Doc})
		require.NoError(t, err)
		batch = append(batch, prepared)
	}

	crash := errors.New("crash after enqueuing")
	_, err = st.WriteRecords(ctx, batch, func(ctx context.Context, tx pgx.Tx, ids []int64) error {
		require.NoError(t, client.EnqueueValidations(ctx, tx, ids))
		return crash
	})
	require.ErrorIs(t, err, crash)
	require.Zero(t, countJobs(t, pool, "validate_records", ""), "the jobs went with the records")

	res, err := st.WriteRecords(ctx, batch, client.EnqueueValidations)
	require.NoError(t, err)
	require.Equal(t, store.WriteResult{Inserted: 120}, res)
	require.Equal(t, 3, countJobs(t, pool, "validate_records", "available"), "120 records in jobs of 50")

	res, err = st.WriteRecords(ctx, batch, client.EnqueueValidations)
	require.NoError(t, err)
	require.Equal(t, store.WriteResult{Unchanged: 120}, res)
	require.Equal(t, 3, countJobs(t, pool, "validate_records", ""), "nothing new, nothing to validate")
}

func TestValidateAndRevalidate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t)
	st := store.New(pool)
	client, err := jobs.New(pool, jobs.Config{Workers: 4, Register: jobs.Register(jobs.Deps{Store: st, AuditRetentionDays: 1})})
	require.NoError(t, err)
	recs := storeGenerated(t, st, client, 60, 0.5)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { require.NoError(t, client.Stop(ctx, 5*time.Second, 5*time.Second)) })
	waitJobs(t, pool, "validate_records", 60*time.Second)

	for _, rec := range recs {
		stored, err := st.ListRecords(ctx, store.RecordFilter{CustomerID: rec.CustomerID})
		require.NoError(t, err)
		require.Len(t, stored, 1)
		require.NotNil(t, stored[0].Decision, rec.CustomerID)
		if len(rec.Faults) > 0 {
			require.NotEqual(t, "ACCEPT", *stored[0].Decision, "%s has %s", rec.CustomerID, rec.Faults[0].Kind)
		}
		report, err := st.LatestReport(ctx, stored[0].ID)
		require.NoError(t, err)
		var body struct {
			Record string `json:"record"`
		}
		require.NoError(t, json.Unmarshal(report.Report, &body))
		require.Equal(t, rec.CustomerID, body.Record)
	}

	rejected, err := st.ListRecordIDs(ctx, store.RecordFilter{Decision: "REJECT"})
	require.NoError(t, err)
	require.NotEmpty(t, rejected)
	inserted, err := client.River().Insert(ctx, jobs.RevalidateArgs{Decision: "REJECT"}, nil)
	require.NoError(t, err)
	waitJobs(t, pool, "revalidate_records", 30*time.Second)
	waitJobs(t, pool, "validate_records", 60*time.Second)
	job, err := client.River().JobGet(ctx, inserted.Job.ID)
	require.NoError(t, err)
	require.Equal(t, "completed", string(job.State))
	var out struct {
		Phase                    string
		Records, Jobs, Completed int
	}
	require.NoError(t, json.Unmarshal(job.Output(), &out))
	require.Equal(t, "done", out.Phase)
	require.Equal(t, len(rejected), out.Records)
	require.Equal(t, (len(rejected)+49)/50, out.Jobs)
	require.Equal(t, out.Jobs, out.Completed)

	var reports int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM validation_reports`).Scan(&reports))
	require.Equal(t, len(recs)+len(rejected), reports, "each rejected record has a second report")
}
