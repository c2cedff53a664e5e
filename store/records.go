package store

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// NewRecord is a customer record ready to be written.
type NewRecord struct {
	CustomerID string
	// Document is the record's compact JSON.
	Document []byte
	// ContentHash is the SHA-256 of Document: equal hashes are an unchanged
	// record.
	ContentHash [32]byte
	// MSISDNs are every number the record holds, plus FileMSISDN.
	MSISDNs []string
	// FileMSISDN is the number in the uploaded file's name, or "".
	FileMSISDN string
	// Source names where the record came from: a file name, an archive member.
	Source string
}

// WriteResult counts what a write did with its records.
type WriteResult struct {
	// Inserted are customers seen for the first time.
	Inserted int `json:"inserted"`
	// Updated are customers whose record changed: a new version is current.
	Updated int `json:"updated"`
	// Unchanged are records identical to the current version.
	Unchanged int `json:"unchanged"`
}

// Add returns the sum of both counts.
func (r WriteResult) Add(o WriteResult) WriteResult {
	return WriteResult{Inserted: r.Inserted + o.Inserted, Updated: r.Updated + o.Updated, Unchanged: r.Unchanged + o.Unchanged}
}

// EnqueueFunc queues work for the record versions a write created, inside the
// write's transaction, so a version never exists without its work queued.
type EnqueueFunc func(ctx context.Context, tx pgx.Tx, recordIDs []int64) error

// WriteRecords writes a batch of records in one transaction: a new customer
// gets version 1, a changed record a new current version (the old one is
// kept), an unchanged one nothing; then enqueue runs for the created versions.
// Either all of it happens or, on any error, none. Customer ids must be
// distinct within a batch.
func (s *Store) WriteRecords(ctx context.Context, records []NewRecord, enqueue EnqueueFunc) (WriteResult, error) {
	if len(records) == 0 {
		return WriteResult{}, nil
	}
	var result WriteResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		result, err = writeRecords(ctx, tx, records, enqueue)
		return err
	})
	if err != nil {
		return WriteResult{}, wrap(err, "write %d records", len(records))
	}
	return result, nil
}

