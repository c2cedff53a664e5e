package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store runs PFF's queries on a pool.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool is the store's pool, for River and health checks.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// JobCount is how many River jobs of one kind are in one state.
type JobCount struct {
	Kind  string
	State string
	Count int64
}

// JobCounts counts River's jobs by kind and state.
func (s *Store) JobCounts(ctx context.Context) ([]JobCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT kind, state::text, count(*) FROM river_job GROUP BY 1, 2 ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("store: count jobs: %w", err)
	}
	counts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[JobCount])
	if err != nil {
		return nil, fmt.Errorf("store: count jobs: %w", err)
	}
	return counts, nil
}

// PruneAuditLog deletes audit entries older than the cutoff and says how many.
func (s *Store) PruneAuditLog(ctx context.Context, olderThanDays int) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM audit_log WHERE occurred_at < now() - make_interval(days => $1)`, olderThanDays)
	if err != nil {
		return 0, fmt.Errorf("store: prune audit log: %w", err)
	}
	return tag.RowsAffected(), nil
}
