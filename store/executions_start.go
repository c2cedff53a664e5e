package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// NewExecution is an execution to start, with its lines.
type NewExecution struct {
	Name    string
	FlowsID int64
	Mode    string
	// State is running (or paused for a canary of 0), awaiting_approval when
	// a second person must approve first.
	State           string
	Approval        string
	Canary          int
	MaxFailureRatio float64
	CreatedBy       string
	Lines           []NewLine
}

// NewLine is a line of a new execution.
type NewLine struct {
	MSISDN  string
	Flow    string
	Columns map[string]any
	Payload json.RawMessage
}

// LineEnqueueFunc queues the jobs of lines inside the transaction that
// makes them runnable.
type LineEnqueueFunc func(ctx context.Context, tx pgx.Tx, lineIDs []int64) error

// CreateExecution stores an execution and its lines and, unless it waits for
// an approval, queues a job per line, all in one transaction: an execution
// is never half started.
func (s *Store) CreateExecution(ctx context.Context, ne NewExecution, enqueue LineEnqueueFunc) (Execution, error) {
	var e Execution
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO executions (name, flows_id, mode, state, approval, canary, max_failure_ratio, lines, created_by, started_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $4 = 'running' THEN clock_timestamp() END)
			RETURNING id`,
			ne.Name, ne.FlowsID, ne.Mode, ne.State, ne.Approval, ne.Canary, ne.MaxFailureRatio, len(ne.Lines), ne.CreatedBy).Scan(&id)
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"execution_lines"},
			[]string{"execution_id", "line_no", "msisdn", "flow", "columns", "payload", "state"},
			pgx.CopyFromSlice(len(ne.Lines), func(i int) ([]any, error) {
				l := ne.Lines[i]
				columns := l.Columns
				if columns == nil {
					columns = map[string]any{}
				}
				cols, err := json.Marshal(columns)
				if err != nil {
					return nil, fmt.Errorf("line %d: columns: %w", i+1, err)
				}
				var payload any
				if len(l.Payload) > 0 {
					payload = l.Payload
				}
				return []any{id, i + 1, l.MSISDN, l.Flow, json.RawMessage(cols), payload, LineQueued}, nil
			}))
		if err != nil {
			return fmt.Errorf("lines: %w", err)
		}
		if err := appendEvents(ctx, tx, id, []NewEvent{{Kind: "execution", Data: map[string]any{"state": ne.State, "lines": len(ne.Lines)}}}); err != nil {
			return err
		}
		if ne.State == ExecRunning {
			if err := enqueueLines(ctx, tx, id, nil, enqueue); err != nil {
				return err
			}
		}
		e, err = executionByID(ctx, tx, id)
		return err
	})
	return e, wrap(err, "create execution %q", ne.Name)
}

// enqueueLines queues the jobs of the execution's queued lines, or of those
// of them listed in only.
func enqueueLines(ctx context.Context, tx pgx.Tx, executionID int64, only []int64, enqueue LineEnqueueFunc) error {
	rows, err := tx.Query(ctx, `SELECT id FROM execution_lines WHERE execution_id = $1 AND state = 'queued'
		AND (coalesce(cardinality($2::bigint[]), 0) = 0 OR id = ANY($2)) ORDER BY line_no`, executionID, only)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 {
		return err
	}
	return enqueue(ctx, tx, ids)
}

func executionByID(ctx context.Context, q pgx.Tx, id int64) (Execution, error) {
	return scanExecution(q.QueryRow(ctx, `SELECT `+executionColumns+` FROM executions e JOIN knowledge k ON k.id = e.flows_id WHERE e.id = $1`, id))
}

// ExecutionByID returns an execution.
func (s *Store) ExecutionByID(ctx context.Context, id int64) (Execution, error) {
	e, err := scanExecution(s.pool.QueryRow(ctx, `SELECT `+executionColumns+` FROM executions e JOIN knowledge k ON k.id = e.flows_id WHERE e.id = $1`, id))
	return e, wrap(err, "execution %d", id)
}

// ExecutionState reads only an execution's state and pause reason: the
// cheap question a running line asks at every step.
func (s *Store) ExecutionState(ctx context.Context, id int64) (string, error) {
	var state string
	err := s.pool.QueryRow(ctx, `SELECT state FROM executions WHERE id = $1`, id).Scan(&state)
	return state, wrap(err, "state of execution %d", id)
}

// ExecutionFilter selects executions to list.
type ExecutionFilter struct {
	State string
	// Before is the id the previous page ended with; newest come first.
	Before int64
	Limit  int
}

// ListExecutions lists executions newest first.
func (s *Store) ListExecutions(ctx context.Context, f ExecutionFilter) ([]Execution, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+executionColumns+` FROM executions e JOIN knowledge k ON k.id = e.flows_id
		WHERE ($1 = '' OR e.state = $1) AND ($2 = 0 OR e.id < $2) ORDER BY e.id DESC LIMIT $3`, f.State, f.Before, f.Limit)
	if err != nil {
		return nil, wrap(err, "list executions")
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Execution, error) { return scanExecution(row) })
	return list, wrap(err, "list executions")
}

// LineFilter selects lines of an execution.
type LineFilter struct {
	State  string
	MSISDN string
	// AfterNo is the line number the previous page ended with.
	AfterNo int
	Limit   int
}

// ExecutionLines lists an execution's lines in input order.
func (s *Store) ExecutionLines(ctx context.Context, executionID int64, f LineFilter) ([]Line, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+lineColumns+` FROM execution_lines l
		WHERE l.execution_id = $1 AND ($2 = '' OR l.state = $2) AND ($3 = '' OR l.msisdn = $3) AND l.line_no > $4
		ORDER BY l.line_no LIMIT $5`, executionID, f.State, f.MSISDN, f.AfterNo, f.Limit)
	if err != nil {
		return nil, wrap(err, "lines of execution %d", executionID)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Line, error) { return scanLine(row) })
	return list, wrap(err, "lines of execution %d", executionID)
}

// LineByID returns a line.
func (s *Store) LineByID(ctx context.Context, id int64) (Line, error) {
	l, err := scanLine(s.pool.QueryRow(ctx, `SELECT `+lineColumns+` FROM execution_lines l WHERE l.id = $1`, id))
	return l, wrap(err, "line %d", id)
}

// LineSteps returns a line's journal, every generation, in the order the
// steps were made.
func (s *Store) LineSteps(ctx context.Context, lineID int64) ([]Step, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT line_id, generation, key, seq, method, effect, args, request, state, outcome, status, value, error,
			idempotency_key, attempts, actor, created_at, completed_at
		FROM line_steps WHERE line_id = $1 ORDER BY generation, seq`, lineID)
	if err != nil {
		return nil, wrap(err, "steps of line %d", lineID)
	}
	steps, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Step])
	return steps, wrap(err, "steps of line %d", lineID)
}

