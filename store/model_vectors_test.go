package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// newVectorStore returns a store on a fresh database whose searches must
// use the HNSW indexes (enable_sort off: on a few hundred rows the planner
// would rather sort them all), and a pool for looking behind it.
func newVectorStore(t *testing.T) (*store.Store, *pgxpool.Pool) {
	t.Helper()
	url := storetest.NewDatabase(t)
	return store.New(vectorPool(t, url, map[string]string{"enable_sort": "off"}, nil)), vectorPool(t, url, nil, nil)
}

// trainedModel registers a model and stores these entity vectors for it.
func trainedModel(t *testing.T, s *store.Store, version, norm string, vecs [][]float32) store.Model {
	t.Helper()
	ctx := context.Background()
	m, err := s.CreateModel(ctx, store.NewModel{Version: version, Source: "test", Fingerprint: "f", Dim: len(vecs[0]), Norm: norm})
	require.NoError(t, err)
	require.Equal(t, store.ModelTraining, m.State)
	m, err = s.SaveTrainedModel(ctx, m, store.TrainedModel{Entities: entityVectors(vecs)})
	require.NoError(t, err)
	require.Equal(t, store.ModelReady, m.State)
	require.Equal(t, len(vecs), m.Entities)
	return m
}

func entityVectors(vecs [][]float32) []store.EntityVector {
	out := make([]store.EntityVector, len(vecs))
	for i, v := range vecs {
		kind := "entity"
		if i%3 == 0 {
			kind = "value"
		}
		out[i] = store.EntityVector{Name: fmt.Sprintf("e%d", i), Kind: kind, Vector: v}
	}
	return out
}

func TestNearestEntitiesEqualExactScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, admin := newVectorStore(t)
	const n, dim = 300, 16
	rng := rand.New(rand.NewPCG(1, 2))
	// Not normalised, so L1, L2 and cosine order differently.
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = gaussian(rng, dim, 1)
	}
	models := map[string]store.Model{
		"L1": trainedModel(t, s, "v-l1", "L1", vecs),
		"L2": trainedModel(t, s, "v-l2", "L2", vecs),
	}
	queries := make([][]float32, 0, 30)
	for i := range 25 {
		queries = append(queries, gaussian(rng, dim, 1))
		if i < 5 {
			queries = append(queries, vecs[rng.IntN(n)])
		}
	}
	for _, c := range []struct {
		norm   string
		metric store.Metric
		index  string
	}{
		{"L1", store.ModelDistance, "dist"},
		{"L1", store.Cosine, "cos"},
		{"L2", store.ModelDistance, "dist"},
		{"L2", store.Cosine, "cos"},
	} {
		m := models[c.norm]
		name := fmt.Sprintf("%s/%s", c.norm, c.index)
		dist := distanceOf(c.norm, c.metric)
		requireIndexScan(t, admin, m, c.metric, fmt.Sprintf("model_entities_%d_%s_idx", m.ID, c.index))
		for qi, q := range queries {
			for _, k := range []int{1, 10, 50} {
				got, err := s.NearestEntities(ctx, m, q, c.metric, k, n+100)
				require.NoError(t, err)
				requireSameTopK(t, fmt.Sprintf("%s query %d k %d", name, qi, k), vecs, q, dist, exactTopK(vecs, q, dist, k), got)
			}
		}
	}
}

// requireIndexScan checks the plan of NearestEntities' query in the
// store's settings is the scan of the named index.
func requireIndexScan(t *testing.T, admin *pgxpool.Pool, m store.Model, metric store.Metric, index string) {
	t.Helper()
	ctx := context.Background()
	op := map[string]string{"L1": "<+>", "L2": "<->"}[m.Norm]
	if metric == store.Cosine {
		op = "<=>"
	}
	var lines []string
	err := pgx.BeginFunc(ctx, admin, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL enable_sort = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, fmt.Sprintf(`EXPLAIN SELECT entity FROM model_entities WHERE model_id = %d
ORDER BY (embedding::vector(%d)) %s $1 LIMIT 10`, m.ID, m.Dim, op), pgvector.NewVector(make([]float32, m.Dim)))
		if err != nil {
			return err
		}
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	require.NoError(t, err)
	require.Contains(t, strings.Join(lines, "\n"), "Index Scan using "+index)
}

