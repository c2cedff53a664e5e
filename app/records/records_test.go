package records_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/store"
)

func generate(tb testing.TB, n int) []gen.Record {
	tb.Helper()
	g, err := gen.New(gen.Config{N: n, Seed: 1, Compact: true})
	require.NoError(tb, err)
	var recs []gen.Record
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		recs = append(recs, rec)
	}
	return recs
}

func document(rec gen.Record) ingest.Document {
	return ingest.Document{Source: rec.FileName(), Data: rec.Doc}
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	rec := generate(t, 1)[0]
	got, err := records.Prepare(document(rec))
	require.NoError(t, err)
	require.Equal(t, rec.CustomerID, got.CustomerID)
	require.Equal(t, []string{rec.MSISDN}, got.MSISDNs[:1])
	require.Equal(t, rec.Doc, got.Document)
	require.Equal(t, sha256.Sum256(rec.Doc), got.ContentHash)
	require.Equal(t, rec.FileName(), got.Source)

	fromFile := document(rec)
	fromFile.FileMSISDN = "5511987654321"
	again, err := records.Prepare(fromFile)
	require.NoError(t, err)
	require.Equal(t, got.ContentHash, again.ContentHash)
	require.Equal(t, append(got.MSISDNs, "5511987654321"), again.MSISDNs, "the file's number is kept")
	require.Equal(t, "5511987654321", again.FileMSISDN)
	fromFile.FileMSISDN = rec.MSISDN
	again, err = records.Prepare(fromFile)
	require.NoError(t, err)
	require.Equal(t, got.MSISDNs, again.MSISDNs, "a number is listed once")

	for _, bad := range []string{``, `{"id":`, `[1,2]`, `{"status":[]}`, `{"id":""}`, `{"id":7}`, `"x"`} {
		_, err := records.Prepare(ingest.Document{Source: "bad.json", Data: []byte(bad)})
		require.Error(t, err, bad)
	}
}

func TestPrepareFindsTheGraphsMSISDNs(t *testing.T) {
	t.Parallel()
	g, err := gen.New(gen.Config{N: 200, Seed: 5, FaultRate: 0.5, Compact: true})
	require.NoError(t, err)
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		graph, err := kg.Build(rec.Doc)
		require.NoError(t, err)
		prepared, err := records.Prepare(document(rec))
		require.NoError(t, err)
		want := graph.MSISDNs()
		if want == nil {
			want = []string{}
		}
		require.Equal(t, want, prepared.MSISDNs, rec.CustomerID)
		require.Equal(t, graph.Root, prepared.CustomerID)
	}
}

// fakeStore keeps the batches a Writer writes.
type fakeStore struct {
	batches [][]string
	fail    error
}

func (f *fakeStore) write(_ context.Context, batch []store.NewRecord) (store.WriteResult, error) {
	if f.fail != nil {
		return store.WriteResult{}, f.fail
	}
	var ids []string
	for _, r := range batch {
		ids = append(ids, r.CustomerID)
	}
	f.batches = append(f.batches, ids)
	return store.WriteResult{Inserted: len(batch)}, nil
}

func TestWriterBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	recs := generate(t, 5)
	var fs fakeStore
	w := records.NewWriter(fs.write, 2)
	for _, rec := range recs[:3] {
		require.NoError(t, w.Add(ctx, document(rec)))
	}
	require.NoError(t, w.Add(ctx, ingest.Document{Source: "broken.json", Data: []byte(`{"id":`)}))
	w.Reject(ingest.Rejection{Source: "evil.zip/../x", Reason: "path traversal"})
	require.NoError(t, w.Add(ctx, ingest.Document{Source: "again.json", Data: recs[2].Doc}), "a customer repeated in one batch")
	require.NoError(t, w.Flush(ctx))

	ids := func(rs ...gen.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.CustomerID)
		}
		return out
	}
	require.Equal(t, [][]string{ids(recs[0], recs[1]), ids(recs[2]), ids(recs[2])}, fs.batches,
		"full batches are written; a repeated customer starts a new one, so its versions keep their order")
	res := w.Result()
	require.Equal(t, 6, res.Received)
	require.Equal(t, 4, res.Inserted)
	require.Len(t, res.Rejected, 2)
	require.Equal(t, "broken.json", res.Rejected[0].Source)
	require.Contains(t, res.Rejected[0].Reason, "not a record")
	require.Equal(t, "evil.zip/../x", res.Rejected[1].Source)
	require.Equal(t, 5, w.Written())

	failing := records.NewWriter((&fakeStore{fail: errors.New("down")}).write, 1)
	require.ErrorContains(t, failing.Add(ctx, document(recs[0])), "down")
}

func BenchmarkPrepare(b *testing.B) {
	recs := generate(b, 50)
	var size int64
	for _, r := range recs {
		size += int64(len(r.Doc))
	}
	b.SetBytes(size / int64(len(recs)))
	b.ResetTimer()
	for i := range b.N {
		r := recs[i%len(recs)]
		if _, err := records.Prepare(document(r)); err != nil {
			b.Fatal(err)
		}
	}
}
