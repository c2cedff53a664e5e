package store_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// TestBenchmarkPgvector measures the per-model HNSW indexes of
// SaveTrainedModel and the searches of NearestEntities: build time, p50/p95
// latency and recall@10 against an exact Go scan, for several ef_search
// values, with the exact sequential scan's latency in the same run as the
// reference. Opt-in, as it builds large indexes:
//
//	PFF_BENCH_PGVECTOR=1 go test -run TestBenchmarkPgvector -v -timeout 3h ./store
//
// PFF_BENCH_PGVECTOR_SIZES (40000,500000), _DIM (128), _QUERIES (1000),
// _EF (40,100,200), _SEQ_QUERIES (20), _DATA (clustered or uniform) change
// the run; _REINDEX_MEM (e.g. 1GB) also times a rebuild of the cosine index
// with that maintenance_work_mem, after the searches. See scripts/bench-pgvector.sh.
func TestBenchmarkPgvector(t *testing.T) {
	if os.Getenv("PFF_BENCH_PGVECTOR") == "" {
		t.Skip("set PFF_BENCH_PGVECTOR=1 to run the pgvector benchmark")
	}
	cfg := benchConfig{
		sizes:      envInts(t, "PFF_BENCH_PGVECTOR_SIZES", []int{40000, 500000}),
		dim:        envInts(t, "PFF_BENCH_PGVECTOR_DIM", []int{128})[0],
		queries:    envInts(t, "PFF_BENCH_PGVECTOR_QUERIES", []int{1000})[0],
		seqQueries: envInts(t, "PFF_BENCH_PGVECTOR_SEQ_QUERIES", []int{20})[0],
		efs:        envInts(t, "PFF_BENCH_PGVECTOR_EF", []int{40, 100, 200}),
		data:       cmp.Or(os.Getenv("PFF_BENCH_PGVECTOR_DATA"), "clustered"),
	}
	for _, n := range cfg.sizes {
		t.Run(strconv.Itoa(n), func(t *testing.T) { benchPgvector(t, cfg, n) })
	}
}

type benchConfig struct {
	sizes        []int
	dim, queries int
	seqQueries   int
	efs          []int
	data         string
}

