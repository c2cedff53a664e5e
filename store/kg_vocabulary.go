package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Vocabulary says which predicates and (predicate, object) pairs occur in
// the corpus knowledge graph of a build: what a rule can match.
type Vocabulary struct {
	Build      KGBuild
	Predicates map[string]bool
	Pairs      map[[2]string]bool
}

// CorpusVocabulary looks up, in the latest build of the corpus graph, which
// of the predicates and (predicate, object) pairs occur; ErrNotFound when
// no graph is built. Pairs are found through the object index, predicates
// by one read of the table's distinct predicates.
func (s *Store) CorpusVocabulary(ctx context.Context, predicates []string, pairs [][2]string) (Vocabulary, error) {
	v := Vocabulary{Predicates: map[string]bool{}, Pairs: map[[2]string]bool{}}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if v.Build, err = latestKGBuild(ctx, tx); err != nil {
			return err
		}
		if len(predicates) > 0 {
			rows, err := tx.Query(ctx, `
				SELECT p FROM unnest($1::text[]) AS q(p)
				WHERE p IN (SELECT DISTINCT predicate FROM kg_triples)`, predicates)
			if err != nil {
				return err
			}
			seen, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			for _, p := range seen {
				v.Predicates[p] = true
			}
		}
		if len(pairs) == 0 {
			return nil
		}
		preds, objects := make([]string, len(pairs)), make([]string, len(pairs))
		for i, p := range pairs {
			preds[i], objects[i] = p[0], p[1]
		}
		rows, err := tx.Query(ctx, `
			SELECT q.p, q.o FROM unnest($1::text[], $2::text[]) AS q(p, o)
			WHERE EXISTS (SELECT 1 FROM kg_triples t
				WHERE value_prefix(t.object) = value_prefix(q.o) AND t.object = q.o AND t.predicate = q.p)`, preds, objects)
		if err != nil {
			return err
		}
		var p, o string
		_, err = pgx.ForEachRow(rows, []any{&p, &o}, func() error {
			v.Pairs[[2]string{p, o}] = true
			return nil
		})
		return err
	})
	return v, wrap(err, "corpus vocabulary")
}
