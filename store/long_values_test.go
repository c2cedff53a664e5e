package store_test

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// longValue returns n characters that do not compress, so PostgreSQL cannot
// squeeze them under an index's limit: hex digits, or four-byte runes.
func longValue(seed uint64, n int, wide bool) string {
	rng := rand.New(rand.NewPCG(seed, 7))
	if wide {
		var b strings.Builder
		for range n {
			b.WriteRune(rune(0x1F600 + rng.IntN(64))) // emoji, 4 bytes each
		}
		return b.String()
	}
	raw := make([]byte, (n+1)/2)
	for i := range raw {
		raw[i] = byte(rng.Uint32())
	}
	return hex.EncodeToString(raw)[:n]
}

// Values from records go into index keys: none may be too long for one.
func TestLongValuesReachNoIndexKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)

	values := map[string]string{
		"12,000 hex digits":      longValue(1, 12_000, false),
		"10,000 four-byte runes": longValue(2, 10_000, true),
		"200 characters":         longValue(3, 200, false), // exactly the prefix
		"short":                  "5511900000001",
	}
	// Two long values that share their first 200 characters must stay apart.
	twin := values["12,000 hex digits"][:11_999] + "!"
	values["12,000 with the same prefix"] = twin

	for name, v := range values {
		t.Run("records "+name, func(t *testing.T) {
			doc := `{"id":"x","v":1}`
			res, err := s.WriteRecords(ctx, []store.NewRecord{newRecord(v, doc, v, "5511")}, nil)
			require.NoError(t, err)
			require.Equal(t, store.WriteResult{Inserted: 1}, res)
			res, err = s.WriteRecords(ctx, []store.NewRecord{newRecord(v, doc, v)}, nil)
			require.NoError(t, err)
			require.Equal(t, store.WriteResult{Unchanged: 1}, res, "the current version is found by its long id")
			res, err = s.WriteRecords(ctx, []store.NewRecord{newRecord(v, `{"id":"x","v":2}`, v)}, nil)
			require.NoError(t, err)
			require.Equal(t, store.WriteResult{Updated: 1}, res)

			byCustomer, err := s.ListRecords(ctx, store.RecordFilter{CustomerID: v})
			require.NoError(t, err)
			require.Len(t, byCustomer, 1)
			require.Equal(t, v, byCustomer[0].CustomerID)
			require.Equal(t, 2, byCustomer[0].Version)
			byMSISDN, err := s.ListRecords(ctx, store.RecordFilter{MSISDN: v})
			require.NoError(t, err)
			require.Len(t, byMSISDN, 1)
			require.Equal(t, []string{v}, byMSISDN[0].MSISDNs)
			versions, err := s.RecordVersions(ctx, byCustomer[0].ID)
			require.NoError(t, err)
			require.Len(t, versions, 2)
		})
	}

	// The graph: subjects, predicates and objects of any length.
	var triples []store.KGTriple
	for _, v := range values {
		triples = append(triples,
			store.KGTriple{Subject: v, Predicate: "externalId", Object: v, Class: "value"},
			store.KGTriple{Subject: "c", Predicate: v, Object: "active", Class: "category"},
			store.KGTriple{Subject: "c", Predicate: "status", Object: v, Class: "category"})
	}
	i := 0
	b, err := s.ReplaceKG(ctx, func() store.Corpus { return store.Corpus{Fingerprint: "f"} }, 1000,
		func() (store.KGTriple, bool, error) {
			if i == len(triples) {
				return store.KGTriple{}, false, nil
			}
			i++
			return triples[i-1], true, nil
		})
	require.NoError(t, err)
	require.EqualValues(t, len(triples), b.Triples)
	for _, v := range values {
		objects, err := s.KnownObjects(ctx, v, "externalId", true)
		require.NoError(t, err)
		require.Equal(t, map[string]bool{v: true}, objects)
		subjects, err := s.KnownObjects(ctx, v, "status", false)
		require.NoError(t, err)
		require.Equal(t, map[string]bool{"c": true}, subjects)
	}

	// A model whose entities and relations have such names.
	m, err := s.CreateModel(ctx, store.NewModel{Version: "long", Source: "corpus", Fingerprint: "f", Dim: 2, Norm: "L1"})
	require.NoError(t, err)
	var tm store.TrainedModel
	names := make([]string, 0, len(values))
	for _, v := range values {
		names = append(names, v)
		tm.Entities = append(tm.Entities, store.EntityVector{Name: v, Kind: "value", Vector: []float32{1, 2}})
		tm.Relations = append(tm.Relations, store.RelationVector{Name: v, Vector: []float32{3, 4}, Tails: []string{v}})
	}
	_, err = s.SaveTrainedModel(ctx, m, tm)
	require.NoError(t, err)
	got, err := s.EntityVectors(ctx, m.ID, append(names, "unknown"))
	require.NoError(t, err)
	require.Len(t, got, len(values))
	for _, v := range values {
		require.Equal(t, v, got[v].Name)
	}
	rels, err := s.RelationVectors(ctx, m.ID)
	require.NoError(t, err)
	require.Len(t, rels, len(values))
}

