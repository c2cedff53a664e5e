package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// JobAge is how long the oldest River job of one kind has been in one state:
// an available job since it became runnable (its scheduled_at), a running
// one since its attempt started.
type JobAge struct {
	Kind  string
	State string
	Age   time.Duration
}

// JobAges says, per kind, how long the oldest available job has waited and
// how long the oldest running job has run. Kinds with neither are absent.
func (s *Store) JobAges(ctx context.Context) ([]JobAge, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT kind, state::text,
		       extract(epoch FROM clock_timestamp() - min(CASE WHEN state = 'running' THEN attempted_at ELSE scheduled_at END))::float8
		FROM river_job WHERE state IN ('available', 'running')
		GROUP BY 1, 2 ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("store: job ages: %w", err)
	}
	ages, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (JobAge, error) {
		var a JobAge
		var seconds *float64
		if err := row.Scan(&a.Kind, &a.State, &seconds); err != nil {
			return a, err
		}
		if seconds != nil && *seconds > 0 {
			a.Age = time.Duration(*seconds * float64(time.Second))
		}
		return a, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: job ages: %w", err)
	}
	return ages, nil
}

// ModelStates lists the states a model of the registry may be in.
func ModelStates() []string { return []string{ModelTraining, ModelReady, ModelFailed, ModelActive} }

// ModelCounts counts the models of the registry by state; every state is
// present, with 0 when no model is in it.
func (s *Store) ModelCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT state, count(*) FROM models GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("store: count models: %w", err)
	}
	counts := map[string]int64{}
	for _, state := range ModelStates() {
		counts[state] = 0
	}
	var (
		state string
		n     int64
	)
	_, err = pgx.ForEachRow(rows, []any{&state, &n}, func() error {
		counts[state] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: count models: %w", err)
	}
	return counts, nil
}

// LineStates lists the states a line of an execution may be in.
func LineStates() []string {
	return []string{LineQueued, LineRunning, LineWaitingApproval, LineSucceeded, LineFailed, LineNeedsReview, LineCancelled}
}