// FlowApproval is an admin's approval of a flow file imported from the
// legacy engine, given after reviewing a plan.
type FlowApproval struct {
	KnowledgeID     int64  `json:"flows_id"`
	ApprovedBy      string `json:"approved_by"`
	PlanExecutionID int64  `json:"plan_execution_id"`
}

// ApproveFlows records that a flow file may run for real: an admin reviewed
// the plan of execution planID, which must be a finished plan of that file.
func (s *Store) ApproveFlows(ctx context.Context, flowsID, planID int64, by string) error {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO flow_approvals (knowledge_id, approved_by, plan_execution_id)
		SELECT $1, $3, id FROM executions WHERE id = $2 AND flows_id = $1 AND mode = 'plan' AND state = 'planned'
		ON CONFLICT (knowledge_id) DO NOTHING`, flowsID, planID, by)
	if err != nil {
		return wrap(err, "approve flows %d", flowsID)
	}
	if tag.RowsAffected() == 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM flow_approvals WHERE knowledge_id = $1)`, flowsID).Scan(&exists); err != nil {
			return wrap(err, "approve flows %d", flowsID)
		}
		if !exists {
			return fmt.Errorf("store: approve flows %d: no finished plan %d of them: %w", flowsID, planID, ErrNotFound)
		}
	}
	return nil
}

// FlowsApproved reports whether a flow file has been approved to run.
func (s *Store) FlowsApproved(ctx context.Context, flowsID int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM flow_approvals WHERE knowledge_id = $1)`, flowsID).Scan(&ok)
	return ok, wrap(err, "approval of flows %d", flowsID)
}
