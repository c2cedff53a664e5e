package store

import (
	"bytes"
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
	customers := make([]string, len(records))
	for i, r := range records {
		customers[i] = r.CustomerID
	}
	// Concurrent writes of the same customer take turns, in one order, so
	// neither sees the other's half-made versions nor deadlocks.
	if _, err := tx.Exec(ctx, `
		SELECT pg_advisory_xact_lock(h)
		FROM (SELECT DISTINCT hashtextextended(c, 0) AS h FROM unnest($1::text[]) AS c) AS locks
		ORDER BY h`, customers); err != nil {
		return WriteResult{}, fmt.Errorf("lock customers: %w", err)
	}
	type currentVersion struct {
		version int
		hash    []byte
	}
	current := make(map[string]currentVersion, len(records))
	rows, err := tx.Query(ctx, `
		SELECT customer_id, version, content_hash FROM customer_records
		WHERE current AND `+customerIn("$1"), customers)
	if err != nil {
		return WriteResult{}, fmt.Errorf("current versions: %w", err)
	}
	var customer string
	var cv currentVersion
	if _, err := pgx.ForEachRow(rows, []any{&customer, &cv.version, &cv.hash}, func() error {
		current[customer] = cv
		return nil
	}); err != nil {
		return WriteResult{}, fmt.Errorf("current versions: %w", err)
	}

	// Only new and changed records travel: an unchanged re-upload sends no
	// document at all.
	var result WriteResult
	var changed, written []string
	versions := make([]int, 0, len(records))
	toWrite := make([]*NewRecord, 0, len(records))
	for i := range records {
		r := &records[i]
		cur, ok := current[r.CustomerID]
		switch {
		case !ok:
			result.Inserted++
		case bytes.Equal(cur.hash, r.ContentHash[:]):
			result.Unchanged++
			continue
		default:
			result.Updated++
			changed = append(changed, r.CustomerID)
		}
		toWrite = append(toWrite, r)
		versions = append(versions, cur.version+1)
		written = append(written, r.CustomerID)
	}
	if len(toWrite) == 0 {
		return result, nil
	}
	if len(changed) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE customer_records SET current = false WHERE current AND `+customerIn("$1"), changed); err != nil {
			return WriteResult{}, fmt.Errorf("retire changed versions: %w", err)
		}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"customer_records"},
		[]string{"customer_id", "version", "document", "content_hash", "msisdns", "file_msisdn", "source"},
		pgx.CopyFromSlice(len(toWrite), func(i int) ([]any, error) {
			r := toWrite[i]
			return []any{r.CustomerID, versions[i], json.RawMessage(r.Document), r.ContentHash[:], r.MSISDNs, r.FileMSISDN, r.Source}, nil
		}))
	if err != nil {
		return WriteResult{}, fmt.Errorf("copy: %w", err)
	}
	if enqueue == nil {
		return result, nil
	}
	rows, err = tx.Query(ctx, `SELECT id FROM customer_records WHERE current AND `+customerIn("$1")+` ORDER BY id`, written)
	if err != nil {
		return WriteResult{}, fmt.Errorf("ids of new versions: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return WriteResult{}, fmt.Errorf("ids of new versions: %w", err)
	}
	if err := enqueue(ctx, tx, ids); err != nil {
		return WriteResult{}, fmt.Errorf("enqueue: %w", err)
	}
	return result, nil
}

// Customer ids and MSISDNs can be as long as a record's strings, more than
// an index key holds, so the indexes of migration 18 key them by
// value_key (SHA-256) and value_prefixes (the first 200 characters). A
// query names the same expression to use the index, and compares the whole
// value too.

// customerIn is the condition that customer_id is one of the text array
// param.
func customerIn(param string) string {
	return fmt.Sprintf(`value_key(customer_id) = ANY(ARRAY(SELECT value_key(c) FROM unnest(%[1]s::text[]) AS c)) AND customer_id = ANY(%[1]s)`, param)
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
		WHERE value_key(c.customer_id) = (SELECT value_key(customer_id) FROM customer_records WHERE id = $1)
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
