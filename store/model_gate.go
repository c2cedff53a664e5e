package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// RecordsUnknownToModel returns up to limit current records whose customer
// is no entity of the model: records it did not train on (held out of its
// training, or stored since). The choice is a stable pseudo-random sample,
// by a hash of the customer id, so two measurements of one model on one
// corpus read the same records.
func (s *Store) RecordsUnknownToModel(ctx context.Context, modelID int64, limit int) ([][]byte, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT r.document::text FROM customer_records r
		WHERE r.current AND NOT EXISTS (
			SELECT 1 FROM model_entities e
			WHERE e.model_id = $1 AND value_key(e.entity) = value_key(r.customer_id) AND e.entity = r.customer_id)
		ORDER BY md5(r.customer_id), r.customer_id
		LIMIT $2`, modelID, limit)
	if err != nil {
		return nil, wrap(err, "records unknown to model %d", modelID)
	}
	docs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([]byte, error) {
		var doc []byte
		err := row.Scan(&doc)
		return doc, err
	})
	return docs, wrap(err, "records unknown to model %d", modelID)
}
