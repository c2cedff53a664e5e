package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// EachLearningTriple calls fn with every learnable fact, in the order of
// LearningTriples, without collecting them: a corpus of 15,000 records has
// 3.6 million, which as strings took gigabytes. The byte slices are only
// valid during the call; fn copies what it keeps.
func (s *Store) EachLearningTriple(ctx context.Context, fn func(subject, predicate, object, class []byte) error) error {
	rows, err := s.pool.Query(ctx, `SELECT subject, predicate, object, class FROM kg_learning ORDER BY subject, predicate, object`,
		pgx.QueryResultFormats{pgx.TextFormatCode})
	if err != nil {
		return wrap(err, "learning triples")
	}
	defer rows.Close()
	for rows.Next() {
		v := rows.RawValues()
		if err := fn(v[0], v[1], v[2], v[3]); err != nil {
			return err
		}
	}
	return wrap(rows.Err(), "learning triples")
}
