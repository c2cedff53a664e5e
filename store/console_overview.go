package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// RecordOverview summarises the current records in one pass: decisions,
// the distribution of scores, and decisions over the time records came in.
type RecordOverview struct {
	Records     int64
	Unvalidated int64
	Decisions   map[string]int64
	// Scores counts validated records by score, in equal bins of [0, 1].
	Scores []int64
	// Trend counts records by the bucket of their ingest time (Bucket wide,
	// oldest first) and latest decision ("" for none yet).
	Trend  []TrendBucket
	Bucket time.Duration
}

// TrendBucket is the records ingested in one bucket of time, by decision.
type TrendBucket struct {
	Start     time.Time
	Decisions map[string]int64
}

// RecordOverview counts the current records by decision, score bin (bins
// of them) and ingest time (about buckets buckets of whole hours or days).
func (s *Store) RecordOverview(ctx context.Context, bins, buckets int) (RecordOverview, error) {
	o := RecordOverview{Decisions: map[string]int64{}, Scores: make([]int64, bins)}
	// The stride is whole hours, or whole days past a day, so buckets read
	// as times; the span is the current records' ingest times.
	rows, err := s.pool.Query(ctx, `
		WITH cur AS MATERIALIZED (
			SELECT c.created_at, r.decision, r.score
			FROM customer_records c LEFT JOIN validation_reports r ON r.record_id = c.id AND r.latest
			WHERE c.current
		), span AS (
			SELECT min(created_at) AS lo, extract(epoch FROM max(created_at) - min(created_at)) / 3600 / $2 AS hours FROM cur
		), stride AS (
			SELECT date_trunc('hour', lo) AS lo, CASE WHEN hours > 24 THEN ceil(hours / 24) * interval '1 day'
				ELSE greatest(1, ceil(hours)) * interval '1 hour' END AS w
			FROM span
		)
		SELECT date_bin(s.w, cur.created_at, s.lo), extract(epoch FROM s.w)::bigint, coalesce(cur.decision, ''),
			CASE WHEN cur.score IS NULL THEN -1 ELSE least(floor(cur.score * $1)::int, $1 - 1) END, count(*)
		FROM cur, stride s
		GROUP BY 1, 2, 3, 4 ORDER BY 1`, bins, buckets)
	if err != nil {
		return RecordOverview{}, wrap(err, "record overview")
	}
	var (
		start    time.Time
		stride   int64
		decision string
		bin      int
		n        int64
	)
	_, err = pgx.ForEachRow(rows, []any{&start, &stride, &decision, &bin, &n}, func() error {
		o.Records += n
		if decision == "" {
			o.Unvalidated += n
		} else {
			o.Decisions[decision] += n
		}
		if bin >= 0 && bin < bins {
			o.Scores[bin] += n
		}
		o.Bucket = time.Duration(stride) * time.Second
		if len(o.Trend) == 0 || !o.Trend[len(o.Trend)-1].Start.Equal(start) {
			o.Trend = append(o.Trend, TrendBucket{Start: start, Decisions: map[string]int64{}})
		}
		o.Trend[len(o.Trend)-1].Decisions[decision] += n
		return nil
	})
	if err != nil {
		return RecordOverview{}, wrap(err, "record overview")
	}
	return o, nil
}

// FindingCount is a rule, check, constraint or model finding, what kind of
// finding it is, and how many current records have it.
type FindingCount struct {
	ID string
	// Source is rule, check, constraint or model; Category the kind of
	// fault; both as a report holding the finding names them.
	Source   string
	Category string
	Records  int64
}

// TopFindings returns the findings of the most current records, each with
// its source and category read from one report that has it.
func (s *Store) TopFindings(ctx context.Context, top int) ([]FindingCount, error) {
	rows, err := s.pool.Query(ctx, `
		WITH top AS (
			SELECT v.rule, count(*) AS n
			FROM customer_records c
			JOIN validation_reports r ON r.record_id = c.id AND r.latest
			CROSS JOIN unnest(r.violated) AS v(rule)
			WHERE c.current
			GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $1
		)
		SELECT top.rule, coalesce(k.source, ''), coalesce(k.category, ''), top.n
		FROM top LEFT JOIN LATERAL (
			SELECT v->>'source' AS source, v->>'category' AS category
			FROM validation_reports r, jsonb_array_elements(r.report->'violations') AS v
			WHERE r.latest AND r.violated @> ARRAY[top.rule] AND v->>'id' = top.rule
			LIMIT 1
		) k ON true
		ORDER BY top.n DESC, top.rule`, top)
	if err != nil {
		return nil, wrap(err, "top findings")
	}
	counts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[FindingCount])
	if err != nil {
		return nil, wrap(err, "top findings")
	}
	return counts, nil
}
