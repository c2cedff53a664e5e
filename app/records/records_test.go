package records_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/store"
)

func generate(tb testing.TB, n int) []gen.Record {
	tb.Helper()
	g, err := gen.New(gen.Config{N: n, Seed: 1})
	require.NoError(tb, err)
	var recs []gen.Record
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		recs = append(recs, rec)
	}
	return recs
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	rec := generate(t, 1)[0]
	got, err := records.Prepare("a.txt", rec.Doc, "")
	require.NoError(t, err)
	require.Equal(t, rec.CustomerID, got.CustomerID)
	require.Contains(t, got.MSISDNs, rec.MSISDN)
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, rec.Doc))
	require.Equal(t, compact.Bytes(), got.Document)
	require.Equal(t, sha256.Sum256(compact.Bytes()), got.ContentHash, "the hash is of the compact form")

	reindented, err := json.MarshalIndent(json.RawMessage(rec.Doc), "", "\t")
	require.NoError(t, err)
	again, err := records.Prepare("b.txt", reindented, "5511987654321")
	require.NoError(t, err)
	require.Equal(t, got.ContentHash, again.ContentHash, "whitespace is no change")
	require.Equal(t, append(got.MSISDNs, "5511987654321"), again.MSISDNs, "the file's number is kept")
	require.Equal(t, "5511987654321", again.FileMSISDN)

	for _, bad := range []string{`{"id":`, `[1,2]`, `{"status":[]}`, `"x"`} {
		_, err := records.Prepare("bad.json", []byte(bad), "")
		require.Error(t, err, bad)
	}
}

func TestPrepareFindsTheGraphsMSISDNs(t *testing.T) {
	t.Parallel()
	g, err := gen.New(gen.Config{N: 200, Seed: 5, FaultRate: 0.5})
	require.NoError(t, err)
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		graph, err := kg.Build(rec.Doc)
		require.NoError(t, err)
		prepared, err := records.Prepare("x", rec.Doc, "")
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
		require.NoError(t, w.Add(ctx, rec.FileName(), rec.Doc, ""))
	}
	require.NoError(t, w.Add(ctx, "broken.json", []byte(`{"id":`), ""))
	w.Reject("evil.zip/../x", "path traversal")
	require.NoError(t, w.Add(ctx, "again.json", recs[2].Doc, ""), "a customer repeated in one batch")
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
	require.Contains(t, res.Rejected[0].Reason, "not JSON")
	require.Equal(t, "evil.zip/../x", res.Rejected[1].Source)
	require.Equal(t, 5, w.Written())

	failing := records.NewWriter((&fakeStore{fail: errors.New("down")}).write, 1)
	require.ErrorContains(t, failing.Add(ctx, "a", recs[0].Doc, ""), "down")
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
		if _, err := records.Prepare("x", r.Doc, ""); err != nil {
			b.Fatal(err)
		}
	}
}
