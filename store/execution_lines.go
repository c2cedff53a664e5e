package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ErrLineTaken is returned by ClaimLine for a line another job holds or
// that is no longer queued.
var ErrLineTaken = errors.New("the line is held by another job or not queued")

// ClaimLine takes a queued line for job jobID, or takes back the line the
// same job held before its worker died (River retries a rescued job with
// its id). It returns the line and its execution.
func (s *Store) ClaimLine(ctx context.Context, lineID, jobID int64) (Line, Execution, error) {
	var l Line
	var e Execution
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		l, err = scanLine(tx.QueryRow(ctx, `
			UPDATE execution_lines l SET state = 'running', job_id = $2, started_at = coalesce(started_at, clock_timestamp()),
				updated_at = clock_timestamp()
			WHERE id = $1 AND (state = 'queued' OR state = 'running' AND job_id = $2)
			RETURNING `+lineColumns, lineID, jobID))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrLineTaken
		}
		if err != nil {
			return err
		}
		if e, err = executionByID(ctx, tx, l.ExecutionID); err != nil {
			return err
		}
		return appendEvents(ctx, tx, l.ExecutionID, []NewEvent{lineEvent(l.ID, l.LineNo, l.MSISDN, LineRunning, "")})
	})
	if errors.Is(err, ErrLineTaken) {
		return l, e, fmt.Errorf("store: claim line %d: %w", lineID, ErrLineTaken)
	}
	return l, e, wrap(err, "claim line %d", lineID)
}

func lineEvent(id int64, no int, msisdn, state, errorCode string) NewEvent {
	data := map[string]any{"line_id": id, "line_no": no, "msisdn": msisdn, "state": state}
	if errorCode != "" {
		data["error_code"] = errorCode
	}
	return NewEvent{LineID: &id, Kind: "line", Data: data}
}

// StepWrite is a journal entry to insert or update, with what goes with it
// in the same transaction.
type StepWrite struct {
	ExecutionID int64
	LineID      int64
	Steps       []Step
	// Events go to the execution's stream.
	Events []NewEvent
	// Audit entries record writes sent to BSS.
	Audit []AuditEntry
	// Writes counts the writes applied, added to the line's and execution's.
	Writes int
}

// SaveSteps writes journal entries (an entry with the same key and
// generation is replaced) in one transaction.
func (s *Store) SaveSteps(ctx context.Context, w StepWrite) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return saveSteps(ctx, tx, w) })
	return wrap(err, "save steps of line %d", w.LineID)
}

