package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// KGTriple is one fact of the corpus knowledge graph. Class is the record
// builder's class of the object: value, category, edge or dangling.
type KGTriple struct {
	Subject, Predicate, Object, Class string
}

// KGBuild describes one build of the corpus knowledge graph.
type KGBuild struct {
	ID          int64     `json:"id"`
	Fingerprint string    `json:"fingerprint"`
	Records     int       `json:"records"`
	Triples     int64     `json:"triples"`
	Learnable   int64     `json:"learnable"`
	MaxValues   int       `json:"max_category_values"`
	BuiltAt     time.Time `json:"built_at"`
}

// Corpus is a consistent view of the current records.
type Corpus struct {
	// Fingerprint is the SHA-256 of the current records' content hashes in
	// customer order: it changes exactly when the corpus does.
	Fingerprint string
	Records     int
}

// ReadCorpus calls fn with the document of every current record, in one
// read-only snapshot, and returns that snapshot's fingerprint.
func (s *Store) ReadCorpus(ctx context.Context, fn func(doc []byte) error) (Corpus, error) {
	var c Corpus
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, corpusFingerprintSQL).Scan(&c.Fingerprint, &c.Records); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT document::text FROM customer_records WHERE current`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var doc []byte
		for rows.Next() {
			if err := rows.Scan(&doc); err != nil {
				return err
			}
			if err := fn(doc); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return c, wrap(err, "read corpus")
}

// CorpusFingerprint returns the fingerprint and size of the current records.
func (s *Store) CorpusFingerprint(ctx context.Context) (Corpus, error) {
	var c Corpus
	err := s.pool.QueryRow(ctx, corpusFingerprintSQL).Scan(&c.Fingerprint, &c.Records)
	return c, wrap(err, "corpus fingerprint")
}

const corpusFingerprintSQL = `
SELECT encode(sha256(coalesce(string_agg(content_hash, ''::bytea ORDER BY customer_id), ''::bytea)), 'hex'), count(*)
FROM customer_records WHERE current`

// ReplaceKG replaces the corpus knowledge graph with the triples next yields
// until it returns false, all in one transaction: readers see the old graph
// or the new one, never a mix (they wait while it is rebuilt). Equal triples are counted once with their
// number. A categorical predicate is learnable when it has at most
// maxValues distinct objects; entity edges always are. corpus is called
// after the last triple, so that a concurrent reader of the corpus can
// report the snapshot the triples came from.
func (s *Store) ReplaceKG(ctx context.Context, corpus func() Corpus, maxValues int, next func() (KGTriple, bool, error)) (KGBuild, error) {
	b := KGBuild{MaxValues: maxValues}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE kg_stage (subject text, predicate text, object text, class text) ON COMMIT DROP`); err != nil {
			return err
		}
		row := make([]any, 4)
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"kg_stage"}, []string{"subject", "predicate", "object", "class"},
			pgx.CopyFromFunc(func() ([]any, error) {
				t, ok, err := next()
				if err != nil || !ok {
					return nil, err
				}
				row[0], row[1], row[2], row[3] = t.Subject, t.Predicate, t.Object, t.Class
				return row, nil
			}))
		if err != nil {
			return fmt.Errorf("copy triples: %w", err)
		}
		c := corpus()
		b.Fingerprint, b.Records = c.Fingerprint, c.Records
		return replaceKGFromStage(ctx, tx, &b)
	})
	return b, wrap(err, "replace knowledge graph")
}

func replaceKGFromStage(ctx context.Context, tx pgx.Tx, b *KGBuild) error {
	// TRUNCATE makes readers of the graph wait for the rebuild to commit,
	// but DELETE of the old rows and the dead tuples it leaves made a
	// rebuild of 380,000 triples take 4x longer.
	if _, err := tx.Exec(ctx, `TRUNCATE kg_triples`); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `
WITH categorical AS (
	SELECT predicate FROM kg_stage WHERE class = 'category'
	GROUP BY predicate HAVING count(DISTINCT object) <= $1)
INSERT INTO kg_triples (subject, predicate, object, class, count, learnable)
SELECT subject, predicate, object, max(class), count(*),
	max(class) = 'edge' OR (max(class) = 'category' AND predicate IN (SELECT predicate FROM categorical))
FROM kg_stage GROUP BY subject, predicate, object`, b.MaxValues)
	if err != nil {
		return err
	}
	b.Triples = tag.RowsAffected()
	err = tx.QueryRow(ctx, `SELECT count(*) FROM kg_triples WHERE learnable`).Scan(&b.Learnable)
	if err != nil {
		return err
	}
	return tx.QueryRow(ctx, `
INSERT INTO kg_builds (fingerprint, records, triples, learnable, max_category_values)
VALUES ($1, $2, $3, $4, $5) RETURNING id, built_at`,
		b.Fingerprint, b.Records, b.Triples, b.Learnable, b.MaxValues).Scan(&b.ID, &b.BuiltAt)
}

// LatestKGBuild returns the build the triples table holds now.
func (s *Store) LatestKGBuild(ctx context.Context) (KGBuild, error) {
	b, err := latestKGBuild(ctx, s.pool)
	return b, wrap(err, "latest knowledge-graph build")
}

func latestKGBuild(ctx context.Context, q querier) (KGBuild, error) {
	var b KGBuild
	err := q.QueryRow(ctx, `
SELECT id, fingerprint, records, triples, learnable, max_category_values, built_at
FROM kg_builds ORDER BY id DESC LIMIT 1`).Scan(&b.ID, &b.Fingerprint, &b.Records, &b.Triples, &b.Learnable, &b.MaxValues, &b.BuiltAt)
	return b, err
}

// LearningTriples returns the learnable facts with the class of each object.
func (s *Store) LearningTriples(ctx context.Context) ([]KGTriple, error) {
	rows, err := s.pool.Query(ctx, `SELECT subject, predicate, object, class FROM kg_learning ORDER BY subject, predicate, object`)
	if err != nil {
		return nil, wrap(err, "learning triples")
	}
	ts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[KGTriple])
	return ts, wrap(err, "learning triples")
}

// querier is what a pool and a transaction have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// KnownObjects returns the objects of the corpus's facts relation(subject, ·),
// or with head false the subjects of relation(·, subject).
func (s *Store) KnownObjects(ctx context.Context, subject, relation string, head bool) (map[string]bool, error) {
	// Subjects, predicates and objects can be longer than an index key
	// holds: migration 18 indexes their first 200 characters (value_prefix),
	// which a query must name to use the index.
	q := `SELECT object FROM kg_triples
		WHERE value_prefix(subject) = value_prefix($1) AND value_prefix(predicate) = value_prefix($2)
		AND subject = $1 AND predicate = $2`
	if !head {
		q = `SELECT subject FROM kg_triples WHERE value_prefix(object) = value_prefix($1) AND object = $1 AND predicate = $2`
	}
	rows, err := s.pool.Query(ctx, q, subject, relation)
	if err != nil {
		return nil, wrap(err, "known facts of %s", subject)
	}
	out := map[string]bool{}
	var name string
	_, err = pgx.ForEachRow(rows, []any{&name}, func() error { out[name] = true; return nil })
	return out, wrap(err, "known facts of %s", subject)
}