// requireSameTopK checks got lists the exact top-k in order, with the
// exact distances, allowing only near-ties to swap places.
func requireSameTopK(t *testing.T, what string, vecs [][]float32, q []float32, dist func(a, b []float32) float64, exact []scored, got []store.Neighbor) {
	t.Helper()
	const tol = 1e-4
	require.Len(t, got, len(exact), what)
	seen := map[string]bool{}
	for i, g := range got {
		require.False(t, seen[g.Entity], "%s: %s twice", what, g.Entity)
		seen[g.Entity] = true
		var idx int
		_, err := fmt.Sscanf(g.Entity, "e%d", &idx)
		require.NoError(t, err)
		want := fmt.Sprintf("e%d", exact[i].index)
		d := dist(q, vecs[idx])
		require.InDelta(t, d, g.Distance, tol*max(1, d), "%s: distance of %s", what, g.Entity)
		if g.Entity != want {
			require.InDelta(t, exact[i].dist, d, tol*max(1, d), "%s: rank %d is %s, want %s", what, i+1, g.Entity, want)
		}
		wantKind := "entity"
		if idx%3 == 0 {
			wantKind = "value"
		}
		require.Equal(t, wantKind, g.Kind, what)
	}
}

func TestNearestEntitiesDimensionMismatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newVectorStore(t)
	m := trainedModel(t, s, "v1", "L1", unitVectors(rand.New(rand.NewPCG(3, 4)), 20, 8))
	_, err := s.NearestEntities(ctx, m, make([]float32, 7), store.ModelDistance, 5, 0)
	require.ErrorContains(t, err, "query has dimension 7, model 8")
	got, err := s.NearestEntities(ctx, m, make([]float32, 8), store.ModelDistance, 5, 0)
	require.NoError(t, err, "zero vector, L1")
	require.Len(t, got, 5)
}

func TestActivateAndDeleteModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, admin := newVectorStore(t)
	rng := rand.New(rand.NewPCG(5, 6))
	a := trainedModel(t, s, "a", "L1", unitVectors(rng, 30, 4))
	b := trainedModel(t, s, "b", "L2", unitVectors(rng, 30, 4))
	training, err := s.CreateModel(ctx, store.NewModel{Version: "c", Source: "test", Fingerprint: "f", Dim: 4, Norm: "L1"})
	require.NoError(t, err)

	_, err = s.ActiveModel(ctx)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.ActivateModel(ctx, "c")
	require.ErrorIs(t, err, store.ErrModelNotReady)
	require.NoError(t, s.FailModel(ctx, training.ID, "diverged"))
	_, err = s.ActivateModel(ctx, "c")
	require.ErrorIs(t, err, store.ErrModelNotReady)
	_, err = s.ActivateModel(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	got, err := s.ActivateModel(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, store.ModelActive, got.State)
	require.NotNil(t, got.ActivatedAt)
	got, err = s.ActivateModel(ctx, "a")
	require.NoError(t, err, "activating the active model again changes nothing")
	require.Equal(t, store.ModelActive, got.State)
	_, err = s.ActivateModel(ctx, "b")
	require.NoError(t, err)
	requireStates(t, s, map[string]string{"a": store.ModelReady, "b": store.ModelActive, "c": store.ModelFailed})
	activeModel, err := s.ActiveModel(ctx)
	require.NoError(t, err)
	require.Equal(t, b.ID, activeModel.ID)

	require.ErrorIs(t, s.DeleteModel(ctx, "b"), store.ErrModelActive)
	require.Equal(t, []string{fmt.Sprintf("model_entities_%d_cos_idx", b.ID), fmt.Sprintf("model_entities_%d_dist_idx", b.ID)},
		modelIndexNames(t, admin, b.ID), "a refused delete keeps the indexes")

	require.Len(t, modelIndexNames(t, admin, a.ID), 2)
	require.NoError(t, s.DeleteModel(ctx, "a"))
	require.Empty(t, modelIndexNames(t, admin, a.ID), "delete drops the model's indexes")
	var rows int
	require.NoError(t, admin.QueryRow(ctx, `SELECT count(*) FROM model_entities WHERE model_id = $1`, a.ID).Scan(&rows))
	require.Zero(t, rows)
	_, err = s.ModelByVersion(ctx, "a")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.DeleteModel(ctx, "c"), "a model without indexes")
	require.ErrorIs(t, s.DeleteModel(ctx, "c"), store.ErrNotFound)
	requireStates(t, s, map[string]string{"b": store.ModelActive})

	// Back to no model: b is ready again, and may be deleted.
	require.NoError(t, s.SetModelQuality(ctx, b.ID, json.RawMessage(`{"clean_flagged": 0}`)))
	got, err = s.DeactivateModel(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ModelReady, got.State)
	require.JSONEq(t, `{"clean_flagged": 0}`, string(got.Quality))
	_, err = s.DeactivateModel(ctx)
	require.ErrorIs(t, err, store.ErrNotFound, "none is active")
	versions, err := s.ActiveKnowledgeVersions(ctx)
	require.NoError(t, err)
	require.Empty(t, versions)
	require.NoError(t, s.DeleteModel(ctx, "b"))
}

