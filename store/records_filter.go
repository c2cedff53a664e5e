package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// RecordFilter selects current records; empty fields match everything.
type RecordFilter struct {
	MSISDN     string
	CustomerID string
	// Decision is the latest report's: ACCEPT, REVIEW or REJECT.
	Decision string
	// Rule is the id of a rule or check the latest report found violated.
	Rule string
	// AfterID pages: only records with a greater id.
	AfterID int64
	// Limit caps the rows; 0 means no limit.
	Limit int
}

// where builds the filter's FROM and WHERE, recordFrom with the filter's
// conditions. Only the filters in use appear, so each query shape gets a
// plan that uses its index.
func (f RecordFilter) where() (string, []any) {
	conds := []string{"c.current"}
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.MSISDN != "" {
		// The keys of migration 18; see customerIn.
		add("value_prefixes(c.msisdns) @> ARRAY[value_prefix($%[1]d::text)] AND c.msisdns @> ARRAY[$%[1]d::text]", f.MSISDN)
	}
	if f.CustomerID != "" {
		add("value_key(c.customer_id) = value_key($%[1]d::text) AND c.customer_id = $%[1]d", f.CustomerID)
	}
	if f.Decision != "" {
		add("r.decision = $%d", f.Decision)
	}
	if f.Rule != "" {
		add("r.violated @> ARRAY[$%d::text]", f.Rule)
	}
	join := ""
	if f.AfterID > 0 {
		add("c.id > $%d", f.AfterID)
		// The reports' bound too: a merge join would otherwise read every
		// latest report before the page (50,000 of them on page 1,000).
		join = fmt.Sprintf(" AND r.record_id > $%d", len(args))
	}
	query := recordFrom + join + " WHERE " + strings.Join(conds, " AND ") + " ORDER BY c.id"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		query += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	return query, args
}

// ListRecords returns the current records that match f, by id, without
// documents.
func (s *Store) ListRecords(ctx context.Context, f RecordFilter) ([]Record, error) {
	where, args := f.where()
	rows, err := s.pool.Query(ctx, `SELECT `+recordColumns+` FROM `+where, args...)
	if err != nil {
		return nil, wrap(err, "list records")
	}
	recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Record, error) { return scanRecord(row) })
	if err != nil {
		return nil, wrap(err, "list records")
	}
	return recs, nil
}

// ListRecordIDs returns the ids of the current records that match f, in order.
func (s *Store) ListRecordIDs(ctx context.Context, f RecordFilter) ([]int64, error) {
	where, args := f.where()
	rows, err := s.pool.Query(ctx, `SELECT c.id FROM `+where, args...)
	if err != nil {
		return nil, wrap(err, "list record ids")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, wrap(err, "list record ids")
	}
	return ids, nil
}
