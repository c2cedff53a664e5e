package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
)

func newRecord(customer, doc string, msisdns ...string) store.NewRecord {
	if msisdns == nil {
		msisdns = []string{}
	}
	return store.NewRecord{
		CustomerID: customer, Document: []byte(doc), ContentHash: sha256.Sum256([]byte(doc)),
		MSISDNs: msisdns, Source: customer + ".json",
	}
}

// enqueued collects the record ids a write asks to enqueue.
type enqueued struct{ ids []int64 }

func (e *enqueued) enqueue(_ context.Context, _ pgx.Tx, ids []int64) error {
	e.ids = append(e.ids, ids...)
	return nil
}

func TestWriteRecordsVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)

	var first enqueued
	res, err := s.WriteRecords(ctx, []store.NewRecord{
		newRecord("A", `{"id":"A","n":1}`, "5511900000001"),
		newRecord("B", `{"id":"B","n":1}`, "5511900000002", "5511900000003"),
	}, first.enqueue)
	require.NoError(t, err)
	require.Equal(t, store.WriteResult{Inserted: 2}, res)
	require.Len(t, first.ids, 2)

	var second enqueued
	res, err = s.WriteRecords(ctx, []store.NewRecord{
		newRecord("A", `{"id":"A","n":1}`, "5511900000001"),
		newRecord("B", `{"id":"B","n":2}`, "5511900000002"),
		newRecord("C", `{"id":"C"}`),
	}, second.enqueue)
	require.NoError(t, err)
	require.Equal(t, store.WriteResult{Inserted: 1, Updated: 1, Unchanged: 1}, res)
	require.Len(t, second.ids, 2, "only new versions are validated")

	current, err := s.ListRecords(ctx, store.RecordFilter{CustomerID: "B"})
	require.NoError(t, err)
	require.Len(t, current, 1)
	require.Equal(t, 2, current[0].Version)
	require.Equal(t, []string{"5511900000002"}, current[0].MSISDNs)
	require.Nil(t, current[0].Decision, "not validated yet")

	versions, err := s.RecordVersions(ctx, current[0].ID)
	require.NoError(t, err)
	require.Len(t, versions, 2, "the old version is kept")
	require.Equal(t, []int{2, 1}, []int{versions[0].Version, versions[1].Version})
	require.Equal(t, []bool{true, false}, []bool{versions[0].Current, versions[1].Current})

	old, err := s.RecordByID(ctx, versions[1].ID)
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"B","n":1}`, string(old.Document))
	require.Equal(t, fmt.Sprintf("%x", sha256.Sum256([]byte(`{"id":"B","n":1}`))), old.ContentHash)

	_, err = s.RecordByID(ctx, 1<<40)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.RecordVersions(ctx, 1<<40)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestListRecordsFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	var batch []store.NewRecord
	for i := range 5 {
		batch = append(batch, newRecord(fmt.Sprintf("C%d", i), fmt.Sprintf(`{"id":"C%d"}`, i), fmt.Sprintf("55119%08d", i), "5511999999999"))
	}
	var q enqueued
	_, err := s.WriteRecords(ctx, batch, q.enqueue)
	require.NoError(t, err)

	byMSISDN, err := s.ListRecords(ctx, store.RecordFilter{MSISDN: "5511900000003"})
	require.NoError(t, err)
	require.Len(t, byMSISDN, 1)
	require.Equal(t, "C3", byMSISDN[0].CustomerID)
	shared, err := s.ListRecords(ctx, store.RecordFilter{MSISDN: "5511999999999"})
	require.NoError(t, err)
	require.Len(t, shared, 5)

	require.NoError(t, s.SaveReports(ctx, []store.NewReport{
		{RecordID: q.ids[0], Decision: "REJECT", Score: 0.01, Violated: []string{"r1", "r2"}, Report: []byte(`{}`), Versions: []byte(`{}`)},
		{RecordID: q.ids[1], Decision: "ACCEPT", Score: 1, Violated: []string{}, Report: []byte(`{}`), Versions: []byte(`{}`)},
		{RecordID: q.ids[2], Decision: "REVIEW", Score: 0.5, Violated: []string{"r2"}, Report: []byte(`{}`), Versions: []byte(`{}`)},
	}))
	// A second validation replaces the first as the latest.
	require.NoError(t, s.SaveReports(ctx, []store.NewReport{
		{RecordID: q.ids[1], Decision: "REJECT", Score: 0.05, Violated: []string{"r2"}, Report: []byte(`{"second":true}`), Versions: []byte(`{}`)},
	}))
	latest, err := s.LatestReport(ctx, q.ids[1])
	require.NoError(t, err)
	require.JSONEq(t, `{"second":true}`, string(latest.Report))
	_, err = s.LatestReport(ctx, q.ids[4])
	require.ErrorIs(t, err, store.ErrNotFound)

	for _, tc := range []struct {
		name   string
		filter store.RecordFilter
		want   []string
	}{
		{"decision", store.RecordFilter{Decision: "REJECT"}, []string{"C0", "C1"}},
		{"rule", store.RecordFilter{Rule: "r2"}, []string{"C0", "C1", "C2"}},
		{"rule and decision", store.RecordFilter{Rule: "r2", Decision: "REVIEW"}, []string{"C2"}},
		{"customer", store.RecordFilter{CustomerID: "C4"}, []string{"C4"}},
		{"page", store.RecordFilter{AfterID: q.ids[1], Limit: 2}, []string{"C2", "C3"}},
		{"nothing", store.RecordFilter{Rule: "r9"}, nil},
	} {
		recs, err := s.ListRecords(ctx, tc.filter)
		require.NoError(t, err, tc.name)
		var got []string
		for _, r := range recs {
			got = append(got, r.CustomerID)
		}
		require.Equal(t, tc.want, got, tc.name)
		ids, err := s.ListRecordIDs(ctx, tc.filter)
		require.NoError(t, err, tc.name)
		require.Len(t, ids, len(tc.want), tc.name)
	}

	stats, err := s.RecordStats(ctx, 10)
	require.NoError(t, err)
	require.Equal(t, store.RecordStats{
		Records: 5, Unvalidated: 2,
		Decisions:    map[string]int64{"REJECT": 2, "REVIEW": 1},
		MostViolated: []store.RuleCount{{Rule: "r2", Records: 3}, {Rule: "r1", Records: 1}},
	}, stats)
}

func TestWriteRecordsIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	batch := []store.NewRecord{newRecord("A", `{"id":"A"}`), newRecord("B", `{"id":"B"}`)}

	failure := errors.New("queue unavailable")
	_, err := s.WriteRecords(ctx, batch, func(context.Context, pgx.Tx, []int64) error { return failure })
	require.ErrorIs(t, err, failure)
	recs, err := s.ListRecords(ctx, store.RecordFilter{})
	require.NoError(t, err)
	require.Empty(t, recs, "a failed enqueue leaves no record behind")

	cancelled, cancel := context.WithCancel(ctx)
	_, err = s.WriteRecords(cancelled, batch, func(ctx context.Context, tx pgx.Tx, _ []int64) error {
		cancel() // the client goes away in the middle of the batch
		_, err := tx.Exec(ctx, `SELECT 1`)
		return err
	})
	require.ErrorIs(t, err, context.Canceled)
	recs, err = s.ListRecords(ctx, store.RecordFilter{})
	require.NoError(t, err)
	require.Empty(t, recs, "a disconnect mid-batch leaves no record behind")

	var q enqueued
	res, err := s.WriteRecords(ctx, batch, q.enqueue)
	require.NoError(t, err)
	require.Equal(t, store.WriteResult{Inserted: 2}, res, "the retry writes everything")
}

func TestWriteRecordsConcurrentSameCustomer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	const writers = 8
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			var q enqueued
			_, err := s.WriteRecords(ctx, []store.NewRecord{newRecord("A", fmt.Sprintf(`{"id":"A","n":%d}`, i))}, q.enqueue)
			errs <- err
		}()
	}
	for range writers {
		require.NoError(t, <-errs)
	}
	recs, err := s.ListRecords(ctx, store.RecordFilter{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, writers, recs[0].Version, "each write became the next version")
}