// Concurrent activations end with one active model, the last one, and
// every call succeeds.
func TestActivateModelConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newVectorStore(t)
	rng := rand.New(rand.NewPCG(7, 8))
	versions := []string{"m0", "m1", "m2", "m3"}
	for _, v := range versions {
		trainedModel(t, s, v, "L1", unitVectors(rng, 5, 4))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*10)
	for w := range 8 {
		wg.Go(func() {
			for i := range 10 {
				if _, err := s.ActivateModel(ctx, versions[(w+i)%len(versions)]); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	ms, err := s.ListModels(ctx)
	require.NoError(t, err)
	active := 0
	for _, m := range ms {
		if m.State == store.ModelActive {
			active++
		} else {
			require.Equal(t, store.ModelReady, m.State)
		}
	}
	require.Equal(t, 1, active)
}

func TestSaveTrainedModelRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, admin := newVectorStore(t)
	rng := rand.New(rand.NewPCG(9, 10))
	m, err := s.CreateModel(ctx, store.NewModel{Version: "v1", Source: "test", Fingerprint: "f", Dim: 4, Norm: "L2"})
	require.NoError(t, err)

	// An attempt that fails leaves nothing: a vector of the wrong dimension
	// breaks the index build after COPY.
	bad := entityVectors(unitVectors(rng, 10, 4))
	bad[7].Vector = bad[7].Vector[:3]
	_, err = s.SaveTrainedModel(ctx, m, store.TrainedModel{Entities: bad})
	require.ErrorContains(t, err, "expected 4 dimensions, not 3")
	require.Zero(t, entityCount(t, admin, m.ID))
	require.Empty(t, modelIndexNames(t, admin, m.ID))
	got, err := s.ModelByID(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, store.ModelTraining, got.State)

	// What an interrupted attempt might have left, rows and an index, is
	// replaced; a failed model may be saved again.
	_, err = admin.Exec(ctx, `INSERT INTO model_entities (model_id, entity, kind, embedding) VALUES ($1, 'stale', 'entity', '[1,2,3,4]'),
	($1, 'e1', 'entity', '[9,9,9,9]')`, m.ID)
	require.NoError(t, err)
	_, err = admin.Exec(ctx, fmt.Sprintf(`CREATE INDEX model_entities_%d_dist_idx ON model_entities (model_id)`, m.ID))
	require.NoError(t, err)
	_, err = admin.Exec(ctx, `INSERT INTO model_relations (model_id, relation, embedding) VALUES ($1, 'stale', '[1,2,3,4]')`, m.ID)
	require.NoError(t, err)
	require.NoError(t, s.SaveCheckpoint(ctx, m.ID, 3, bytes.NewReader([]byte("state"))))
	require.NoError(t, s.FailModel(ctx, m.ID, "worker killed"))

	vecs := unitVectors(rng, 12, 4)
	m, err = s.SaveTrainedModel(ctx, m, store.TrainedModel{
		Entities:  entityVectors(vecs),
		Relations: []store.RelationVector{{Name: "hasStatus", Vector: []float32{0.5, 0, 0, 0}, Tails: []string{"Active", "Terminated"}}},
		Metrics:   []byte(`{"mrr": 0.5}`),
	})
	require.NoError(t, err)
	require.Equal(t, store.ModelReady, m.State)
	require.Empty(t, m.Error)
	require.Equal(t, 12, m.Entities)
	require.Equal(t, 1, m.Relations)
	require.JSONEq(t, `{"mrr": 0.5}`, string(m.Metrics))
	require.Equal(t, 12, entityCount(t, admin, m.ID), "the stale rows are gone")
	ev, err := s.EntityVectors(ctx, m.ID, []string{"e1", "stale"})
	require.NoError(t, err)
	require.Equal(t, map[string]store.EntityVector{"e1": {Name: "e1", Kind: "entity", Vector: vecs[1]}}, ev)
	rels, err := s.RelationVectors(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, map[string][]float32{"hasStatus": {0.5, 0, 0, 0}}, rels)
	_, err = s.CheckpointEpoch(ctx, m.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "a stored model needs no checkpoint")

	var def string
	require.NoError(t, admin.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE indexname = $1`,
		fmt.Sprintf("model_entities_%d_dist_idx", m.ID)).Scan(&def))
	require.Contains(t, def, "USING hnsw (((embedding)::vector(4)) vector_l2_ops) WITH (m='16', ef_construction='64') WHERE (model_id = ")
	nearest, err := s.NearestEntities(ctx, m, vecs[5], store.ModelDistance, 1, 0)
	require.NoError(t, err)
	require.Equal(t, "e5", nearest[0].Entity)
	require.InDelta(t, 0, nearest[0].Distance, 1e-6)

	// A ready model is not overwritten.
	_, err = s.SaveTrainedModel(ctx, m, store.TrainedModel{Entities: entityVectors(unitVectors(rng, 3, 4))})
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Equal(t, 12, entityCount(t, admin, m.ID))
}

func requireStates(t *testing.T, s *store.Store, want map[string]string) {
	t.Helper()
	ms, err := s.ListModels(context.Background())
	require.NoError(t, err)
	got := map[string]string{}
	for _, m := range ms {
		got[m.Version] = m.State
	}
	require.Equal(t, want, got)
}

func modelIndexNames(t *testing.T, admin *pgxpool.Pool, modelID int64) []string {
	t.Helper()
	rows, err := admin.Query(context.Background(),
		`SELECT indexname FROM pg_indexes WHERE tablename = 'model_entities' AND indexname LIKE $1 ORDER BY indexname`,
		fmt.Sprintf("model\\_entities\\_%d\\_%%", modelID))
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return names
}

func entityCount(t *testing.T, admin *pgxpool.Pool, modelID int64) int {
	t.Helper()
	var n int
	require.NoError(t, admin.QueryRow(context.Background(), `SELECT count(*) FROM model_entities WHERE model_id = $1`, modelID).Scan(&n))
	return n
}

// Trainings that finish together store their models side by side.
func TestSaveTrainedModelConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newVectorStore(t)
	rng := rand.New(rand.NewPCG(11, 12))
	var models []store.Model
	var vecs [][][]float32
	for i := range 3 {
		m, err := s.CreateModel(ctx, store.NewModel{Version: fmt.Sprintf("v%d", i), Source: "test", Fingerprint: "f", Dim: 16, Norm: "L1"})
		require.NoError(t, err)
		models = append(models, m)
		vecs = append(vecs, unitVectors(rng, 2000, 16))
	}
	errs := make([]error, len(models))
	var wg sync.WaitGroup
	for i, m := range models {
		wg.Go(func() {
			_, errs[i] = s.SaveTrainedModel(ctx, m, store.TrainedModel{Entities: entityVectors(vecs[i])})
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	requireStates(t, s, map[string]string{"v0": store.ModelReady, "v1": store.ModelReady, "v2": store.ModelReady})
}

func TestNearestEntitiesBeyondEfSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newVectorStore(t)
	rng := rand.New(rand.NewPCG(3, 4))
	vecs := make([][]float32, 300)
	for i := range vecs {
		vecs[i] = gaussian(rng, 8, 1)
	}
	m := trainedModel(t, s, "v-many", "L1", vecs)
	got, err := s.NearestEntities(ctx, m, vecs[0], store.ModelDistance, 120, 10)
	require.NoError(t, err)
	require.Len(t, got, 120, "the scan goes on past ef_search")
	for i := 1; i < len(got); i++ {
		require.LessOrEqual(t, got[i-1].Distance, got[i].Distance, "in order")
	}
	got, err = s.NearestEntities(ctx, m, vecs[0], store.Cosine, 5, 5000)
	require.NoError(t, err, "ef_search is capped at pgvector's 1000")
	require.Len(t, got, 5)
}