// The keys stand in for the values in the indexes: the lookups must still
// use them, not scan the whole table.
func TestLongValueLookupsUseTheirIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// One connection, so that its statistics can be flushed and read.
	pool := vectorPool(t, storetest.NewDatabase(t)+"&pool_max_conns=1", map[string]string{"enable_seqscan": "off"}, nil)
	s := store.New(pool)
	long := longValue(4, 12_000, false)
	rec := newRecord(long, `{"id":"x"}`, long)
	_, err := s.WriteRecords(ctx, []store.NewRecord{rec}, nil)
	require.NoError(t, err)
	triples := []store.KGTriple{{Subject: long, Predicate: "p", Object: long, Class: "value"}}
	_, err = s.ReplaceKG(ctx, func() store.Corpus { return store.Corpus{} }, 10, func() (store.KGTriple, bool, error) {
		if len(triples) == 0 {
			return store.KGTriple{}, false, nil
		}
		t := triples[0]
		triples = triples[1:]
		return t, true, nil
	})
	require.NoError(t, err)
	m, err := s.CreateModel(ctx, store.NewModel{Version: "v", Source: "corpus", Fingerprint: "f", Dim: 2, Norm: "L2"})
	require.NoError(t, err)
	_, err = s.SaveTrainedModel(ctx, m, store.TrainedModel{Entities: []store.EntityVector{{Name: long, Kind: "entity", Vector: []float32{1, 2}}}})
	require.NoError(t, err)

	customerKeys := []string{"customer_records_current_key", "customer_records_version_key"}
	for _, c := range []struct {
		name    string
		indexes []string
		lookup  func() error
	}{
		{"current version on write", customerKeys, func() error {
			_, err := s.WriteRecords(ctx, []store.NewRecord{rec}, nil)
			return err
		}},
		{"records of a customer", customerKeys, func() error {
			_, err := s.ListRecords(ctx, store.RecordFilter{CustomerID: long})
			return err
		}},
		{"records with an MSISDN", []string{"customer_records_msisdns_idx"}, func() error {
			_, err := s.ListRecords(ctx, store.RecordFilter{MSISDN: long})
			return err
		}},
		{"facts of a subject", []string{"kg_triples_subject_idx"}, func() error {
			_, err := s.KnownObjects(ctx, long, "p", true)
			return err
		}},
		{"facts with an object", []string{"kg_triples_object_idx"}, func() error {
			_, err := s.KnownObjects(ctx, long, "p", false)
			return err
		}},
		{"entity vectors", []string{"model_entities_key"}, func() error {
			_, err := s.EntityVectors(ctx, m.ID, []string{long})
			return err
		}},
	} {
		before := indexScans(t, pool, c.indexes)
		require.NoError(t, c.lookup(), c.name)
		require.Greater(t, indexScans(t, pool, c.indexes), before, c.name)
	}
}

// indexScans flushes the connection's statistics and returns how many scans
// the indexes have had.
func indexScans(t *testing.T, pool *pgxpool.Pool, indexes []string) int64 {
	t.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, `SELECT pg_stat_force_next_flush()`)
	require.NoError(t, err)
	var n int64
	require.NoError(t, pool.QueryRow(ctx,
		`SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes WHERE indexrelname = ANY($1)`, indexes).Scan(&n))
	return n
}
