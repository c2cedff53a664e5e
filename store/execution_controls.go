package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrExecutionState refuses a control that the execution's state does not
// allow, such as resuming one that is not paused.
var ErrExecutionState = errors.New("not possible in the execution's state")

func nowUTC() time.Time { return time.Now().UTC() }

// control runs fn on the locked execution and saves its state, counters and
// an execution event, in one transaction.
func (s *Store) control(ctx context.Context, id int64, what string, fn func(tx pgx.Tx, e *Execution) error) (Execution, error) {
	var e Execution
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if e, err = lockExecution(ctx, tx, id); err != nil {
			return err
		}
		if err := fn(tx, &e); err != nil {
			return err
		}
		if err := saveExecutionState(ctx, tx, &e); err != nil {
			return err
		}
		if err := appendEvents(ctx, tx, id, []NewEvent{executionEvent(e)}); err != nil {
			return err
		}
		e, err = executionByID(ctx, tx, id)
		return err
	})
	return e, wrap(err, "%s execution %d", what, id)
}

func stateError(e *Execution, what string) error {
	return fmt.Errorf("%s an execution that is %s: %w", what, e.State, ErrExecutionState)
}

// CancelExecution stops an execution: lines not yet running are cancelled at
// once, running lines at their next step boundary (they see the state).
func (s *Store) CancelExecution(ctx context.Context, id int64) (Execution, error) {
	return s.control(ctx, id, "cancel", func(tx pgx.Tx, e *Execution) error {
		if e.Final() {
			return stateError(e, "cancel")
		}
		e.State = ExecCancelled
		// A line a job is claiming this instant holds its row and waits for
		// the execution's, which this holds: it is skipped, and cancelled by
		// its run at its first step.
		tag, err := tx.Exec(ctx, `UPDATE execution_lines SET state = 'cancelled', job_id = NULL, finished_at = clock_timestamp(),
			updated_at = clock_timestamp()
			WHERE id IN (SELECT id FROM execution_lines WHERE execution_id = $1 AND state IN ('queued', 'waiting_approval')
				FOR NO KEY UPDATE SKIP LOCKED)`, id)
		if err != nil {
			return err
		}
		e.countFinal(LineCancelled, int(tag.RowsAffected()))
		if e.Done >= e.Lines {
			e.finish()
		}
		return nil
	})
}

// PauseExecution stops starting steps: each running line stops at its next
// step boundary and goes back to the queue.
func (s *Store) PauseExecution(ctx context.Context, id int64, reason string) (Execution, error) {
	return s.control(ctx, id, "pause", func(_ pgx.Tx, e *Execution) error {
		if e.State != ExecRunning {
			return stateError(e, "pause")
		}
		e.State, e.PausedReason = ExecPaused, reason
		return nil
	})
}

// ResumeExecution runs a paused execution on, past its canary, queueing its
// waiting lines.
func (s *Store) ResumeExecution(ctx context.Context, id int64, enqueue LineEnqueueFunc) (Execution, error) {
	return s.control(ctx, id, "resume", func(tx pgx.Tx, e *Execution) error {
		if e.State != ExecPaused {
			return stateError(e, "resume")
		}
		e.State, e.PausedReason, e.CanaryPassed = ExecRunning, "", true
		return enqueueLines(ctx, tx, id, nil, enqueue)
	})
}

// ApproveExecution lets an execution that waited for a second person run,
// queueing its lines.
func (s *Store) ApproveExecution(ctx context.Context, id int64, by string, enqueue LineEnqueueFunc) (Execution, error) {
	return s.control(ctx, id, "approve", func(tx pgx.Tx, e *Execution) error {
		if e.State != ExecAwaitingApproval {
			return stateError(e, "approve")
		}
		e.State, e.ApprovedBy = ExecRunning, by
		if _, err := tx.Exec(ctx, `UPDATE executions SET approved_by = $2, started_at = coalesce(started_at, clock_timestamp()) WHERE id = $1`, id, by); err != nil {
			return err
		}
		return enqueueLines(ctx, tx, id, nil, enqueue)
	})
}

