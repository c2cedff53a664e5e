package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
)

// EntityVector is an entity's embedding; Kind is "entity" for entities of
// records and "value" for categorical literals.
type EntityVector struct {
	Name, Kind string
	Vector     []float32
}

// RelationVector is a relation's embedding and the categorical objects seen
// with it, most frequent first; Facts counts its categorical facts and
// Singletons the values seen once.
type RelationVector struct {
	Name              string
	Vector            []float32
	Tails             []string
	Facts, Singletons int
}

// TrainedModel is what training produced for a registered model.
type TrainedModel struct {
	Entities    []EntityVector
	Relations   []RelationVector
	Metrics     json.RawMessage
	Calibration json.RawMessage
}

// HNSW parameters of the per-model indexes (pgvector's defaults).
const (
	hnswM              = 16
	hnswEfConstruction = 64
)

// hnswBuildMemoryMB is the maintenance_work_mem an index build of n vectors
// of dimension dim needs to keep its graph in memory: about 1.2 kB a
// vector at dimension 128 (measured: 512 MB held 446,000, and a 500,000
// graph that spilled to disk took 9 min to build instead of 5), at least
// 512 MB and at most 2 GB.
func hnswBuildMemoryMB(n, dim int) int {
	perVector := 4*dim + 700
	mb := int(float64(n)*float64(perVector)*1.15/(1<<20)) + 1
	return min(max(mb, 512), 2048)
}

type modelIndex struct {
	name, ops string
}

// modelIndexes are the partial indexes of one model's entity embeddings:
// one for the model's distance, one for cosine similarity.
func modelIndexes(modelID int64) []modelIndex {
	return []modelIndex{
		{fmt.Sprintf("model_entities_%d_dist_idx", modelID), ""},
		{fmt.Sprintf("model_entities_%d_cos_idx", modelID), "vector_cosine_ops"},
	}
}

// distanceOps maps a model's norm to pgvector's operator class and operator.
func distanceOps(norm string) (ops, op string) {
	if norm == "L2" {
		return "vector_l2_ops", "<->"
	}
	return "vector_l1_ops", "<+>"
}

// SaveTrainedModel writes a model's embeddings with COPY, builds its
// indexes and marks it ready, in one transaction: a model is either ready
// with all its embeddings and indexes, or not ready at all. A retry replaces
// what an earlier, failed attempt left.
func (s *Store) SaveTrainedModel(ctx context.Context, m Model, tm TrainedModel) (Model, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Saves take turns: CREATE INDEX needs a SHARE lock, which the ROW
		// EXCLUSIVE lock of another save's COPY blocks, and the other way
		// round, a deadlock. Searches (ACCESS SHARE) are not held up.
		if _, err := tx.Exec(ctx, `LOCK TABLE model_entities IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM model_entities WHERE model_id = $1`,
			`DELETE FROM model_relations WHERE model_id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, m.ID); err != nil {
				return err
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"model_entities"}, []string{"model_id", "entity", "kind", "embedding"},
			pgx.CopyFromSlice(len(tm.Entities), func(i int) ([]any, error) {
				e := tm.Entities[i]
				return []any{m.ID, e.Name, e.Kind, pgvector.NewVector(e.Vector)}, nil
			})); err != nil {
			return fmt.Errorf("copy entity embeddings: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"model_relations"}, []string{"model_id", "relation", "embedding", "tails", "facts", "singletons"},
			pgx.CopyFromSlice(len(tm.Relations), func(i int) ([]any, error) {
				r := tm.Relations[i]
				return []any{m.ID, r.Name, pgvector.NewVector(r.Vector), r.Tails, r.Facts, r.Singletons}, nil
			})); err != nil {
			return fmt.Errorf("copy relation embeddings: %w", err)
		}
		// HNSW builds fastest when the graph fits in maintenance_work_mem.
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL maintenance_work_mem = '%dMB'`, hnswBuildMemoryMB(len(tm.Entities), m.Dim))); err != nil {
			return err
		}
		distOps, _ := distanceOps(m.Norm)
		for _, idx := range modelIndexes(m.ID) {
			ops := idx.ops
			if ops == "" {
				ops = distOps
			}
			// The id and dimension are integers from this database, so writing
			// them into the statement is safe; a partial index needs literals.
			if _, err := tx.Exec(ctx, fmt.Sprintf(`DROP INDEX IF EXISTS %s`, idx.name)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, fmt.Sprintf(
				`CREATE INDEX %s ON model_entities USING hnsw ((embedding::vector(%d)) %s) WITH (m = %d, ef_construction = %d) WHERE model_id = %d`,
				idx.name, m.Dim, ops, hnswM, hnswEfConstruction, m.ID)); err != nil {
				return fmt.Errorf("index %s: %w", idx.name, err)
			}
		}
		metrics, calibration := orEmptyObject(tm.Metrics), orEmptyObject(tm.Calibration)
		var err error
		m, err = scanModel(tx.QueryRow(ctx, `
UPDATE models SET state = 'ready', metrics = $2, calibration = $3, entities = $4, relations = $5,
	trained_at = clock_timestamp(), error = ''
WHERE id = $1 AND state IN ('training', 'failed') RETURNING `+modelColumns,
			m.ID, metrics, calibration, len(tm.Entities), len(tm.Relations)))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM model_checkpoints WHERE model_id = $1`, m.ID)
		return err
	})
	return m, wrap(err, "save model %s", m.Version)
}

func orEmptyObject(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	return raw
}

// maxEfSearch is pgvector's largest hnsw.ef_search.
const maxEfSearch = 1000

// Neighbor is an entity found by a vector search.
type Neighbor struct {
	Entity   string  `json:"entity"`
	Kind     string  `json:"kind"`
	Distance float64 `json:"distance"`
}

// Metric selects the distance of a vector search.
type Metric int

const (
	// ModelDistance is the model's own distance, L1 or L2.
	ModelDistance Metric = iota
	// Cosine is the cosine distance, 1 − cos.
	Cosine
)

// NearestEntities returns the k entities of model m nearest to query by the
// metric, through the model's HNSW index with ef_search candidates (0:
// pgvector's 40; at most maxEfSearch). When k exceeds them, the index scan
// goes on iteratively, in strict order, until it has k rows.
func (s *Store) NearestEntities(ctx context.Context, m Model, query []float32, metric Metric, k, efSearch int) ([]Neighbor, error) {
	if len(query) != m.Dim {
		return nil, fmt.Errorf("store: nearest entities of model %s: query has dimension %d, model %d", m.Version, len(query), m.Dim)
	}
	_, op := distanceOps(m.Norm)
	if metric == Cosine {
		op = "<=>"
	}
	var out []Neighbor
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if efSearch > 0 {
			if _, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL hnsw.ef_search = %d`, min(efSearch, maxEfSearch))); err != nil {
				return err
			}
		}
		if k > max(efSearch, 40) {
			if _, err := tx.Exec(ctx, `SET LOCAL hnsw.iterative_scan = strict_order`); err != nil {
				return err
			}
		}
		expr := fmt.Sprintf(`(embedding::vector(%d)) %s $1`, m.Dim, op)
		rows, err := tx.Query(ctx, fmt.Sprintf(
			`SELECT entity, kind, %s FROM model_entities WHERE model_id = %d ORDER BY %s LIMIT $2`, expr, m.ID, expr),
			pgvector.NewVector(query), k)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Neighbor])
		return err
	})
	return out, wrap(err, "nearest entities of model %s", m.Version)
}