func saveSteps(ctx context.Context, tx pgx.Tx, w StepWrite) error {
	if len(w.Steps) > 0 {
		batch := &pgx.Batch{}
		for _, st := range w.Steps {
			batch.Queue(`
				INSERT INTO line_steps (line_id, generation, key, seq, method, effect, args, request, state, outcome, status, value,
					error, idempotency_key, attempts, actor, completed_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
					CASE WHEN $9 IN ('completed', 'failed', 'planned', 'approved') THEN clock_timestamp() END)
				ON CONFLICT (line_id, generation, key) DO UPDATE SET state = EXCLUDED.state, outcome = EXCLUDED.outcome,
					status = EXCLUDED.status, value = EXCLUDED.value, error = EXCLUDED.error, request = EXCLUDED.request,
					attempts = EXCLUDED.attempts, actor = EXCLUDED.actor, completed_at = EXCLUDED.completed_at`,
				w.LineID, st.Generation, st.Key, st.Seq, st.Method, st.Effect, orEmptyObject(st.Args), nullJSON(st.Request), st.State,
				st.Outcome, st.Status, nullJSON(st.Value), st.Error, st.IdempotencyKey, st.Attempts, st.Actor)
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
	}
	for _, a := range w.Audit {
		detail := a.Detail
		if len(detail) == 0 {
			detail = json.RawMessage(`{}`)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO audit_log (actor_id, actor, method, route, action, target, status, status_code, request_id, detail)
			VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			a.ActorID, a.Actor, a.Method, a.Route, a.Action, a.Target, a.Status, a.StatusCode, a.RequestID, detail); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	if w.Writes > 0 {
		if _, err := tx.Exec(ctx, `UPDATE execution_lines SET writes = writes + $2 WHERE id = $1`, w.LineID, w.Writes); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE executions SET writes = writes + $2 WHERE id = $1`, w.ExecutionID, w.Writes); err != nil {
			return err
		}
	}
	return appendEvents(ctx, tx, w.ExecutionID, w.Events)
}

func nullJSON(v json.RawMessage) any {
	if len(v) == 0 {
		return nil
	}
	return v
}

// LineOutcome is how a run of a line ended.
type LineOutcome struct {
	StepWrite
	Generation   int
	State        string
	ErrorCode    string
	ErrorMessage string
	StoppedAt    string
	Observations string
	Artefacts    json.RawMessage
}

// PauseRules are when an execution pauses itself.
type PauseRules struct {
	// MinLinesForRatio is how many lines must be done before the failure
	// ratio is judged.
	MinLinesForRatio int
}

// FinishLine records how a line's run ended, with its last journal entries,
// and moves the execution on: its counters, a canary's pause, a pause above
// its failure ratio, and its final state when every line is done. It returns
// the execution as it is now.
func (s *Store) FinishLine(ctx context.Context, o LineOutcome, rules PauseRules) (Execution, error) {
	var e Execution
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := saveSteps(ctx, tx, StepWrite{ExecutionID: o.ExecutionID, LineID: o.LineID, Steps: o.Steps, Audit: o.Audit, Writes: o.Writes}); err != nil {
			return err
		}
		var no int
		var msisdn string
		err := tx.QueryRow(ctx, `
			UPDATE execution_lines SET state = $2, error_code = $3, error_message = $4, stopped_at = $5, observations = $6,
				artefacts = $7, finished_at = CASE WHEN $8 THEN clock_timestamp() END, updated_at = clock_timestamp()
			WHERE id = $1 AND generation = $9
			RETURNING line_no, msisdn`,
			o.LineID, o.State, o.ErrorCode, o.ErrorMessage, o.StoppedAt, o.Observations, orEmptyObject(o.Artefacts),
			LineFinal(o.State), o.Generation).Scan(&no, &msisdn)
		if err != nil {
			return fmt.Errorf("line: %w", err)
		}
		events := append(o.Events, lineEvent(o.LineID, no, msisdn, o.State, o.ErrorCode))
		if e, err = lockExecution(ctx, tx, o.ExecutionID); err != nil {
			return err
		}
		before := e.State
		if LineFinal(o.State) {
			e.countFinal(o.State, 1)
			e.advance(rules)
		}
		if err := saveExecutionState(ctx, tx, &e); err != nil {
			return err
		}
		if e.State != before || LineFinal(o.State) {
			events = append(events, executionEvent(e))
		}
		if err := appendEvents(ctx, tx, e.ID, events); err != nil {
			return err
		}
		e, err = executionByID(ctx, tx, e.ID)
		return err
	})
	return e, wrap(err, "finish line %d", o.LineID)
}

// ReleaseLine hands a line back to the queue without an outcome (its
// execution paused), keeping its journal entries.
func (s *Store) ReleaseLine(ctx context.Context, w StepWrite) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := saveSteps(ctx, tx, w); err != nil {
			return err
		}
		var no int
		var msisdn string
		if err := tx.QueryRow(ctx, `UPDATE execution_lines SET state = 'queued', job_id = NULL, updated_at = clock_timestamp()
			WHERE id = $1 AND state = 'running' RETURNING line_no, msisdn`, w.LineID).Scan(&no, &msisdn); err != nil {
			return err
		}
		return appendEvents(ctx, tx, w.ExecutionID, []NewEvent{lineEvent(w.LineID, no, msisdn, LineQueued, "")})
	})
	return wrap(err, "release line %d", w.LineID)
}

func lockExecution(ctx context.Context, tx pgx.Tx, id int64) (Execution, error) {
	return scanExecution(tx.QueryRow(ctx, `SELECT `+executionColumns+`
		FROM executions e JOIN knowledge k ON k.id = e.flows_id WHERE e.id = $1 FOR UPDATE OF e`, id))
}

func saveExecutionState(ctx context.Context, tx pgx.Tx, e *Execution) error {
	_, err := tx.Exec(ctx, `
		UPDATE executions SET state = $2, paused_reason = $3, done = $4, succeeded = $5, failed = $6, needs_review = $7,
			cancelled = $8, canary_passed = $9, finished_at = $10, updated_at = clock_timestamp()
		WHERE id = $1`,
		e.ID, e.State, e.PausedReason, e.Done, e.Succeeded, e.Failed, e.NeedsReview, e.Cancelled, e.CanaryPassed, e.FinishedAt)
	return err
}

func executionEvent(e Execution) NewEvent {
	return NewEvent{Kind: "execution", Data: map[string]any{"state": e.State, "paused_reason": e.PausedReason,
		"lines": e.Lines, "done": e.Done, "succeeded": e.Succeeded, "failed": e.Failed, "needs_review": e.NeedsReview,
		"cancelled": e.Cancelled}}
}

// countFinal adds n (or removes, when negative) lines in a final state.
func (e *Execution) countFinal(state string, n int) {
	e.Done += n
	switch state {
	case LineSucceeded:
		e.Succeeded += n
	case LineFailed:
		e.Failed += n
	case LineNeedsReview:
		e.NeedsReview += n
	case LineCancelled:
		e.Cancelled += n
	}
}

// advance applies the rules a finished line may trigger: the canary's
// pause, the failure ratio's pause, and the execution's end.
func (e *Execution) advance(rules PauseRules) {
	if e.Done >= e.Lines {
		e.finish()
		return
	}
	if e.State != ExecRunning {
		return
	}
	if e.Canary > 0 && !e.CanaryPassed && e.Done >= e.Canary {
		e.State, e.PausedReason = ExecPaused, fmt.Sprintf("canary: %d lines done; resume to run the rest", e.Done)
		return
	}
	bad := e.Failed + e.NeedsReview
	if e.MaxFailureRatio > 0 && e.Done >= max(rules.MinLinesForRatio, 1) && float64(bad)/float64(e.Done) > e.MaxFailureRatio {
		e.State, e.PausedReason = ExecPaused, fmt.Sprintf("failure ratio: %d of %d lines failed or need review, over %.0f%%",
			bad, e.Done, 100*e.MaxFailureRatio)
	}
}

// finish sets the final state of an execution whose lines are all done.
func (e *Execution) finish() {
	now := nowUTC()
	e.FinishedAt = &now
	switch {
	case e.State == ExecCancelled:
	case e.Mode == "plan":
		e.State = ExecPlanned
	case e.Succeeded == e.Lines:
		e.State = ExecSucceeded
	default:
		e.State = ExecPartiallyFailed
	}
	e.PausedReason = ""
}
