package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
)

// TypedVector is an entity's embedding with the type the knowledge graph
// gives it ("value" for categorical literals, "" when the graph has none).
type TypedVector struct {
	Name, Type string
	Vector     []float32
}

// SampleEntityVectors returns about n of a model's entity vectors, chosen
// by a hash of their names (the same sample every time), each with its
// type from the corpus graph's type facts. total is the model's entity
// count, which sets the share sampled.
func (s *Store) SampleEntityVectors(ctx context.Context, modelID int64, n, total int) ([]TypedVector, error) {
	// The share of the 2^16 hash values kept, with room so that n are found.
	share := 65536
	if total > n {
		share = min(65536, int(float64(n)/float64(total)*65536*1.2)+1)
	}
	rows, err := s.pool.Query(ctx, `
		WITH sample AS (
			SELECT entity, kind, embedding FROM model_entities
			WHERE model_id = $1 AND (hashtext(entity) & 65535) < $2
			LIMIT $3
		)
		SELECT s.entity, CASE WHEN s.kind = 'value' THEN 'value' ELSE coalesce(t.object, '') END, s.embedding
		FROM sample s LEFT JOIN LATERAL (
			SELECT object FROM kg_triples
			WHERE value_prefix(subject) = value_prefix(s.entity) AND value_prefix(predicate) = 'type'
				AND subject = s.entity AND predicate = 'type'
			LIMIT 1
		) t ON s.kind = 'entity'`, modelID, share, n)
	if err != nil {
		return nil, wrap(err, "sample vectors of model %d", modelID)
	}
	var (
		out  []TypedVector
		name string
		typ  string
		vec  pgvector.Vector
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &typ, &vec}, func() error {
		out = append(out, TypedVector{Name: name, Type: typ, Vector: vec.Slice()})
		return nil
	})
	return out, wrap(err, "sample vectors of model %d", modelID)
}
