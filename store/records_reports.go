package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// NewReport is the validation of one record version, to be stored.
type NewReport struct {
	RecordID int64
	Decision string
	Score    float64
	// Violated are the ids of the rules and checks the record violates.
	Violated []string
	// Report and Versions are JSON: the whole report, and what made it.
	Report   []byte
	Versions []byte
}

// Report is a stored validation report.
type Report struct {
	ID        int64           `json:"id"`
	RecordID  int64           `json:"record_id"`
	Latest    bool            `json:"latest"`
	Decision  string          `json:"decision"`
	Score     float64         `json:"score"`
	Violated  []string        `json:"violated"`
	Report    json.RawMessage `json:"report"`
	Versions  json.RawMessage `json:"versions"`
	CreatedAt time.Time       `json:"created_at"`
}

// SaveReports stores reports in one transaction; each becomes its record's
// latest, the earlier ones are kept. Record ids must be distinct.
func (s *Store) SaveReports(ctx context.Context, reports []NewReport) error {
	if len(reports) == 0 {
		return nil
	}
	ids := make([]int64, len(reports))
	for i, r := range reports {
		ids[i] = r.RecordID
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE validation_reports SET latest = false WHERE record_id = ANY($1) AND latest`, ids); err != nil {
			return fmt.Errorf("retire earlier reports: %w", err)
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"validation_reports"},
			[]string{"record_id", "decision", "score", "violated", "report", "versions"},
			pgx.CopyFromSlice(len(reports), func(i int) ([]any, error) {
				r := &reports[i]
				return []any{r.RecordID, r.Decision, r.Score, r.Violated, json.RawMessage(r.Report), json.RawMessage(r.Versions)}, nil
			}))
		return err
	})
	return wrap(err, "save %d reports", len(reports))
}

// LatestReport returns the latest report of record id.
func (s *Store) LatestReport(ctx context.Context, recordID int64) (Report, error) {
	var r Report
	err := s.pool.QueryRow(ctx, `
		SELECT id, record_id, latest, decision, score, violated, report, versions, created_at
		FROM validation_reports WHERE record_id = $1 AND latest`, recordID).
		Scan(&r.ID, &r.RecordID, &r.Latest, &r.Decision, &r.Score, &r.Violated, &r.Report, &r.Versions, &r.CreatedAt)
	if err != nil {
		return Report{}, wrap(err, "report of record %d", recordID)
	}
	return r, nil
}

// RecordStats summarises the current records' latest reports.
type RecordStats struct {
	// Records counts current records; Unvalidated those without a report.
	Records     int64            `json:"records"`
	Unvalidated int64            `json:"unvalidated"`
	Decisions   map[string]int64 `json:"decisions"`
	// MostViolated are the rules and checks violated by the most records.
	MostViolated []RuleCount `json:"most_violated"`
}

// RuleCount is how many current records violate a rule or check.
type RuleCount struct {
	Rule    string `json:"rule"`
	Records int64  `json:"records"`
}

// RecordStats counts current records by decision and the top rules they
// violate.
func (s *Store) RecordStats(ctx context.Context, top int) (RecordStats, error) {
	stats := RecordStats{Decisions: map[string]int64{}, MostViolated: []RuleCount{}}
	rows, err := s.pool.Query(ctx, `
		SELECT coalesce(r.decision, ''), count(*)
		FROM `+recordFrom+` WHERE c.current GROUP BY 1`)
	if err != nil {
		return RecordStats{}, wrap(err, "count decisions")
	}
	var decision string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&decision, &n}, func() error {
		stats.Records += n
		if decision == "" {
			stats.Unvalidated = n
		} else {
			stats.Decisions[decision] = n
		}
		return nil
	})
	if err != nil {
		return RecordStats{}, wrap(err, "count decisions")
	}
	rows, err = s.pool.Query(ctx, `
		SELECT v.rule, count(*)
		FROM customer_records c
		JOIN validation_reports r ON r.record_id = c.id AND r.latest
		CROSS JOIN unnest(r.violated) AS v(rule)
		WHERE c.current
		GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $1`, top)
	if err != nil {
		return RecordStats{}, wrap(err, "count violated rules")
	}
	counts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[RuleCount])
	if err != nil {
		return RecordStats{}, wrap(err, "count violated rules")
	}
	stats.MostViolated = append(stats.MostViolated, counts...)
	return stats, nil
}