// ApplyPlan turns a finished plan into a run of the same lines: a new
// generation of each line's journal, compared with the plan's as it goes.
// awaitApproval keeps it waiting for a second person first.
func (s *Store) ApplyPlan(ctx context.Context, id int64, awaitApproval bool, enqueue LineEnqueueFunc) (Execution, error) {
	return s.control(ctx, id, "apply", func(tx pgx.Tx, e *Execution) error {
		if e.Mode != "plan" || e.State != ExecPlanned {
			return stateError(e, "apply")
		}
		e.Mode, e.Generation = "run", e.Generation+1
		e.Done, e.Succeeded, e.Failed, e.NeedsReview, e.Cancelled, e.FinishedAt = 0, 0, 0, 0, 0, nil
		e.State = ExecRunning
		if awaitApproval {
			e.State = ExecAwaitingApproval
		}
		if _, err := tx.Exec(ctx, `UPDATE executions SET mode = 'run', generation = $2, started_at = clock_timestamp() WHERE id = $1`,
			id, e.Generation); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE execution_lines SET state = 'queued', generation = $2, job_id = NULL, error_code = '',
			error_message = '', stopped_at = '', observations = '', artefacts = '{}', started_at = NULL, finished_at = NULL,
			updated_at = clock_timestamp() WHERE execution_id = $1`, id, e.Generation); err != nil {
			return err
		}
		if awaitApproval {
			return nil
		}
		return enqueueLines(ctx, tx, id, nil, enqueue)
	})
}

// RetryLines queues again the lines of an execution that failed or need
// review (all of them, or those listed), from where they stopped: their
// journals keep what was done.
func (s *Store) RetryLines(ctx context.Context, id int64, lineIDs []int64, enqueue LineEnqueueFunc) (Execution, int, error) {
	retried := 0
	e, err := s.control(ctx, id, "retry lines of", func(tx pgx.Tx, e *Execution) error {
		if e.State == ExecCancelled || e.State == ExecAwaitingApproval || e.Mode == "plan" {
			return stateError(e, "retry lines of")
		}
		rows, err := tx.Query(ctx, `
			UPDATE execution_lines SET state = 'queued', job_id = NULL, error_code = '', error_message = '', stopped_at = '',
				finished_at = NULL, updated_at = clock_timestamp()
			FROM (SELECT id, state AS was FROM execution_lines WHERE execution_id = $1 AND state IN ('failed', 'needs_review')
				AND (coalesce(cardinality($2::bigint[]), 0) = 0 OR id = ANY($2)) FOR UPDATE) old
			WHERE execution_lines.id = old.id
			RETURNING old.was`, id, lineIDs)
		if err != nil {
			return err
		}
		states, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, was := range states {
			e.countFinal(was, -1)
		}
		retried = len(states)
		if retried == 0 {
			return nil
		}
		if e.Final() {
			e.State, e.FinishedAt = ExecRunning, nil
		}
		return enqueueLines(ctx, tx, id, lineIDs, enqueue)
	})
	return e, retried, err
}

// ApproveStep records a person's approval of a line's approve step and
// queues the line to go on from it.
func (s *Store) ApproveStep(ctx context.Context, lineID int64, key, by string, enqueue LineEnqueueFunc) (Line, error) {
	var l Line
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE line_steps SET state = 'approved', actor = $3, completed_at = clock_timestamp()
			WHERE line_id = $1 AND key = $2 AND state = 'awaiting_approval'
				AND generation = (SELECT generation FROM execution_lines WHERE id = $1)`, lineID, key, by)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("no step %q waits for approval: %w", key, ErrNotFound)
		}
		l, err = scanLine(tx.QueryRow(ctx, `UPDATE execution_lines l SET state = 'queued', updated_at = clock_timestamp()
			WHERE id = $1 AND state = 'waiting_approval' RETURNING `+lineColumns, lineID))
		if err != nil {
			return err
		}
		if err := appendEvents(ctx, tx, l.ExecutionID, []NewEvent{lineEvent(l.ID, l.LineNo, l.MSISDN, LineQueued, "")}); err != nil {
			return err
		}
		return enqueue(ctx, tx, []int64{lineID})
	})
	return l, wrap(err, "approve step %q of line %d", key, lineID)
}