func benchPgvector(t *testing.T, cfg benchConfig, n int) {
	ctx := context.Background()
	url := storetest.NewDatabase(t)
	var notices []string
	var mu sync.Mutex
	indexed := vectorPool(t, url, nil, func(n *pgconn.Notice) {
		mu.Lock()
		notices = append(notices, n.Message)
		mu.Unlock()
	})
	st := store.New(indexed)
	// The same searches as the exact sequential scan PostgreSQL runs
	// without the index.
	seq := store.New(vectorPool(t, url, map[string]string{"enable_indexscan": "off"}, nil))
	admin := vectorPool(t, url, nil, nil)

	rng := rand.New(rand.NewPCG(uint64(n), 5))
	var vecs [][]float32
	switch cfg.data {
	case "uniform":
		vecs = unitVectors(rng, n, cfg.dim)
	case "clustered":
		vecs = clusteredVectors(rng, n, cfg.dim, 100, 0.6)
	default:
		t.Fatalf("PFF_BENCH_PGVECTOR_DATA: %q is neither clustered nor uniform", cfg.data)
	}
	ents := make([]store.EntityVector, n)
	for i, v := range vecs {
		ents[i] = store.EntityVector{Name: fmt.Sprintf("e%d", i), Kind: "entity", Vector: v}
	}
	m, err := st.CreateModel(ctx, store.NewModel{Version: fmt.Sprintf("bench-%d", n), Source: "bench", Fingerprint: "f", Dim: cfg.dim, Norm: "L1"})
	require.NoError(t, err)

	// Build: the progress view shows when each CREATE INDEX starts, which
	// splits the one transaction into COPY and the two index builds.
	var pgv, maxWorkers string
	require.NoError(t, admin.QueryRow(ctx, `SELECT extversion, current_setting('max_parallel_maintenance_workers')
FROM pg_extension WHERE extname = 'vector'`).Scan(&pgv, &maxWorkers))
	t.Logf("pgvector %s, max_parallel_maintenance_workers %s, %s data, load average before the build: %s", pgv, maxWorkers, cfg.data, loadAvg())
	watchCtx, stopWatch := context.WithCancel(ctx)
	starts := make(chan []time.Time, 1)
	go func() { starts <- watchIndexBuilds(watchCtx, admin) }()
	began := time.Now()
	m, err = st.SaveTrainedModel(ctx, m, store.TrainedModel{Entities: ents})
	ended := time.Now()
	stopWatch()
	require.NoError(t, err)
	idx := <-starts
	t.Logf("build of %d x %d: total %s", n, cfg.dim, ended.Sub(began).Round(time.Millisecond))
	if len(idx) == 2 {
		t.Logf("  COPY and deletes %s, L1 index %s, cosine index %s (from pg_stat_activity, 50 ms polls)",
			idx[0].Sub(began).Round(time.Millisecond), idx[1].Sub(idx[0]).Round(time.Millisecond), ended.Sub(idx[1]).Round(time.Millisecond))
	}
	var tableSize, distSize, cosSize string
	require.NoError(t, admin.QueryRow(ctx, fmt.Sprintf(`SELECT pg_size_pretty(pg_total_relation_size('model_entities') - pg_indexes_size('model_entities')),
	pg_size_pretty(pg_relation_size('model_entities_%d_dist_idx')), pg_size_pretty(pg_relation_size('model_entities_%d_cos_idx'))`, m.ID, m.ID)).
		Scan(&tableSize, &distSize, &cosSize))
	t.Logf("  table %s, L1 index %s, cosine index %s", tableSize, distSize, cosSize)
	for _, msg := range notices {
		if !strings.HasSuffix(msg, "does not exist, skipping") {
			t.Logf("  notice: %s", msg)
		}
	}
	_, err = admin.Exec(ctx, `ANALYZE model_entities`)
	require.NoError(t, err)

	// Queries: for cosine, entity vectors as they are (the similar-entities
	// query); for L1, entity vectors moved by noise of norm 0.3, as h+r lands
	// near but not on a tail (the link-prediction query).
	qrng := rand.New(rand.NewPCG(uint64(n), 7))
	cosQueries := make([][]float32, cfg.queries)
	l1Queries := make([][]float32, cfg.queries)
	for i := range cfg.queries {
		cosQueries[i] = vecs[qrng.IntN(n)]
		q := gaussian(qrng, cfg.dim, 0.3/math.Sqrt(float64(cfg.dim)))
		for j, x := range vecs[qrng.IntN(n)] {
			q[j] += x
		}
		l1Queries[i] = q
	}
	for _, c := range []struct {
		name    string
		metric  store.Metric
		queries [][]float32
	}{{"cosine", store.Cosine, cosQueries}, {"L1", store.ModelDistance, l1Queries}} {
		started := time.Now()
		exact := exactAll(vecs, c.queries, distanceOf(m.Norm, c.metric), 10)
		t.Logf("%s: exact Go scan of %d queries in %s", c.name, len(c.queries), time.Since(started).Round(time.Millisecond))

		// The reference: the same NearestEntities through a sequential scan.
		seqLat := make([]time.Duration, 0, cfg.seqQueries)
		var seqRecall float64
		for i := range min(cfg.seqQueries, len(c.queries)) {
			t0 := time.Now()
			got, err := seq.NearestEntities(ctx, m, c.queries[i], c.metric, 10, 0)
			seqLat = append(seqLat, time.Since(t0))
			require.NoError(t, err)
			seqRecall += recallAt10(got, exact[i])
		}
		seqP50, seqP95 := percentiles(seqLat)
		t.Logf("%s: sequential scan, %d queries: p50 %s, p95 %s, recall@10 %.4f (%s)", c.name, len(seqLat),
			ms(seqP50), ms(seqP95), seqRecall/float64(len(seqLat)), loadAvg())

		for _, ef := range cfg.efs {
			// Warm the index's pages before timing.
			for i := range min(100, len(c.queries)) {
				_, err := st.NearestEntities(ctx, m, c.queries[len(c.queries)-1-i], c.metric, 10, ef)
				require.NoError(t, err)
			}
			lat := make([]time.Duration, len(c.queries))
			var recall float64
			for i, q := range c.queries {
				t0 := time.Now()
				got, err := st.NearestEntities(ctx, m, q, c.metric, 10, ef)
				lat[i] = time.Since(t0)
				require.NoError(t, err)
				recall += recallAt10(got, exact[i])
			}
			p50, p95 := percentiles(lat)
			bare50, bare95 := bareQueries(t, admin, m, c.metric, c.queries, ef)
			t.Logf("RESULT n=%d data=%s metric=%s ef_search=%d p50=%s p95=%s recall@10=%.4f bare_p50=%s bare_p95=%s seq_p50=%s seq_p95=%s p50_ratio=%.1f load=%q",
				n, cfg.data, c.name, ef, ms(p50), ms(p95), recall/float64(len(c.queries)), ms(bare50), ms(bare95),
				ms(seqP50), ms(seqP95), float64(seqP50)/float64(p50), loadAvg())
		}
	}
	// SaveTrainedModel builds with maintenance_work_mem 512MB; rebuilding
	// one index with more shows what a graph that fits in memory saves.
	if mem := os.Getenv("PFF_BENCH_PGVECTOR_REINDEX_MEM"); mem != "" {
		mu.Lock()
		notices = notices[:0]
		mu.Unlock()
		conn, err := indexed.Acquire(ctx)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, fmt.Sprintf(`SET maintenance_work_mem = '%s'`, mem))
		require.NoError(t, err)
		t0 := time.Now()
		_, err = conn.Exec(ctx, fmt.Sprintf(`REINDEX INDEX model_entities_%d_cos_idx`, m.ID))
		require.NoError(t, err)
		t.Logf("REINDEX of the cosine index with maintenance_work_mem %s: %s (load %s)", mem, time.Since(t0).Round(time.Millisecond), loadAvg())
		_, err = conn.Exec(ctx, `RESET maintenance_work_mem`)
		require.NoError(t, err)
		conn.Release()
		mu.Lock()
		for _, msg := range notices {
			t.Logf("  notice: %s", msg)
		}
		mu.Unlock()
	}
	// The plans really are the index's (ANALYZEd, default settings) and,
	// for the reference, a scan of all the model's rows.
	query := fmt.Sprintf(`EXPLAIN SELECT entity FROM model_entities WHERE model_id = %d
ORDER BY (embedding::vector(%d)) <=> $1 LIMIT 10`, m.ID, cfg.dim)
	for _, setting := range []string{"on", "off"} {
		var lines []string
		err := pgx.BeginFunc(ctx, admin, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT set_config('enable_indexscan', $1, true)`, setting); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, query, pgvector.NewVector(cosQueries[0]))
			if err != nil {
				return err
			}
			lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		require.NoError(t, err)
		plan := strings.Join(lines, "\n")
		t.Logf("plan with enable_indexscan %s:\n%s", setting, plan)
		if setting == "on" {
			require.Contains(t, plan, fmt.Sprintf("Index Scan using model_entities_%d_cos_idx", m.ID))
		}
	}
}

// bareQueries times NearestEntities' SELECT alone, one round trip on a
// session with ef_search set, where NearestEntities takes four (BEGIN, SET
// LOCAL, SELECT, COMMIT): the share of the latency the transaction costs.
func bareQueries(t *testing.T, pool *pgxpool.Pool, m store.Model, metric store.Metric, queries [][]float32, ef int) (p50, p95 time.Duration) {
	t.Helper()
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, fmt.Sprintf(`SET hnsw.ef_search = %d`, ef))
	require.NoError(t, err)
	defer conn.Exec(ctx, `RESET hnsw.ef_search`) //nolint:errcheck // the pool closes with the test
	op := map[string]string{"L1": "<+>", "L2": "<->"}[m.Norm]
	if metric == store.Cosine {
		op = "<=>"
	}
	expr := fmt.Sprintf(`(embedding::vector(%d)) %s $1`, m.Dim, op)
	sql := fmt.Sprintf(`SELECT entity, kind, %s FROM model_entities WHERE model_id = %d ORDER BY %s LIMIT $2`, expr, m.ID, expr)
	lat := make([]time.Duration, len(queries))
	for i, q := range queries {
		t0 := time.Now()
		rows, err := conn.Query(ctx, sql, pgvector.NewVector(q), 10)
		require.NoError(t, err)
		got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[store.Neighbor])
		lat[i] = time.Since(t0)
		require.NoError(t, err)
		require.Len(t, got, 10)
	}
	return percentiles(lat)
}

// watchIndexBuilds returns when each CREATE INDEX of the database started,
// in order, by polling pg_stat_activity until ctx ends. (The progress view
// has no index id during a non-concurrent build.)
func watchIndexBuilds(ctx context.Context, pool *pgxpool.Pool) []time.Time {
	var seen []string
	var at []time.Time
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var query string
		err := pool.QueryRow(ctx, `SELECT query FROM pg_stat_activity
WHERE datname = current_database() AND state = 'active' AND query LIKE 'CREATE INDEX%' LIMIT 1`).Scan(&query)
		if err == nil && !slices.Contains(seen, query) {
			seen = append(seen, query)
			at = append(at, time.Now())
		}
		select {
		case <-ctx.Done():
			return at
		case <-tick.C:
		}
	}
}

// exactAll runs exactTopK for every query on all cores.
func exactAll(vecs, queries [][]float32, dist func(a, b []float32) float64, k int) [][]scored {
	out := make([][]scored, len(queries))
	var wg sync.WaitGroup
	workers := 2
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(queries); i += workers {
				out[i] = exactTopK(vecs, queries[i], dist, k)
			}
		})
	}
	wg.Wait()
	return out
}

func recallAt10(got []store.Neighbor, exact []scored) float64 {
	want := map[string]bool{}
	for _, s := range exact {
		want[fmt.Sprintf("e%d", s.index)] = true
	}
	hits := 0
	for _, g := range got {
		if want[g.Entity] {
			hits++
		}
	}
	return float64(hits) / float64(len(exact))
}

func percentiles(lat []time.Duration) (p50, p95 time.Duration) {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[len(s)*50/100], s[min(len(s)-1, len(s)*95/100)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func envInts(t *testing.T, name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		require.NoError(t, err, name)
		out = append(out, i)
	}
	return out
}