func writeRecords(ctx context.Context, tx pgx.Tx, records []NewRecord, enqueue EnqueueFunc) (WriteResult, error) {
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE staged_records (
			customer_id  text NOT NULL PRIMARY KEY,
			document     jsonb NOT NULL,
			content_hash bytea NOT NULL,
			msisdns      text[] NOT NULL,
			file_msisdn  text NOT NULL,
			source       text NOT NULL
		) ON COMMIT DROP`); err != nil {
		return WriteResult{}, fmt.Errorf("stage: %w", err)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"staged_records"},
		[]string{"customer_id", "document", "content_hash", "msisdns", "file_msisdn", "source"},
		pgx.CopyFromSlice(len(records), func(i int) ([]any, error) {
			r := &records[i]
			return []any{r.CustomerID, json.RawMessage(r.Document), r.ContentHash[:], r.MSISDNs, r.FileMSISDN, r.Source}, nil
		}))
	if err != nil {
		return WriteResult{}, fmt.Errorf("copy: %w", err)
	}
	// Concurrent writes of the same customer take turns, in one order, so
	// neither sees the other's half-made versions nor deadlocks.
	if _, err := tx.Exec(ctx, `
		SELECT pg_advisory_xact_lock(hashtextextended(customer_id, 0))
		FROM staged_records ORDER BY hashtextextended(customer_id, 0)`); err != nil {
		return WriteResult{}, fmt.Errorf("lock customers: %w", err)
	}
	if _, err := tx.Exec(ctx, `
		UPDATE customer_records c SET current = false
		FROM staged_records s
		WHERE c.customer_id = s.customer_id AND c.current AND c.content_hash <> s.content_hash`); err != nil {
		return WriteResult{}, fmt.Errorf("retire changed versions: %w", err)
	}
	// Customers left without a current version are the new and the changed.
	rows, err := tx.Query(ctx, `
		INSERT INTO customer_records (customer_id, version, document, content_hash, msisdns, file_msisdn, source)
		SELECT s.customer_id,
			coalesce((SELECT max(version) FROM customer_records c WHERE c.customer_id = s.customer_id), 0) + 1,
			s.document, s.content_hash, s.msisdns, s.file_msisdn, s.source
		FROM staged_records s
		WHERE NOT EXISTS (SELECT FROM customer_records c WHERE c.customer_id = s.customer_id AND c.current)
		RETURNING id, version`)
	if err != nil {
		return WriteResult{}, fmt.Errorf("insert versions: %w", err)
	}
	var ids []int64
	var result WriteResult
	var id int64
	var version int
	_, err = pgx.ForEachRow(rows, []any{&id, &version}, func() error {
		ids = append(ids, id)
		if version == 1 {
			result.Inserted++
		} else {
			result.Updated++
		}
		return nil
	})
	if err != nil {
		return WriteResult{}, fmt.Errorf("insert versions: %w", err)
	}
	result.Unchanged = len(records) - len(ids)
	if len(ids) > 0 && enqueue != nil {
		if err := enqueue(ctx, tx, ids); err != nil {
			return WriteResult{}, fmt.Errorf("enqueue: %w", err)
		}
	}
	return result, nil
}

// Record is one version of a customer's record, with its latest validation.
type Record struct {
	ID          int64     `json:"id"`
	CustomerID  string    `json:"customer_id"`
	Version     int       `json:"version"`
	Current     bool      `json:"current"`
	MSISDNs     []string  `json:"msisdns"`
	FileMSISDN  string    `json:"file_msisdn,omitempty"`
	ContentHash string    `json:"content_hash"`
	Source      string    `json:"source"`
	CreatedAt   time.Time `json:"created_at"`
	// Decision and Score are the latest report's; nil before the first.
	Decision *string  `json:"decision"`
	Score    *float64 `json:"score"`
	// Document is the record itself, when asked for.
	Document json.RawMessage `json:"document,omitempty"`
}

const recordColumns = `c.id, c.customer_id, c.version, c.current, c.msisdns, c.file_msisdn,
	c.content_hash, c.source, c.created_at, r.decision, r.score`

const recordFrom = `customer_records c
	LEFT JOIN validation_reports r ON r.record_id = c.id AND r.latest`

func scanRecord(row pgx.Row, extra ...any) (Record, error) {
	var rec Record
	var hash []byte
	err := row.Scan(append([]any{&rec.ID, &rec.CustomerID, &rec.Version, &rec.Current, &rec.MSISDNs, &rec.FileMSISDN,
		&hash, &rec.Source, &rec.CreatedAt, &rec.Decision, &rec.Score}, extra...)...)
	rec.ContentHash = hex.EncodeToString(hash)
	return rec, err
}

// RecordByID returns a record version with its document.
func (s *Store) RecordByID(ctx context.Context, id int64) (Record, error) {
	var doc []byte
	rec, err := scanRecord(s.pool.QueryRow(ctx,
		`SELECT `+recordColumns+`, c.document FROM `+recordFrom+` WHERE c.id = $1`, id), &doc)
	if err != nil {
		return Record{}, wrap(err, "record %d", id)
	}
	rec.Document = doc
	return rec, nil
}

// RecordVersions returns every version of the customer of record id, newest
// first, without documents.
func (s *Store) RecordVersions(ctx context.Context, id int64) ([]Record, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+recordColumns+` FROM `+recordFrom+`
		WHERE c.customer_id = (SELECT customer_id FROM customer_records WHERE id = $1)
		ORDER BY c.version DESC`, id)
	if err != nil {
		return nil, wrap(err, "versions of record %d", id)
	}
	recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Record, error) { return scanRecord(row) })
	if err != nil {
		return nil, wrap(err, "versions of record %d", id)
	}
	if len(recs) == 0 {
		return nil, wrap(pgx.ErrNoRows, "versions of record %d", id)
	}
	return recs, nil
}

// RecordDocument is what validating a record needs.
type RecordDocument struct {
	ID         int64
	CustomerID string
	Document   []byte
}

// RecordDocuments returns the documents of the records with these ids; ids
// that do not exist are left out.
func (s *Store) RecordDocuments(ctx context.Context, ids []int64) ([]RecordDocument, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT id, customer_id, document FROM customer_records WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, wrap(err, "documents of %d records", len(ids))
	}
	docs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[RecordDocument])
	if err != nil {
		return nil, wrap(err, "documents of %d records", len(ids))
	}
	return docs, nil
}
