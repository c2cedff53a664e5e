package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ChildJobCounts counts, by state, the jobs whose arguments name parentID
// as their parent_id (River's GIN index on args finds them).
func (s *Store) ChildJobCounts(ctx context.Context, parentID int64) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `
SELECT state::text, count(*)::int FROM river_job WHERE args @> jsonb_build_object('parent_id', $1::bigint) GROUP BY 1`, parentID)
	if err != nil {
		return nil, wrap(err, "count the jobs of job %d", parentID)
	}
	counts := map[string]int{}
	var state string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&state, &n}, func() error {
		counts[state] = n
		return nil
	})
	return counts, wrap(err, "count the jobs of job %d", parentID)
}

// SetJobOutputWith runs fn in a transaction that also sets the output of
// the running job jobID, so that what fn did and the output that says so
// are written together.
func (s *Store) SetJobOutputWith(ctx context.Context, jobID int64, output json.RawMessage, fn func(context.Context, pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := fn(ctx, tx); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
UPDATE river_job SET metadata = jsonb_set(metadata, '{output}', $2::jsonb) WHERE id = $1 AND state = 'running'`, jobID, output)
		if err == nil && tag.RowsAffected() == 0 {
			err = fmt.Errorf("job %d is not running", jobID)
		}
		return err
	})
	return wrap(err, "set the output of job %d", jobID)
}
