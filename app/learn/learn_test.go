package learn_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	pool, err := store.Connect(context.Background(), store.PoolConfig{URL: storetest.NewDatabase(t)})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return store.New(pool)
}

// generated returns n generated records with the given share of faults.
func generated(t testing.TB, n int, faultRate float64, seed uint64) []gen.Record {
	t.Helper()
	g, err := gen.New(gen.Config{N: n, Seed: seed, FaultRate: faultRate, Compact: true})
	require.NoError(t, err)
	var out []gen.Record
	for {
		r, ok := g.Next()
		if !ok {
			return out
		}
		out = append(out, r)
	}
}

// writeRecords stores the records as current versions.
func writeRecords(t *testing.T, st *store.Store, recs []gen.Record) {
	t.Helper()
	batch := make([]store.NewRecord, len(recs))
	for i, r := range recs {
		nr, err := records.Prepare(ingest.Document{Data: r.Doc, Source: r.FileName()})
		require.NoError(t, err)
		batch[i] = nr
	}
	_, err := st.WriteRecords(context.Background(), batch, nil)
	require.NoError(t, err)
}
