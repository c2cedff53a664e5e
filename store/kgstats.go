package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// KGStats summarises the corpus knowledge graph and its learning view.
type KGStats struct {
	Build *KGBuild `json:"build"`
	// Triples counts distinct facts, Facts their occurrences in records.
	Triples int64 `json:"triples"`
	Facts   int64 `json:"facts"`
	// ByClass counts distinct facts per object class.
	ByClass map[string]int64 `json:"by_class"`
	// Learning describes the learning view.
	Learning LearningStats `json:"learning"`
}

// LearningStats describes the graph training sees.
type LearningStats struct {
	Entities  int64 `json:"entities"`
	Relations int64 `json:"relations"`
	Triples   int64 `json:"triples"`
	// Degrees is the degree distribution in power-of-two buckets: the
	// number of entities whose degree d has 2^i <= d < 2^(i+1).
	Degrees      []DegreeBucket  `json:"degrees"`
	TopRelations []RelationCount `json:"top_relations"`
}

// DegreeBucket counts the entities with a degree in [Min, Max].
type DegreeBucket struct {
	Min      int64 `json:"min"`
	Max      int64 `json:"max"`
	Entities int64 `json:"entities"`
}

// RelationCount is a relation and how many learnable facts it has.
type RelationCount struct {
	Relation string `json:"relation"`
	Triples  int64  `json:"triples"`
}

// KGStats computes the statistics, listing the top relations.
func (s *Store) KGStats(ctx context.Context, top int) (KGStats, error) {
	st := KGStats{ByClass: map[string]int64{}, Learning: LearningStats{Degrees: []DegreeBucket{}}}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		b, err := latestKGBuild(ctx, tx)
		switch {
		case err == nil:
			st.Build = &b
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		rows, err := tx.Query(ctx, `SELECT class, count(*), coalesce(sum(count), 0) FROM kg_triples GROUP BY class`)
		if err != nil {
			return err
		}
		var class string
		var n, facts int64
		_, err = pgx.ForEachRow(rows, []any{&class, &n, &facts}, func() error {
			st.ByClass[class] = n
			st.Triples += n
			st.Facts += facts
			return nil
		})
		if err != nil {
			return err
		}
		l := &st.Learning
		err = tx.QueryRow(ctx, `SELECT count(*), count(DISTINCT predicate) FROM kg_learning`).Scan(&l.Triples, &l.Relations)
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `
WITH degree AS (
	SELECT node, count(*) AS d FROM (
		SELECT subject AS node FROM kg_learning UNION ALL SELECT object FROM kg_learning) ends
	GROUP BY node)
SELECT floor(log(2, d))::int AS bucket, count(*) FROM degree GROUP BY bucket ORDER BY bucket`)
		if err != nil {
			return err
		}
		var bucket int
		_, err = pgx.ForEachRow(rows, []any{&bucket, &n}, func() error {
			l.Degrees = append(l.Degrees, DegreeBucket{Min: 1 << bucket, Max: 1<<(bucket+1) - 1, Entities: n})
			l.Entities += n
			return nil
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `
SELECT predicate, count(*) AS n FROM kg_learning GROUP BY predicate ORDER BY n DESC, predicate LIMIT $1`, top)
		if err != nil {
			return err
		}
		l.TopRelations, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RelationCount])
		return err
	})
	return st, wrap(err, "knowledge-graph statistics")
}