// EntityVectors returns the embeddings of the named entities of model m;
// names the model does not know are left out.
func (s *Store) EntityVectors(ctx context.Context, modelID int64, names []string) (map[string]EntityVector, error) {
	rows, err := s.pool.Query(ctx,
		// Entity names can be longer than an index key holds: migration 18
		// keys them by value_key (SHA-256), which a query must name.
		`SELECT entity, kind, embedding FROM model_entities
		WHERE model_id = $1 AND value_key(entity) = ANY(ARRAY(SELECT value_key(n) FROM unnest($2::text[]) AS n))
		AND entity = ANY($2)`, modelID, names)
	if err != nil {
		return nil, wrap(err, "entity vectors of model %d", modelID)
	}
	out := make(map[string]EntityVector, len(names))
	var e EntityVector
	var v pgvector.Vector
	_, err = pgx.ForEachRow(rows, []any{&e.Name, &e.Kind, &v}, func() error {
		e.Vector = v.Slice()
		out[e.Name] = e
		return nil
	})
	return out, wrap(err, "entity vectors of model %d", modelID)
}

// ModelVocabulary returns what scoring the facts of unseen records needs:
// the embeddings of the model's categorical values and of its relations.
func (s *Store) ModelVocabulary(ctx context.Context, modelID int64) ([]EntityVector, []RelationVector, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT entity, kind, embedding FROM model_entities WHERE model_id = $1 AND kind = 'value' ORDER BY entity`, modelID)
	if err != nil {
		return nil, nil, wrap(err, "values of model %d", modelID)
	}
	var values []EntityVector
	var e EntityVector
	var v pgvector.Vector
	_, err = pgx.ForEachRow(rows, []any{&e.Name, &e.Kind, &v}, func() error {
		e.Vector = v.Slice()
		values = append(values, e)
		return nil
	})
	if err != nil {
		return nil, nil, wrap(err, "values of model %d", modelID)
	}
	rows, err = s.pool.Query(ctx,
		`SELECT relation, embedding, tails, facts, singletons FROM model_relations WHERE model_id = $1 ORDER BY relation`, modelID)
	if err != nil {
		return nil, nil, wrap(err, "relations of model %d", modelID)
	}
	var rels []RelationVector
	var r RelationVector
	_, err = pgx.ForEachRow(rows, []any{&r.Name, &v, &r.Tails, &r.Facts, &r.Singletons}, func() error {
		r.Vector = v.Slice()
		rels = append(rels, r)
		return nil
	})
	return values, rels, wrap(err, "relations of model %d", modelID)
}

// RelationVectors returns the embeddings of every relation of model m.
func (s *Store) RelationVectors(ctx context.Context, modelID int64) (map[string][]float32, error) {
	rows, err := s.pool.Query(ctx, `SELECT relation, embedding FROM model_relations WHERE model_id = $1`, modelID)
	if err != nil {
		return nil, wrap(err, "relation vectors of model %d", modelID)
	}
	out := map[string][]float32{}
	var name string
	var v pgvector.Vector
	_, err = pgx.ForEachRow(rows, []any{&name, &v}, func() error {
		out[name] = v.Slice()
		return nil
	})
	return out, wrap(err, "relation vectors of model %d", modelID)
}
