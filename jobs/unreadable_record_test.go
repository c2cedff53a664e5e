package jobs_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// A stored record that validation cannot read (here a number beyond a
// float64, stored before ingest refused them) must still get a report that
// says why: it was left unvalidated for good, its job "completed".
func TestAStoredRecordThatCannotBeValidatedGetsAReport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := store.Connect(ctx, store.PoolConfig{URL: storetest.NewDatabase(t)})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st := store.New(pool)

	var ids []int64
	var batch []store.NewRecord
	for customer, doc := range map[string]string{
		"GOOD": `{"id":"GOOD","status":[{"status":"active"}]}`,
		"HUGE": `{"id":"HUGE","n":1e400}`,
	} {
		batch = append(batch, store.NewRecord{CustomerID: customer, Document: []byte(doc), ContentHash: sha256.Sum256([]byte(doc)), MSISDNs: []string{}})
	}
	_, err = st.WriteRecords(ctx, batch, func(_ context.Context, _ pgx.Tx, written []int64) error {
		ids = written
		return nil
	})
	require.NoError(t, err)

	workers := river.NewWorkers()
	river.AddWorker(workers, &jobs.ValidateRecordsWorker{Store: st})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Workers: workers, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
		FetchCooldown: 10 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond,
	})
	require.NoError(t, err)
	done, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	_, err = client.Insert(ctx, jobs.ValidateRecordsArgs{RecordIDs: ids}, nil)
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { _ = client.Stop(ctx) })
	select {
	case ev := <-done:
		require.Equal(t, river.EventKindJobCompleted, ev.Kind)
	case <-time.After(30 * time.Second):
		t.Fatal("the validation job did not finish")
	}

	stats, err := st.RecordStats(ctx, 5)
	require.NoError(t, err)
	require.Zero(t, stats.Unvalidated, "no record is left without a report")
	huge, err := st.ListRecords(ctx, store.RecordFilter{CustomerID: "HUGE"})
	require.NoError(t, err)
	report, err := st.LatestReport(ctx, huge[0].ID)
	require.NoError(t, err)
	require.Equal(t, string(validation.Reject), report.Decision)
	var r validation.Report
	require.NoError(t, json.Unmarshal(report.Report, &r))
	require.Equal(t, "HUGE", r.Record)
	require.Contains(t, r.Error, "is out of range of a 64-bit float")
	// As stored: jsonb writes {"n": 1000…, "id": "HUGE"}.
	require.Equal(t, "REJECT: the record could not be validated: validation: line 1, column 7: "+
		"number 10000000000000000000000000000000… (401 characters) is out of range of a 64-bit float.", r.Explanation)
}
