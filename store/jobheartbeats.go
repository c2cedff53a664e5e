package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// JobLease is a job a worker process is running, in one attempt.
type JobLease struct {
	JobID   int64
	Attempt int
}

// BeatJobs records that this process still runs the leased jobs, and
// returns the ids of those still running in the attempt it holds. A job
// missing from the answer has been handed to another worker, cancelled or
// finished: its worker should stop.
func (s *Store) BeatJobs(ctx context.Context, leases []JobLease) ([]int64, error) {
	ids := make([]int64, len(leases))
	attempts := make([]int32, len(leases))
	for i, l := range leases {
		ids[i], attempts[i] = l.JobID, int32(l.Attempt) // #nosec G115 -- River's attempts fit a smallint
	}
	rows, err := s.pool.Query(ctx, `
WITH held AS (SELECT * FROM unnest($1::bigint[], $2::int[]) AS h (job_id, attempt))
INSERT INTO job_heartbeats (job_id, attempt, beat_at)
SELECT h.job_id, h.attempt, now()
FROM held h JOIN river_job j ON j.id = h.job_id AND j.state = 'running' AND j.attempt = h.attempt
ON CONFLICT (job_id) DO UPDATE SET attempt = excluded.attempt, beat_at = excluded.beat_at
RETURNING job_id`, ids, attempts)
	if err != nil {
		return nil, wrap(err, "beat %d jobs", len(leases))
	}
	alive, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return alive, wrap(err, "beat %d jobs", len(leases))
}

// ReapedJob is a running job whose worker stopped beating, and the state
// ReapStaleJobs gave it.
type ReapedJob struct {
	ID      int64
	Kind    string
	Attempt int
	State   string
}

// StaleJobError is the attempt error ReapStaleJobs records.
const StaleJobError = "worker stopped: no heartbeat, so the job was handed back to the queue"

// ReapStaleJobs hands back to the queue, at most limit at a time, the jobs
// still running whose heartbeat (or, before their first, their start) is
// older than staleAfter: their worker died. Each becomes available at once,
// or discarded when out of attempts, or cancelled when a cancel was asked
// for, with the attempt's error recorded as River's own rescuer records it.
// Rows locked by another reaper are left to it. Heartbeats of jobs no
// longer running are deleted.
func (s *Store) ReapStaleJobs(ctx context.Context, staleAfter time.Duration, limit int) ([]ReapedJob, error) {
	rows, err := s.pool.Query(ctx, `
WITH stale AS (
	SELECT j.id
	FROM river_job j
	LEFT JOIN job_heartbeats h ON h.job_id = j.id AND h.attempt = j.attempt
	WHERE j.state = 'running' AND coalesce(h.beat_at, j.attempted_at, j.created_at) < now() - make_interval(secs => $1)
	ORDER BY j.id
	LIMIT $2
	FOR UPDATE OF j SKIP LOCKED
), decided AS (
	SELECT j.id, CASE
		WHEN j.metadata ? 'cancel_attempted_at' THEN 'cancelled'
		WHEN j.attempt >= j.max_attempts THEN 'discarded'
		ELSE 'available' END AS state
	FROM river_job j JOIN stale USING (id)
)
UPDATE river_job j SET
	state = d.state::river_job_state,
	finalized_at = CASE WHEN d.state = 'available' THEN NULL ELSE now() END,
	scheduled_at = CASE WHEN d.state = 'available' THEN now() ELSE j.scheduled_at END,
	errors = array_append(j.errors, jsonb_build_object('at', now(), 'attempt', j.attempt, 'error', $3::text, 'trace', ''))
FROM decided d
WHERE j.id = d.id
RETURNING j.id, j.kind, j.attempt::int, j.state::text`, staleAfter.Seconds(), limit, StaleJobError)
	if err != nil {
		return nil, wrap(err, "reap stale jobs")
	}
	reaped, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ReapedJob])
	if err != nil {
		return nil, wrap(err, "reap stale jobs")
	}
	_, err = s.pool.Exec(ctx, `
DELETE FROM job_heartbeats h
WHERE NOT EXISTS (SELECT 1 FROM river_job j WHERE j.id = h.job_id AND j.state = 'running' AND j.attempt = h.attempt)`)
	return reaped, wrap(err, "delete heartbeats of finished jobs")
}
